"""Broadcasts: create, claim when due, fan out to deliveries, cancel, count, complete.

Claiming and cancelling are conditional updates: whoever changes the status first wins,
so the periodic dispatcher and a Huey eta can both try without a broadcast going out twice.
"""

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from portal.extensions import db
from portal.models import KINDS, Broadcast, Delivery, Guardian, School
from portal.services.broadcasting import targets
from portal.services.common import clock, dates

MAX_BODY = 3000  # leaves room for the frame inside WhatsApp's 4096 characters


class BroadcastError(ValueError):
    """A broadcast that cannot be made as asked; `str()` says why, in the reader's language."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field

    def __str__(self) -> str:
        return str(self.message)


def create_broadcast(
    *,
    school: School,
    kind: str,
    targets_given: list[str],
    body_en: str | None,
    body_ne: str | None,
    source: str,
    scheduled_at: datetime | None = None,
    subject: str | None = None,
    student_ids: list[int] | None = None,
    author_user_id: int | None = None,
    author_teacher_id: int | None = None,
) -> Broadcast:
    """A scheduled broadcast, checked: known kind and targets, some text, a time not past."""
    body_en, body_ne = (body_en or "").strip() or None, (body_ne or "").strip() or None
    _check(kind, body_en, body_ne, student_ids)
    if not targets_given:
        raise BroadcastError(_l("Choose at least one class."), "targets")
    try:
        targets.resolve_classes(school_id=school.id, targets=targets_given)
    except targets.UnknownTarget as exc:
        raise BroadcastError(str(exc), "targets") from None
    now = clock.now()
    when = scheduled_at or now
    if when.tzinfo is None:
        raise BroadcastError(_l("The send time needs a time zone."), "scheduled_at")
    if when < now - timedelta(minutes=1):
        raise BroadcastError(_l("The send time is in the past."), "scheduled_at")
    broadcast = Broadcast(
        school_id=school.id,
        kind=kind,
        source=source,
        status="scheduled",
        targets=[t.strip() for t in targets_given],
        body_en=body_en,
        body_ne=body_ne,
        subject=subject,
        student_ids=student_ids,
        scheduled_at=after_quiet_hours(school, when, kind),
        author_user_id=author_user_id,
        author_teacher_id=author_teacher_id,
        created_at=now,
    )
    db.session.add(broadcast)
    db.session.flush()
    return broadcast


def _check(kind, body_en, body_ne, student_ids) -> None:
    if kind not in KINDS:
        raise BroadcastError(_l("Unknown kind of message."), "kind")
    if not body_en and not body_ne and kind != "absence":
        raise BroadcastError(_l("Write the message in Nepali, English or both."), "body_ne")
    if max(len(body_en or ""), len(body_ne or "")) > MAX_BODY:
        raise BroadcastError(
            _l("The message is too long: at most %(n)s characters.", n=MAX_BODY), "body_ne"
        )
    if kind == "absence" and not student_ids:
        raise BroadcastError(_l("Name at least one absent student."), "student_ids")


def in_quiet_hours(school: School, moment: datetime) -> bool:
    """Whether a moment falls in the school's quiet hours (Nepal time; may cross midnight)."""
    start, end = school.quiet_start, school.quiet_end
    if start == end:
        return False
    local = moment.astimezone(dates.NEPAL).time()
    return start <= local < end if start < end else (local >= start or local < end)


def after_quiet_hours(school: School, moment: datetime, kind: str) -> datetime:
    """The moment itself, or the end of the quiet hours it falls in (emergencies never wait)."""
    if kind == "emergency" or not in_quiet_hours(school, moment):
        return moment
    local = moment.astimezone(dates.NEPAL)
    end = datetime.combine(local.date(), school.quiet_end or time(6), tzinfo=dates.NEPAL)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(moment.tzinfo)


def due_ids(limit: int = 100) -> list[int]:
    """Scheduled broadcasts whose time has come."""
    query = (
        sa.select(Broadcast.id)
        .where(Broadcast.status == "scheduled", Broadcast.scheduled_at <= clock.now())
        .order_by(Broadcast.scheduled_at)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def claim(broadcast_id: int) -> bool:
    """Move a due broadcast from scheduled to sending; True only for the one caller that did."""
    now = clock.now()
    paused = sa.select(School.id).where(
        School.id == Broadcast.school_id, School.sending_paused_at.is_not(None)
    )
    result = db.session.execute(
        sa.update(Broadcast)
        .where(
            Broadcast.id == broadcast_id,
            Broadcast.status == "scheduled",
            Broadcast.scheduled_at <= now,
            ~sa.exists(paused),
        )
        .values(status="sending", started_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def fan_out(broadcast: Broadcast) -> int:
    """One delivery per guardian (several children → one message), made in bulk; opted-out
    guardians get a `skipped` row. Unique per (broadcast, guardian): a rerun adds nothing."""
    classes = targets.resolve_classes(school_id=broadcast.school_id, targets=broadcast.targets)
    who = targets.recipients(
        school_id=broadcast.school_id,
        class_ids=[c.id for c in classes],
        student_ids=broadcast.student_ids,
    )
    opted_out = (
        set(
            db.session.scalars(
                sa.select(Guardian.id).where(
                    Guardian.id.in_(list(who)), Guardian.opted_out_at.is_not(None)
                )
            )
        )
        if who
        else set()
    )
    now = clock.now()
    rows = [
        {
            "school_id": broadcast.school_id,
            "broadcast_id": broadcast.id,
            "guardian_id": guardian_id,
            "student_ids": student_ids,
            "status": "skipped" if guardian_id in opted_out else "pending",
            "error_reason": "opted out" if guardian_id in opted_out else None,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for guardian_id, student_ids in who.items()
    ]
    for start in range(0, len(rows), 1000):
        db.session.execute(_insert_ignoring_duplicates(rows[start : start + 1000]))
    return len(rows)


def _insert_ignoring_duplicates(rows):
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(Delivery)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["broadcast_id", "guardian_id"])
    )


def cancel(broadcast: Broadcast) -> bool:
    """Stop a scheduled or sending broadcast; its unsent deliveries are cancelled."""
    now = clock.now()
    result = db.session.execute(
        sa.update(Broadcast)
        .where(Broadcast.id == broadcast.id, Broadcast.status.in_(("scheduled", "sending")))
        .values(status="cancelled", cancelled_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.broadcast_id == broadcast.id, Delivery.status == "pending")
        .values(status="cancelled", lease_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(broadcast)
    return True


def counts(broadcast_id: int) -> dict[str, int]:
    """Deliveries by status, in the API's shape (pending includes those being sent)."""
    rows = db.session.execute(
        sa.select(Delivery.status, sa.func.count())
        .where(Delivery.broadcast_id == broadcast_id)
        .group_by(Delivery.status)
    ).all()
    return tally(dict(rows))


def tally(by_status: dict[str, int]) -> dict[str, int]:
    """Delivery counts by raw status folded into the API's shape: pending includes those
    being sent, sent includes those Meta accepted, skipped includes those cancelled."""
    return {
        "total": sum(by_status.values()),
        "pending": by_status.get("pending", 0) + by_status.get("sending", 0),
        "sent": by_status.get("accepted", 0) + by_status.get("sent", 0),
        "delivered": by_status.get("delivered", 0),
        "read": by_status.get("read", 0),
        "failed": by_status.get("failed", 0),
        "skipped": by_status.get("skipped", 0) + by_status.get("cancelled", 0),
    }


def complete_if_done(broadcast_id: int) -> bool:
    """Mark a sending broadcast completed once nothing is pending; records its reach."""
    waiting = sa.select(Delivery.id).where(
        Delivery.broadcast_id == broadcast_id, Delivery.status.in_(("pending", "sending"))
    )
    if db.session.scalar(waiting.limit(1)) is not None:
        return False
    tally = counts(broadcast_id)
    result = db.session.execute(
        sa.update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status == "sending")
        .values(
            status="completed",
            completed_at=clock.now(),
            targeted_count=tally["total"] - tally["skipped"],
            delivered_count=tally["delivered"] + tally["read"],
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def sending_ids() -> list[int]:
    """Broadcasts being sent now."""
    return list(db.session.scalars(sa.select(Broadcast.id).where(Broadcast.status == "sending")))
