"""Attendance as parents and staff see it: a class's Bikram Sambat month (who was absent
when, each student's days present and absent), the month a monthly summary covers, and
the escalation when a student is absent several school days in a row.

Reads absences from `roster.attendance` and school days from `calendar`; tells teachers
and admins through `delivery` (replies, alerts). Knows nothing of how broadcasts are made."""
