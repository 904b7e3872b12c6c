"""Broadcasts: creating one (checked: kind, targets, text, a time not past, quiet hours) and
cancelling one, a conditional update checked again just before each message goes."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import KINDS, Broadcast, BroadcastStatus, Delivery, DeliveryStatus, Kind, School
from portal.services.broadcasting import targets
from portal.services.common import audit, clock, send_times
from portal.services.common.quiet_hours import (  # noqa: F401 (callers find them here too)
    after_quiet_hours,
    in_quiet_hours,
)

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
    media_file_id: int | None = None,
) -> Broadcast:
    """A scheduled broadcast, checked: known kind and targets, text or a file, a time not past."""
    body_en, body_ne = (body_en or "").strip() or None, (body_ne or "").strip() or None
    _check(kind, body_en, body_ne, student_ids, media=media_file_id is not None)
    _check_targets(school, targets_given)
    now = clock.now()
    when = send_time(scheduled_at, now=now)
    broadcast = Broadcast(
        school_id=school.id,
        kind=kind,
        source=source,
        status=BroadcastStatus.SCHEDULED,
        targets=[t.strip() for t in targets_given],
        body_en=body_en,
        body_ne=body_ne,
        subject=subject,
        student_ids=student_ids,
        scheduled_at=after_quiet_hours(school, when, kind),
        author_user_id=author_user_id,
        author_teacher_id=author_teacher_id,
        media_file_id=media_file_id,
        created_at=now,
    )
    db.session.add(broadcast)
    db.session.flush()
    return broadcast


def check_broadcast(
    *, school: School, kind: str, targets_given: list[str], body_en: str | None, body_ne: str | None
) -> None:
    """What create_broadcast checks of the content, for what makes broadcasts later
    (a recurring schedule); raises BroadcastError."""
    _check(kind, (body_en or "").strip() or None, (body_ne or "").strip() or None, None)
    _check_targets(school, targets_given)


def _check_targets(school: School, targets_given: list[str]) -> None:
    if not targets_given:
        raise BroadcastError(_l("Choose at least one class."), "targets")
    try:
        targets.resolve_classes(school_id=school.id, targets=targets_given)
    except targets.UnknownTarget as exc:
        raise BroadcastError(str(exc), "targets") from None


def send_time(scheduled_at: datetime | None, *, now: datetime) -> datetime:
    """The moment asked for (now if none), checked by the one rule for send times
    (`send_times.check_send_time`: timezone-aware, not past, at most a year ahead)."""
    try:
        return send_times.check_send_time(scheduled_at or now, now=now)
    except send_times.SendTimeError as error:
        raise BroadcastError(error.message, "scheduled_at") from None


def _check(kind, body_en, body_ne, student_ids, *, media: bool = False) -> None:
    if kind not in KINDS:
        raise BroadcastError(_l("Unknown kind of message."), "kind")
    if media and kind == Kind.ABSENCE:
        raise BroadcastError(_l("An absence alert cannot carry a photo or PDF."), "kind")
    if not body_en and not body_ne and kind not in (Kind.ABSENCE, Kind.ATTENDANCE) and not media:
        raise BroadcastError(_l("Write the message in Nepali, English or both."), "body_ne")
    if max(len(body_en or ""), len(body_ne or "")) > MAX_BODY:
        raise BroadcastError(
            _l("The message is too long: at most %(n)s characters.", n=MAX_BODY), "body_ne"
        )
    if kind == Kind.ABSENCE and not student_ids:
        raise BroadcastError(_l("Name at least one absent student."), "student_ids")


def cancel(broadcast: Broadcast) -> bool:
    """Stop a scheduled or sending broadcast; its unsent deliveries are cancelled (those held
    for the daily digest too: the digest leaves them out)."""
    now = clock.now()
    result = db.session.execute(
        sa.update(Broadcast)
        .where(
            Broadcast.id == broadcast.id,
            Broadcast.status.in_((BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING)),
        )
        .values(status=BroadcastStatus.CANCELLED, cancelled_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    db.session.execute(
        sa.update(Delivery)
        .where(
            Delivery.broadcast_id == broadcast.id,
            Delivery.status.in_(
                (DeliveryStatus.PENDING, DeliveryStatus.HELD, DeliveryStatus.FOLLOWING)
            ),
        )
        .values(status=DeliveryStatus.CANCELLED, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(broadcast)
    return True


def record_created(broadcast: Broadcast, *, user_id=None, api_token_id=None) -> None:
    """The audit row of a broadcast made in the portal or through the API."""
    audit.record(
        school_id=broadcast.school_id,
        user_id=user_id,
        api_token_id=api_token_id,
        action="broadcast.create",
        target=broadcast,
        changes={
            "kind": [None, broadcast.kind],
            "targets": [None, ", ".join(broadcast.targets)],
            "scheduled_at": [None, broadcast.scheduled_at.isoformat()],
            "source": [None, broadcast.source],
        },
    )
