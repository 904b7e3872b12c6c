"""A school's quiet hours in Nepal time: non-urgent messages wait until they end, whether a
broadcast is due then or a message held by the messaging limit frees up then."""

from datetime import datetime, time, timedelta

from portal.models import Kind
from portal.services.common import dates


def in_quiet_hours(school, moment: datetime) -> bool:
    """Whether a moment falls in the school's quiet hours (Nepal time; may cross midnight)."""
    start, end = school.quiet_start, school.quiet_end
    if start == end:
        return False
    local = moment.astimezone(dates.NEPAL).time()
    return start <= local < end if start < end else (local >= start or local < end)


def after_quiet_hours(school, moment: datetime, kind: str) -> datetime:
    """The moment itself, or the end of the quiet hours it falls in (emergencies never wait)."""
    if kind == Kind.EMERGENCY or not in_quiet_hours(school, moment):
        return moment
    local = moment.astimezone(dates.NEPAL)
    end = datetime.combine(local.date(), school.quiet_end or time(6), tzinfo=dates.NEPAL)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(moment.tzinfo)
