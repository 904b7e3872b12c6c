"""A clock tests set and move: `clock.now` reads it (see portal/services/common/clock.py)."""

from datetime import UTC, datetime, time, timedelta

from portal.services.common.dates import NEPAL


class FrozenClock:
    """The time a test says it is, moved only by the test."""

    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment.astimezone(UTC)

    def set(self, moment: datetime) -> None:
        self.moment = moment

    def nepal(self, day, hour: int = 0, minute: int = 0) -> datetime:
        """Move to a Nepal wall-clock time on a day; the moment."""
        self.moment = datetime.combine(day, time(hour, minute), tzinfo=NEPAL)
        return self.moment

    def advance(self, **delta) -> datetime:
        self.moment += timedelta(**delta)
        return self.moment
