"""A school as a tenant: creating it, its settings (quiet hours, WhatsApp number and token,
templates, what teachers may do), resuming after a pause, and the demo school.

May import `broadcasting`, `delivery`, `wording`, `roster`, `accounts` and `common`."""
