"""Status webhooks: every status is kept, and moves its delivery forward only
(accepted → sent → delivered → read, or failed), whatever order and however often it comes."""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from portal.extensions import db
from portal.models import PROGRESS, Delivery, StatusEvent
from portal.services import alerts, clock
from portal.whatsapp.errors import Action, backoff_seconds, classify

TIMESTAMP_COLUMN = {
    "sent": "sent_at",
    "delivered": "delivered_at",
    "read": "read_at",
    "failed": "failed_at",
}
CALLBACK_PREFIX = "d:"


def callback_data(delivery_id: int) -> str:
    """What each message carries in biz_opaque_callback_data, echoed back in its statuses."""
    return f"{CALLBACK_PREFIX}{delivery_id}"


def _delivery_id_from_callback(data: str | None) -> int | None:
    if data and data.startswith(CALLBACK_PREFIX) and data[len(CALLBACK_PREFIX) :].isdigit():
        return int(data[len(CALLBACK_PREFIX) :])
    return None


def record(*, school_id: int | None, update) -> StatusEvent | None:
    """Keep a status (once: a duplicate returns None) for its wamid, known or not."""
    first_error = update.errors[0] if update.errors else None
    values = {
        "school_id": school_id,
        "wamid": update.wamid,
        "status": update.status,
        "occurred_at": update.timestamp,
        "callback_data": (update.callback_data or "")[:512] or None,
        "error_code": getattr(first_error, "code", None),
        "error_title": (str(getattr(first_error, "title", "") or "") or None),
        "created_at": clock.now(),
    }
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(StatusEvent)
        .values(values)
        .on_conflict_do_nothing(index_elements=["wamid", "status"])
        .returning(StatusEvent)
    )
    return db.session.scalars(statement).first()  # the new row, in one round trip


def apply(event: StatusEvent) -> bool:
    """Apply a kept status to its delivery, found by wamid or by the callback data it echoes.
    Returns False (the status stays kept) when no delivery is known for it yet."""
    delivery = _find_delivery(event)
    if delivery is None:
        return False
    if delivery.wamid is None:
        db.session.execute(
            sa.update(Delivery)
            .where(Delivery.id == delivery.id, Delivery.wamid.is_(None))
            .values(wamid=event.wamid)
            .execution_options(synchronize_session=False)
        )
    if event.status == "failed":
        _apply_failure(delivery, event)
    elif event.status in PROGRESS:
        _move_forward(delivery.id, event.status, event.occurred_at)
    event.delivery_id, event.applied_at = delivery.id, clock.now()
    return True


# Asked after every send and nearly always empty: a plain statement, built once.
_events = StatusEvent.__table__
_KEPT = sa.select(_events.c.id).where(
    _events.c.wamid == sa.bindparam("kept_wamid"), _events.c.applied_at.is_(None)
)


def apply_pending(wamid: str) -> int:
    """Apply statuses that arrived before their wamid was stored; how many were applied."""
    if not db.session.execute(_KEPT, {"kept_wamid": wamid}).first():
        return 0
    events = db.session.scalars(
        sa.select(StatusEvent)
        .where(StatusEvent.wamid == wamid, StatusEvent.applied_at.is_(None))
        .order_by(StatusEvent.occurred_at)
    ).all()
    return sum(apply(event) for event in events)


def _find_delivery(event: StatusEvent) -> Delivery | None:
    delivery = db.session.scalar(sa.select(Delivery).where(Delivery.wamid == event.wamid))
    if delivery is not None:
        return delivery
    delivery_id = _delivery_id_from_callback(event.callback_data)
    if delivery_id is None:
        return None
    delivery = db.session.get(Delivery, delivery_id)
    # The callback names a delivery; trust it only if that delivery has no other wamid.
    if delivery is None or delivery.wamid not in (None, event.wamid):
        return None
    return delivery


def _move_forward(delivery_id: int, status: str, at) -> None:
    """Forward only; the timestamp of a step that was overtaken (read before delivered) is
    still kept. One statement: every CASE sees the row as it was before the update."""
    earlier = Delivery.status.in_(
        [name for name, rank in PROGRESS.items() if rank < PROGRESS[status]]
    )
    stamp = getattr(Delivery, TIMESTAMP_COLUMN[status])
    at = sa.literal(at, type_=stamp.type)  # stored as the column stores it (UTC)
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id == delivery_id, sa.or_(earlier, stamp.is_(None)))
        .values(
            status=sa.case((earlier, status), else_=Delivery.status),
            lease_until=sa.case((earlier, None), else_=Delivery.lease_until),
            **{stamp.key: sa.case((earlier, at), else_=sa.func.coalesce(stamp, at))},
        )
        .execution_options(synchronize_session=False)
    )


def _apply_failure(delivery: Delivery, event: StatusEvent) -> None:
    """A failed status: retried later if Meta calls it temporary, otherwise final."""
    action = classify(event.error_code) if event.error_code is not None else Action.FAIL
    not_yet_delivered = Delivery.status.in_(("pending", "sending", "accepted", "sent"))
    base = sa.update(Delivery).where(Delivery.id == delivery.id, not_yet_delivered)
    if action.retries and delivery.attempts < 12:
        wait = backoff_seconds(action, delivery.attempts)
        values = {
            "status": "pending",
            "wamid": None,
            "lease_until": None,
            "next_attempt_at": clock.now() + _seconds(wait),
        }
    else:
        values = {"status": "failed", "failed_at": event.occurred_at, "lease_until": None}
    values |= {"error_code": event.error_code, "error_reason": (event.error_title or "")[:300]}
    result = db.session.execute(base.values(**values).execution_options(synchronize_session=False))
    if result.rowcount and action in (Action.FAIL_AND_ALERT, Action.PAUSE_SCHOOL):
        alerts.raise_for(
            school_id=delivery.school_id,
            code=event.error_code,
            pause=action is Action.PAUSE_SCHOOL,
            details=event.error_title or "",
        )


def _seconds(value: float):
    from datetime import timedelta

    return timedelta(seconds=value)
