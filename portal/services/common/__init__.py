"""What every part of the school's day shares: the clock (one place for tests to move it),
Nepal time and the Bikram Sambat calendar, phone numbers, the audit log, secrets at rest.

Imports nothing of the other contexts; may import `portal.models` and `portal.lexicon`."""
