"""Periodic tasks in Nepal time: Huey's crontab knows no time zone, so it is evaluated here
on the Nepal wall clock (UTC+05:45) instead of the consumer's UTC."""

from datetime import UTC, datetime

from huey import crontab

from portal.services.common.dates import NEPAL


def nepal_crontab(**fields):
    """Like huey.crontab(...), but `hour`/`minute`/... are Nepal time."""
    matches = crontab(**fields)

    def validate(moment: datetime) -> bool:
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return matches(aware.astimezone(NEPAL).replace(tzinfo=None))

    return validate
