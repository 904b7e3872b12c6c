"""Recurring broadcasts: the rule (every day, on weekdays, or on a Bikram Sambat day of the
month, at a Nepal time, from/until a date), its occurrences with the school's holidays
skipped or moved to the next school day, and each occurrence made into one broadcast,
exactly once, by the dispatcher.

Above `broadcasting` (it makes broadcasts); may import `broadcasting`, `calendar` and below."""
