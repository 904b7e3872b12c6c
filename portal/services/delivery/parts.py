"""The later parts of a long message, one delivery row each, so every part has the engine's
guarantees (a lease, a wamid stored at once, statuses, never twice). Parts are written down
(committed) before the first goes, wait as `following`, and go in order: each is released
when the part before it has been taken by Meta (by the sender at once; by the sweeper after
a crash). In the cheaper form the rest waits for the parent's reply (MORE, or anything that
opens their window). A part whose predecessor can no longer be sent ends the same way."""

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from portal.extensions import db
from portal.models import Delivery, DeliveryStatus
from portal.services.common import clock
from portal.services.wording.long_messages import Plan

PART, ON_REPLY = "part", "more"  # a part's purpose: goes by itself, or after a reply
ENDED = (DeliveryStatus.FAILED, DeliveryStatus.CANCELLED, DeliveryStatus.SKIPPED)
TAKEN = (
    DeliveryStatus.ACCEPTED,
    DeliveryStatus.SENT,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.READ,
)


def write_down(delivery, plan: Plan, *, to_phone: str, language: str) -> bool:
    """Before the first part of a long message goes: its later parts as following rows
    (once: a retry of the first part finds them written); whether any were written."""
    if plan.count == 1 or delivery.parts is not None:
        return False
    now, purpose = clock.now(), ON_REPLY if plan.on_reply else PART
    rows = [
        {
            "school_id": delivery.school_id,
            "broadcast_id": delivery.broadcast_id,
            "to_phone": to_phone,
            "body": text,
            "purpose": purpose if part == 2 or purpose == PART else PART,
            "first_id": delivery.id,
            "part": part,
            "parts": plan.count,
            "status": DeliveryStatus.FOLLOWING,
            "sent_as": "text" if plan.on_reply else plan.form,
            "language": language,
            "student_ids": [],
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for part, text in enumerate(plan.rest, 2)
    ]
    db.session.execute(sa.insert(Delivery), rows)
    _set(delivery.id, parts=plan.count, sent_as=plan.form)
    return True


def release_after(delivery) -> int:
    """The part after this one may go now (unless it waits for the parent's reply)."""
    first_id = delivery.first_id or delivery.id
    return _release(
        Delivery.first_id == first_id,
        Delivery.part == (delivery.part or 1) + 1,
        Delivery.purpose == PART,
    )


def release_on_reply(*, school_id: int, to_phone: str) -> int:
    """A parent wrote (their window is open): the rest of their long messages may go, each
    once its first part has been taken by Meta."""
    first = aliased(Delivery)
    taken = sa.exists().where(first.id == Delivery.first_id, first.status.in_(TAKEN))
    return _release(
        Delivery.school_id == school_id,
        Delivery.to_phone == to_phone,
        Delivery.purpose == ON_REPLY,
        taken,
    )


def discard(delivery) -> int:
    """The first part must go another way (a template after all): its later parts, written
    for the old way, are cancelled, and will be written again for the new one."""
    result = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.first_id == delivery.id, Delivery.status == DeliveryStatus.FOLLOWING)
        .values(status=DeliveryStatus.CANCELLED, error_reason="written again")
        .execution_options(synchronize_session=False)
    )
    _set(delivery.id, parts=None)
    return result.rowcount


def end_with(delivery, status: str, reason: str | None) -> int:
    """The first part failed or was cancelled: the parts after it end the same way."""
    first_id = delivery.first_id or delivery.id
    values = {"status": status, "error_reason": reason or "an earlier part was not sent"}
    if status == DeliveryStatus.FAILED:
        values["failed_at"] = clock.now()
    result = db.session.execute(
        sa.update(Delivery)
        .where(
            Delivery.first_id == first_id,
            Delivery.part > (delivery.part or 1),
            Delivery.status == DeliveryStatus.FOLLOWING,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def sweep() -> int:
    """After a crash: release parts whose predecessor was taken by Meta, and end those whose
    predecessor can no longer go; how many parts moved."""
    before = aliased(Delivery)
    predecessor = sa.or_(
        sa.and_(Delivery.part == 2, before.id == Delivery.first_id),
        sa.and_(before.first_id == Delivery.first_id, before.part == Delivery.part - 1),
    )
    taken = sa.exists().where(predecessor, before.status.in_(TAKEN))
    moved = _release(Delivery.purpose == PART, taken)
    ended = sa.exists().where(predecessor, before.status.in_(ENDED))
    result = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.status == DeliveryStatus.FOLLOWING, ended)
        .values(status=DeliveryStatus.CANCELLED, error_reason="an earlier part was not sent")
        .execution_options(synchronize_session=False)
    )
    return moved + result.rowcount


def _release(*conditions) -> int:
    result = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.status == DeliveryStatus.FOLLOWING, *conditions)
        .values(status=DeliveryStatus.PENDING, next_attempt_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _set(delivery_id: int, **values) -> None:
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
