"""How often a school's parents hear from it and what attendance it reports: the daily
digest time, the daily cap, after how many school days absent in a row teachers and
admins are told, and the monthly attendance summary; each change audited."""

from datetime import datetime, time
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l

from portal.models import School
from portal.services.broadcasting.broadcasts import in_quiet_hours
from portal.services.common import audit, clock
from portal.services.common.dates import NEPAL
from portal.services.delivery import digests
from portal.services.roster.records import Conflict
from portal.services.schedules import summaries

FIELDS = ("digest_at", "daily_cap", "absence_alert_days")
MAX_CAP, MAX_ALERT_DAYS = 20, 30


def check_digest_time(digest_at: time | None, quiet: tuple[time, time], field="digest_at"):
    """A digest time inside the quiet hours is refused: it would wake parents."""
    if digest_at is None:
        return
    hours = SimpleNamespace(quiet_start=quiet[0], quiet_end=quiet[1])
    today = clock.now().astimezone(NEPAL).date()
    if in_quiet_hours(hours, datetime.combine(today, digest_at, tzinfo=NEPAL)):
        raise Conflict(
            field,
            _l(
                "%(time)s is within the quiet hours (%(start)s–%(end)s). Choose a time "
                "outside them.",
                time=digest_at.strftime("%H:%M"),
                start=quiet[0].strftime("%H:%M"),
                end=quiet[1].strftime("%H:%M"),
            ),
        )


def update_school_year(
    *,
    school: School,
    user_id: int | None,
    digest_at: time | None,
    daily_cap: int | None,
    absence_alert_days: int,
    summary_on: bool,
    summary_at: time | None,
) -> dict:
    """Save the settings; held messages follow a new digest time (or go now when the digest
    is switched off). Returns every change."""
    check_digest_time(digest_at, (school.quiet_start, school.quiet_end))
    if daily_cap is not None and not 1 <= daily_cap <= MAX_CAP:
        raise Conflict("daily_cap", _l("Choose from 1 to %(n)s messages.", n=MAX_CAP))
    if not 2 <= absence_alert_days <= MAX_ALERT_DAYS:
        raise Conflict(
            "absence_alert_days", _l("Choose from 2 to %(n)s school days.", n=MAX_ALERT_DAYS)
        )
    values = {
        "digest_at": digest_at,
        "daily_cap": daily_cap,
        "absence_alert_days": absence_alert_days,
    }
    changes = audit.diff(school, FIELDS, values)
    if "digest_at" in changes:
        changes["digest_at"] = [_hhmm(value) for value in changes["digest_at"]]
        digests.replan(school)
    before = _summary(summaries.current(school.id))
    if summaries.switch(school=school, on=summary_on, at=summary_at, user_id=user_id):
        changes["attendance_summary"] = [before, _summary(summaries.current(school.id))]
    if changes:
        audit.record(
            school_id=school.id, user_id=user_id, action="settings.update", changes=changes
        )
    return changes


def _hhmm(value) -> str | None:
    return value[:5] if isinstance(value, str) else value


def _summary(schedule) -> str | None:
    """How the audit log reads the summary: its time, or nothing when off."""
    return schedule.at.strftime("%H:%M") if schedule is not None else None
