"""The one rule for every time Sandesh is asked to send at, whichever path asks (the API,
the portal's compose form, a teacher's `@ …`, and any later schedule): `check_send_time()`.

A send time must be timezone-aware, not in the past (a minute's slack for a slow form) and
at most a year ahead: further is a mistyped year, not a plan, and every date Sandesh keeps
must be one it can show in both calendars and send.
"""

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

HORIZON = timedelta(days=366)
PAST_SLACK = timedelta(minutes=1)

REASONS = {
    "no_zone": _l("The send time needs a time zone."),
    "past_time": _l("The send time is in the past."),
    "too_far": _l("The send time is more than a year ahead. Check the year."),
}


class SendTimeError(ValueError):
    """Why a send time is refused: `code` (no_zone, past_time, too_far) and `message`, in
    the reader's language."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code, self.message = code, REASONS[code]

    def __str__(self) -> str:
        return str(self.message)


def check_send_time(when: datetime, *, now: datetime) -> datetime:
    """`when` itself when Sandesh may send then; SendTimeError otherwise."""
    if when.tzinfo is None:
        raise SendTimeError("no_zone")
    if when < now - PAST_SLACK:
        raise SendTimeError("past_time")
    if when - now > HORIZON:
        raise SendTimeError("too_far")
    return when
