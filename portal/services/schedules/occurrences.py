"""Making a schedule's due occurrence into its broadcast, exactly once: the schedule's next
occurrence is claimed with a conditional update (one dispatcher wins), and the broadcast is
unique per schedule and day (whatever else retries, restarts or races)."""

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import Broadcast, Kind, RecurringSchedule, ScheduleStatus, Source
from portal.services.attendance import months
from portal.services.broadcasting import broadcasts
from portal.services.common import clock
from portal.services.schedules import schedules

log = logging.getLogger(__name__)
CATCH_UP = timedelta(hours=6)  # an occurrence later than this (no worker ran) is not sent


def due_ids(limit: int = 100) -> list[int]:
    """Active schedules whose next occurrence has come."""
    return list(
        db.session.scalars(
            sa.select(RecurringSchedule.id)
            .where(
                RecurringSchedule.status == ScheduleStatus.ACTIVE,
                RecurringSchedule.next_at <= clock.now(),
            )
            .order_by(RecurringSchedule.next_at)
            .limit(limit)
        )
    )


def make_due(schedule_id: int) -> Broadcast | None:
    """The due occurrence's broadcast, made by the one caller that claims it (None for the
    others, and for an occurrence too late to send, which is counted as missed)."""
    schedule = db.session.get(RecurringSchedule, schedule_id)
    if schedule is None or schedule.next_at is None or schedule.next_at > clock.now():
        return None
    due_on, due_at = schedule.next_on, schedule.next_at
    if not _claim(schedule, due_on, due_at):
        return None
    if clock.now() - due_at > CATCH_UP:
        schedule.missed += 1
        log.warning("schedule %s: the occurrence of %s was too late to send", schedule.id, due_on)
        return None
    return _make_broadcast(schedule, due_on, due_at)


def _claim(schedule: RecurringSchedule, due_on, due_at) -> bool:
    """Move the schedule on to its following occurrence, if no one else has."""
    following, _skipped = schedules.next_occurrences(schedule, count=2, after=due_at)
    following = [o for o in following if o.on != due_on][:1]
    values = {"next_on": None, "next_at": None}
    if following:
        values = {"next_on": following[0].on, "next_at": following[0].at}
    result = db.session.execute(
        sa.update(RecurringSchedule)
        .where(
            RecurringSchedule.id == schedule.id,
            RecurringSchedule.status == ScheduleStatus.ACTIVE,
            RecurringSchedule.next_on == due_on,
            RecurringSchedule.next_at == due_at,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    db.session.refresh(schedule)
    if not following:
        schedule.status, schedule.stopped_at = ScheduleStatus.STOPPED, clock.now()
    return True


def _make_broadcast(schedule: RecurringSchedule, due_on, due_at) -> Broadcast | None:
    try:
        with db.session.begin_nested():
            broadcast = broadcasts.create_broadcast(
                school=schedule.school,
                kind=schedule.kind,
                targets_given=list(schedule.targets),
                body_en=schedule.body_en,
                body_ne=schedule.body_ne,
                subject=schedule.subject,
                scheduled_at=max(due_at, clock.now()),
                source=Source.SCHEDULE,
                author_user_id=schedule.author_user_id,
                author_teacher_id=schedule.author_teacher_id,
            )
            broadcast.schedule_id, broadcast.occurrence_on = schedule.id, due_on
            if schedule.kind == Kind.ATTENDANCE:  # the month before, as the calendar has it
                broadcast.attendance_month = months.summary_month(schedule.school_id, due_on)
            db.session.flush()
    except IntegrityError:  # made already: the unique (schedule, day) says so
        return None
    except broadcasts.BroadcastError as error:
        with force_locale("en"):
            schedule.problem = str(error)[:300]
        return None
    schedule.problem = None
    return broadcast
