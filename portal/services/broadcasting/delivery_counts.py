"""Delivery counts in the API's shape, for one broadcast or a page of them: one per guardian
(the later parts of a long message are not counted again)."""

from collections import defaultdict

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Delivery

# Per (status, waiting): how many, and how many a parent marked Seen.
_COUNTED = (
    Delivery.status,
    Delivery.waiting,
    sa.func.count(),
    sa.func.count(Delivery.acknowledged_at),
)


def of_broadcast(broadcast_id: int) -> dict[str, int]:
    """Deliveries by status, in the API's shape (pending includes those being sent)."""
    rows = db.session.execute(
        sa.select(*_COUNTED)
        .where(Delivery.broadcast_id == broadcast_id, Delivery.first_id.is_(None))
        .group_by(Delivery.status, Delivery.waiting)
    ).all()
    return _fold(rows)


def _fold(rows) -> dict[str, int]:
    by_status: dict[str, int] = defaultdict(int)
    waiting = acknowledged = 0
    for status, held, count, seen in rows:
        by_status[status] += count
        waiting += count if held and status == "pending" else 0
        acknowledged += seen
    return tally(dict(by_status), waiting=waiting, acknowledged=acknowledged)


def tally(by_status: dict[str, int], *, waiting: int = 0, acknowledged: int = 0) -> dict[str, int]:
    """Delivery counts by raw status folded into the API's shape: pending includes those
    being sent and those held for the daily digest but not those waiting for the daily
    messaging limit (`waiting`), sent includes those Meta accepted, skipped includes those
    cancelled; `acknowledged` are the ones a parent marked Seen (they are counted by status
    too)."""
    queued = ("pending", "sending", "held")
    return {
        "total": sum(by_status.values()),
        "pending": sum(by_status.get(status, 0) for status in queued) - waiting,
        "waiting": waiting,
        "sent": by_status.get("accepted", 0) + by_status.get("sent", 0),
        "delivered": by_status.get("delivered", 0),
        "read": by_status.get("read", 0),
        "acknowledged": acknowledged,
        "failed": by_status.get("failed", 0),
        "skipped": by_status.get("skipped", 0) + by_status.get("cancelled", 0),
    }


def of_broadcasts(broadcast_ids: list[int]) -> dict[int, dict[str, int]]:
    """Counts for many broadcasts in one query (a list page's worth)."""
    grouped: dict[int, list] = defaultdict(list)
    if broadcast_ids:
        rows = db.session.execute(
            sa.select(Delivery.broadcast_id, *_COUNTED)
            .where(Delivery.broadcast_id.in_(broadcast_ids), Delivery.first_id.is_(None))
            .group_by(Delivery.broadcast_id, Delivery.status, Delivery.waiting)
        )
        for broadcast_id, *row in rows:
            grouped[broadcast_id].append(row)
    return {bid: _fold(grouped.get(bid, [])) for bid in broadcast_ids}
