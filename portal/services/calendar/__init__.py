"""The school calendar: Saturdays, Nepal's public holidays pre-filled per Bikram Sambat year
(from the `holidays` package), the school's own days and ranges, which days are school
days, and the calendar as CSV.

Below `broadcasting` (previews and schedules ask it about days); imports only `common`."""
