"""The monthly attendance summary a school switches on: a recurring schedule of its own kind
(`attendance`) on day 1 of every Bikram Sambat month (the next school day when that is a
holiday), to every guardian, about the month before. Paused, resumed and stopped like any
schedule; switched on and off, and its time changed, from the settings."""

from datetime import time

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Every, Kind, OnHoliday, RecurringSchedule, ScheduleStatus, School, Source
from portal.services.schedules import schedules

TEXTS = {"kind": Kind.ATTENDANCE, "targets": ["ALL"], "subject": None}
DEFAULT_AT = time(10, 0)


def current(school_id: int) -> RecurringSchedule | None:
    """The school's monthly summary while it is on (active or paused)."""
    return db.session.scalar(
        sa.select(RecurringSchedule)
        .where(
            RecurringSchedule.school_id == school_id,
            RecurringSchedule.kind == Kind.ATTENDANCE,
            RecurringSchedule.status.in_((ScheduleStatus.ACTIVE, ScheduleStatus.PAUSED)),
        )
        .order_by(RecurringSchedule.id.desc())
        .limit(1)
    )


def _rule(at: time) -> dict:
    return {
        "every": Every.BS_MONTH,
        "at": at,
        "weekdays": [],
        "bs_day": 1,
        "on_holiday": OnHoliday.NEXT_SCHOOL_DAY,
        "starts_on": None,
        "ends_on": None,
    }


def switch(*, school: School, on: bool, at: time | None, user_id: int | None) -> bool:
    """Switch the summary on (at `at`, Nepal time) or off; whether anything changed."""
    summary = current(school.id)
    if not on:
        return summary is not None and schedules.stop(schedule=summary, user_id=user_id)
    at = at or (summary.at if summary else DEFAULT_AT)
    if summary is None:
        schedules.create_schedule(
            school=school,
            source=Source.PORTAL,
            rule=_rule(at),
            texts=TEXTS,
            author_user_id=user_id,
            kinds=(Kind.ATTENDANCE,),
        )
        return True
    changed = bool(
        schedules.update_schedule(
            schedule=summary,
            user_id=user_id,
            rule=_rule(at) | {"starts_on": summary.starts_on},
            texts=TEXTS,
            kinds=(Kind.ATTENDANCE,),
        )
    )
    return schedules.resume(schedule=summary, user_id=user_id) or changed
