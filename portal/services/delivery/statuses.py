"""Status webhooks: every status is kept, and moves its delivery forward only
(accepted → sent → delivered → read, or failed), whatever order and however often it comes."""

from datetime import timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.models import DIGEST, PROGRESS, Delivery, DeliveryStatus, StatusEvent
from portal.services.common import clock
from portal.services.delivery import alerts, digests
from portal.whatsapp.errors import Action, backoff_seconds, classify

TIMESTAMP_COLUMN = {
    DeliveryStatus.SENT: "sent_at",
    DeliveryStatus.DELIVERED: "delivered_at",
    DeliveryStatus.READ: "read_at",
    DeliveryStatus.FAILED: "failed_at",
}
CALLBACK_PREFIX = "d:"


def callback_data(delivery_id: int) -> str:
    """What each message carries in biz_opaque_callback_data, echoed back in its statuses."""
    return f"{CALLBACK_PREFIX}{delivery_id}"


def delivery_id_from_callback(data: str | None) -> int | None:
    if data and data.startswith(CALLBACK_PREFIX) and data[len(CALLBACK_PREFIX) :].isdigit():
        return int(data[len(CALLBACK_PREFIX) :])
    return None


# Prebuilt statements: a busy school's statuses come by the hundred every second.
_events, _deliveries = StatusEvent.__table__, Delivery.__table__
DELIVERY_COLUMNS = (
    _deliveries.c.id,
    _deliveries.c.wamid,
    _deliveries.c.attempts,
    _deliveries.c.school_id,
    _deliveries.c.purpose,
)
BY_WAMID = sa.select(*DELIVERY_COLUMNS).where(_deliveries.c.wamid == sa.bindparam("wamid"))
BY_ID = sa.select(*DELIVERY_COLUMNS).where(_deliveries.c.id == sa.bindparam("delivery_id"))
SET_WAMID = (
    sa.update(_deliveries)
    .where(_deliveries.c.id == sa.bindparam("delivery_id"), _deliveries.c.wamid.is_(None))
    .values(wamid=sa.bindparam("wamid"))
)
KEPT = (
    sa.select(_events)
    .where(_events.c.wamid == sa.bindparam("wamid"), _events.c.applied_at.is_(None))
    .order_by(_events.c.occurred_at)
)
MARK_APPLIED = (
    sa.update(_events)
    .where(_events.c.id == sa.bindparam("event_id"))
    .values(delivery_id=sa.bindparam("delivery_id"), applied_at=sa.bindparam("now"))
)
RECORDED = (
    "school_id",
    "wamid",
    "status",
    "occurred_at",
    "callback_data",
    "error_code",
    "error_title",
    "pricing",
    "delivery_id",
    "applied_at",
    "created_at",
)
# Kept once per (wamid, status), in SQL that PostgreSQL and SQLite both speak. Written out
# rather than built with a dialect's insert(), which SQLAlchemy compiles afresh every time
# (it has no cache key): at a status a message, compiling cost more than running.
RECORD = (
    sa.text(
        "INSERT INTO status_events (school_id, wamid, status, occurred_at, callback_data,"
        " error_code, error_title, pricing, delivery_id, applied_at, created_at)"
        " VALUES (:school_id, :wamid, :status, :occurred_at, :callback_data,"
        " :error_code, :error_title, :pricing, :delivery_id, :applied_at, :created_at)"
        " ON CONFLICT (wamid, status) DO NOTHING RETURNING id"
    )
    .bindparams(*(sa.bindparam(name, type_=_events.c[name].type) for name in RECORDED))
    .columns(id=sa.Integer)
)


def behind(status: str) -> list[str]:
    """The statuses a delivery may move forward from to `status`."""
    return [name for name, rank in PROGRESS.items() if rank < PROGRESS[status]]


def forward_statement(status: str, *, delivery_id, at) -> sa.Update:
    """Forward only; the timestamp of a step that was overtaken (read before delivered) is
    still kept. One statement: every CASE sees the row as it was before the update."""
    d = _deliveries
    earlier = d.c.status.in_(behind(status))
    stamp = d.c[TIMESTAMP_COLUMN[status]]
    return (
        sa.update(d)
        .where(d.c.id == delivery_id, sa.or_(earlier, stamp.is_(None)))
        .values(
            status=sa.case((earlier, status), else_=d.c.status),
            lease_until=sa.case((earlier, None), else_=d.c.lease_until),
            **{stamp.key: sa.case((earlier, at), else_=sa.func.coalesce(stamp, at))},
        )
    )


FORWARD = {
    status: forward_statement(
        status,
        delivery_id=sa.bindparam("delivery_id"),
        at=sa.bindparam("at", type_=_deliveries.c[TIMESTAMP_COLUMN[status]].type),
    )
    for status in (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ)
}


def take(*, school_id: int | None, update) -> bool:
    """Keep a status once, for its wamid known or not, and apply it to its delivery when
    one is known; False when it was kept before (Meta's retries, a second worker)."""
    delivery = _find_delivery(update.wamid, update.callback_data)
    event = recorded(school_id=school_id, update=update, delivery=delivery, now=clock.now())
    if db.session.execute(RECORD, event).scalar() is None:
        return False
    if delivery is not None:
        _apply(delivery, event)
    return True


def recorded(*, school_id: int | None, update, delivery: sa.Row | None, now) -> dict:
    """The status_events row that keeps a status (applied now when its delivery is known)."""
    first_error = update.errors[0] if update.errors else None
    return {
        "school_id": school_id,
        "wamid": update.wamid,
        "status": update.status[:16],
        "occurred_at": update.timestamp,
        "callback_data": (update.callback_data or "")[:512] or None,
        "error_code": getattr(first_error, "code", None),
        "error_title": (str(getattr(first_error, "title", "") or "")[:300] or None),
        "pricing": getattr(update, "pricing", None),
        "delivery_id": delivery.id if delivery is not None else None,
        "applied_at": now if delivery is not None else None,
        "created_at": now,
    }


def apply_pending(wamid: str) -> int:
    """Apply statuses that arrived before their wamid was stored; how many were applied."""
    kept = db.session.execute(KEPT, {"wamid": wamid}).mappings().all()
    applied = 0
    for event in kept:
        delivery = _find_delivery(event["wamid"], event["callback_data"])
        if delivery is None:
            continue
        _apply(delivery, event)
        params = {"event_id": event["id"], "delivery_id": delivery.id, "now": clock.now()}
        db.session.execute(MARK_APPLIED, params)
        applied += 1
    return applied


def _find_delivery(wamid: str, callback_data: str | None) -> sa.Row | None:
    """The delivery a status is about: by wamid, else by the callback data it echoes."""
    delivery = db.session.execute(BY_WAMID, {"wamid": wamid}).first()
    if delivery is not None:
        return delivery
    delivery_id = delivery_id_from_callback(callback_data)
    if delivery_id is None:
        return None
    delivery = db.session.execute(BY_ID, {"delivery_id": delivery_id}).first()
    # The callback names a delivery; trust it only if that delivery has no other wamid.
    if delivery is None or delivery.wamid not in (None, wamid):
        return None
    return delivery


PRICED = (
    sa.update(_deliveries)
    .where(_deliveries.c.id == sa.bindparam("delivery_id"), _deliveries.c.pricing_type.is_(None))
    .values(
        pricing_category=sa.bindparam("category"),
        pricing_type=sa.bindparam("type"),
        billable=sa.bindparam("billable"),
    )
)


def _apply(delivery: sa.Row, event) -> None:
    """What a kept status does to its delivery."""
    if delivery.wamid is None:
        db.session.execute(SET_WAMID, {"delivery_id": delivery.id, "wamid": event["wamid"]})
    if event.get("pricing"):
        db.session.execute(PRICED, pricing_values(delivery.id, event["pricing"]))
    if event["status"] == DeliveryStatus.FAILED:
        _apply_failure(delivery, event)
    elif event["status"] in FORWARD:
        params = {"delivery_id": delivery.id, "at": event["occurred_at"]}
        db.session.execute(FORWARD[event["status"]], params)
    if delivery.purpose == DIGEST:
        digests.mirror(delivery.id)  # the messages it carries read as it does


def pricing_values(delivery_id: int, pricing: dict) -> dict:
    """What Meta charged, from a status's `pricing` (status messages webhook reference):
    `type` regular is charged, free_customer_service and free_entry_point are free."""
    kind = str(pricing.get("type") or "")[:32] or None
    billable = pricing.get("billable")
    if not isinstance(billable, bool):
        billable = kind == "regular" if kind else None
    category = str(pricing.get("category") or "")[:32] or None
    return {"delivery_id": delivery_id, "category": category, "type": kind, "billable": billable}


def _apply_failure(delivery: sa.Row, event) -> None:
    """A failed status: retried later if Meta calls it temporary, otherwise final."""
    code, title = event["error_code"], event["error_title"]
    action = classify(code) if code is not None else Action.FAIL
    not_yet_delivered = Delivery.status.in_(
        (
            DeliveryStatus.PENDING,
            DeliveryStatus.SENDING,
            DeliveryStatus.ACCEPTED,
            DeliveryStatus.SENT,
        )
    )
    base = sa.update(Delivery).where(Delivery.id == delivery.id, not_yet_delivered)
    if action.retries and delivery.attempts < 12:
        wait = backoff_seconds(action, delivery.attempts)
        values = {
            "status": DeliveryStatus.PENDING,
            "wamid": None,
            "lease_until": None,
            "next_attempt_at": clock.now() + _seconds(wait),
        }
    else:
        values = {
            "status": DeliveryStatus.FAILED,
            "failed_at": event["occurred_at"],
            "lease_until": None,
        }
    values |= {"error_code": code, "error_reason": (title or "")[:300]}
    result = db.session.execute(base.values(**values).execution_options(synchronize_session=False))
    if result.rowcount and action in (Action.FAIL_AND_ALERT, Action.PAUSE_SCHOOL):
        pause = action is Action.PAUSE_SCHOOL
        alerts.raise_for(school_id=delivery.school_id, code=code, pause=pause, details=title or "")


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)
