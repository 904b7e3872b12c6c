"""Recurring schedules: made (checked like a broadcast, plus its rule), changed (only the
occurrences still to come), paused, resumed and stopped; each change audited."""

from datetime import date, datetime, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import (
    Broadcast,
    Every,
    Kind,
    OnHoliday,
    RecurringSchedule,
    ScheduleStatus,
    School,
)
from portal.services.attendance import months
from portal.services.broadcasting import broadcasts
from portal.services.common import audit, clock, send_times
from portal.services.common.dates import NEPAL
from portal.services.schedules import rules

KINDS = (Kind.NOTICE, Kind.HOMEWORK, Kind.EVENT)
# A start or end further ahead than the one rule for send times allows (services/common/
# send_times: a year) is a typo for a year; each occurrence's broadcast is checked again.
RULE_FIELDS = ("every", "at", "weekdays", "bs_day", "on_holiday", "starts_on", "ends_on")
TEXT_FIELDS = ("kind", "targets", "subject", "body_en", "body_ne")


class ScheduleError(broadcasts.BroadcastError):
    """A schedule that cannot be made as asked; `str()` says why, `field` where."""


def checked_rule(
    *,
    every: str,
    at: time | None,
    weekdays: list[int] | None,
    bs_day: int | None,
    on_holiday: str,
    starts_on: date | None,
    ends_on: date | None,
) -> dict:
    """The rule's values, checked: a known repeat, a time, its weekdays or BS day, dates."""
    if every not in tuple(Every):
        raise ScheduleError(_l("Choose how often it repeats."), "every")
    if at is None:
        raise ScheduleError(_l("Enter the time it goes, such as 06:00."), "at")
    weekdays = sorted({int(d) for d in weekdays or ()}) if every == Every.WEEK else []
    if every == Every.WEEK and (not weekdays or not set(weekdays) <= set(range(7))):
        raise ScheduleError(_l("Choose at least one day of the week."), "weekdays")
    if every == Every.BS_MONTH and not (isinstance(bs_day, int) and 1 <= bs_day <= 32):
        raise ScheduleError(_l("Choose a day of the month from 1 to 32."), "bs_day")
    if on_holiday not in tuple(OnHoliday):
        raise ScheduleError(_l("Choose what happens on a holiday."), "on_holiday")
    today = clock.now().astimezone(NEPAL).date()
    starts_on = starts_on or today
    _check_ahead(starts_on, at, "starts_on", today=today)
    _check_ahead(ends_on, at, "ends_on", today=today)
    if ends_on is not None and ends_on < max(starts_on, today):
        raise ScheduleError(_l("The last day is before the first."), "ends_on")
    return {
        "every": every,
        "at": at.replace(second=0, microsecond=0),
        "weekdays": weekdays,
        "bs_day": bs_day if every == Every.BS_MONTH else None,
        "on_holiday": on_holiday,
        "starts_on": starts_on,
        "ends_on": ends_on,
    }


def _check_ahead(day: date | None, at: time, field: str, *, today: date) -> None:
    """A first or last day whose send time the one rule for send times refuses (more than
    a year ahead: a mistyped year) is refused here, on its own field."""
    if day is None or day <= today:
        return
    try:
        send_times.check_send_time(rules.moment(day, at), now=clock.now())
    except send_times.SendTimeError:
        raise ScheduleError(
            _l("That date is more than a year away. Check the year."), field
        ) from None


def _check_texts(school: School, values: dict, kinds=KINDS) -> dict:
    if values["kind"] not in kinds:
        raise ScheduleError(_l("Unknown kind of message."), "kind")
    body_en = (values.get("body_en") or "").strip() or None
    body_ne = (values.get("body_ne") or "").strip() or None
    broadcasts.check_broadcast(
        school=school,
        kind=values["kind"],
        targets_given=values["targets"],
        body_en=body_en,
        body_ne=body_ne,
    )
    subject = values.get("subject") if values["kind"] == Kind.HOMEWORK else None
    targets = [t.strip() for t in values["targets"]]
    return {"kind": values["kind"], "targets": targets, "subject": subject or None} | {
        "body_en": body_en,
        "body_ne": body_ne,
    }


def create_schedule(
    *,
    school: School,
    source: str,
    rule: dict,
    texts: dict,
    author_user_id: int | None = None,
    author_teacher_id: int | None = None,
    status: str = ScheduleStatus.ACTIVE,
    kinds=KINDS,
    api_token_id: int | None = None,
) -> RecurringSchedule:
    """A checked schedule with its next occurrence (a draft's is found when confirmed)."""
    schedule = RecurringSchedule(
        school_id=school.id,
        source=source,
        status=status,
        author_user_id=author_user_id,
        author_teacher_id=author_teacher_id,
        missed=0,
        created_at=clock.now(),  # a teacher's draft expires a day after this
        **_check_texts(school, texts, kinds),
        **checked_rule(**rule),
    )
    _plan_next(schedule, require=True)
    db.session.add(schedule)
    db.session.flush()
    if status == ScheduleStatus.ACTIVE:  # a teacher's draft is recorded when confirmed
        record_created(schedule, user_id=author_user_id, api_token_id=api_token_id)
    return schedule


def record_created(schedule: RecurringSchedule, **actor) -> None:
    """The audit row of a schedule that starts: by a portal user, a teacher or a token."""
    if schedule.author_teacher_id is not None and not actor.get("user_id"):
        actor = {"teacher_id": schedule.author_teacher_id}
    _audit(schedule, "schedule.create", changes={"every": [None, schedule.every]}, **actor)


def update_schedule(
    *, schedule: RecurringSchedule, user_id: int | None, rule: dict, texts: dict, kinds=KINDS
) -> dict:
    """Change what and when; occurrences already made stay as they were."""
    new = _check_texts(schedule.school, texts, kinds) | checked_rule(**rule)
    changes = audit.diff(schedule, (*TEXT_FIELDS, *RULE_FIELDS), new)
    if changes:
        _plan_next(schedule, require=schedule.status == ScheduleStatus.ACTIVE)
        _audit(schedule, "schedule.update", user_id=user_id, changes=changes)
    return changes


def next_occurrences(schedule: RecurringSchedule, *, count: int = 5, after: datetime | None = None):
    """(the next `count` occurrences, the holidays skipped among them) from now."""
    return rules.upcoming(
        rules.rule_of(schedule),
        school_id=schedule.school_id,
        starts_on=schedule.starts_on,
        ends_on=schedule.ends_on,
        after=after or clock.now(),
        taken=made_days(schedule),
        count=count,
    )


def made_days(schedule: RecurringSchedule) -> set[date]:
    """The days whose occurrence is already a broadcast (lately: what a rule could revisit)."""
    if schedule.id is None:
        return set()
    since = clock.now().astimezone(NEPAL).date() - rules.MOVE_LIMIT
    return set(
        db.session.scalars(
            sa.select(Broadcast.occurrence_on).where(
                Broadcast.schedule_id == schedule.id, Broadcast.occurrence_on >= since
            )
        )
    )


def _plan_next(schedule: RecurringSchedule, *, require: bool, after: datetime | None = None):
    """Set the next occurrence; a schedule with none left ends (or, new, is refused)."""
    found, _skipped = next_occurrences(schedule, count=1, after=after)
    if not found and require:
        raise ScheduleError(_l("It would never be sent: no school day matches it."), "every")
    schedule.next_on = found[0].on if found else None
    schedule.next_at = found[0].at if found else None
    if not found and schedule.status == ScheduleStatus.ACTIVE:
        schedule.status, schedule.stopped_at = ScheduleStatus.STOPPED, clock.now()


def activate(schedule: RecurringSchedule) -> None:
    """A confirmed draft starts: its next occurrence from now."""
    schedule.status = ScheduleStatus.ACTIVE
    _plan_next(schedule, require=False)


def pause(*, schedule: RecurringSchedule, user_id: int | None, api_token_id=None) -> bool:
    """Stop sending until resumed (occurrences meanwhile are not sent); False if not active."""
    if schedule.status != ScheduleStatus.ACTIVE:
        return False
    schedule.status, schedule.paused_at = ScheduleStatus.PAUSED, clock.now()
    changes = {"status": ["active", "paused"]}
    _audit(schedule, "schedule.pause", user_id=user_id, api_token_id=api_token_id, changes=changes)
    return True


def resume(*, schedule: RecurringSchedule, user_id: int | None, api_token_id=None) -> bool:
    """Send again from the next occurrence after now; False if it was not paused."""
    if schedule.status != ScheduleStatus.PAUSED:
        return False
    schedule.status, schedule.paused_at = ScheduleStatus.ACTIVE, None
    _plan_next(schedule, require=False)
    changes = {"status": ["paused", schedule.status]}
    _audit(schedule, "schedule.resume", user_id=user_id, api_token_id=api_token_id, changes=changes)
    return True


def stop(*, schedule: RecurringSchedule, user_id: int | None, api_token_id=None) -> bool:
    """Never send again; False if it had already stopped."""
    if schedule.status == ScheduleStatus.STOPPED:
        return False
    before = schedule.status
    schedule.status, schedule.stopped_at = ScheduleStatus.STOPPED, clock.now()
    schedule.next_on = schedule.next_at = None
    changes = {"status": [before, "stopped"]}
    _audit(schedule, "schedule.stop", user_id=user_id, api_token_id=api_token_id, changes=changes)
    return True


def _audit(schedule: RecurringSchedule, action: str, *, changes: dict, **actor) -> None:
    """Recorded with its actor: a portal user, a teacher or an API token."""
    audit.record(
        school_id=schedule.school_id, action=action, target=schedule, changes=changes, **actor
    )


def sample_broadcast(schedule: RecurringSchedule, occurrence=None) -> Broadcast:
    """An unsaved broadcast as the schedule's occurrence would make it, for previews."""
    day = occurrence.on if occurrence else clock.now().astimezone(NEPAL).date()
    broadcast = Broadcast(
        school_id=schedule.school_id,
        kind=schedule.kind,
        source="schedule",
        targets=list(schedule.targets),
        subject=schedule.subject,
        body_en=schedule.body_en,
        body_ne=schedule.body_ne,
        scheduled_at=occurrence.at if occurrence else clock.now(),
        occurrence_on=day,
    )
    if schedule.kind == Kind.ATTENDANCE:
        broadcast.attendance_month = months.summary_month(schedule.school_id, day)
    return broadcast


def take_draft(schedule: RecurringSchedule, *, to: str) -> bool:
    """Move a teacher's draft on (active or stopped); True only for the one caller that did,
    so a YES that comes twice, or a YES and a NO at once, act only once."""
    values = {"status": to}
    if to == ScheduleStatus.STOPPED:
        values["stopped_at"] = clock.now()
    result = db.session.execute(
        sa.update(RecurringSchedule)
        .where(
            RecurringSchedule.id == schedule.id, RecurringSchedule.status == ScheduleStatus.DRAFT
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(schedule)
    return result.rowcount == 1


def stale_drafts(*, older_than: datetime, limit: int = 200) -> list[RecurringSchedule]:
    """Teachers' drafts that waited too long for their YES, oldest first."""
    return list(
        db.session.scalars(
            sa.select(RecurringSchedule)
            .where(
                RecurringSchedule.status == ScheduleStatus.DRAFT,
                RecurringSchedule.author_teacher_id.is_not(None),
                RecurringSchedule.created_at <= older_than,
            )
            .order_by(RecurringSchedule.id)
            .limit(limit)
        )
    )


def latest_draft(*, teacher_id: int, since: datetime) -> RecurringSchedule | None:
    """The teacher's newest schedule waiting for YES."""
    return db.session.scalar(
        sa.select(RecurringSchedule)
        .where(
            RecurringSchedule.author_teacher_id == teacher_id,
            RecurringSchedule.status == ScheduleStatus.DRAFT,
            RecurringSchedule.created_at > since,
        )
        .order_by(RecurringSchedule.id.desc())
        .limit(1)
    )
