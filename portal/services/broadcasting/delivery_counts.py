"""Delivery counts in the API's shape, for one broadcast or a page of them: one per guardian
(the later parts of a long message are not counted again)."""

from collections import defaultdict

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Delivery


def of_broadcast(broadcast_id: int) -> dict[str, int]:
    """Deliveries by status, in the API's shape (pending includes those being sent)."""
    rows = db.session.execute(
        sa.select(Delivery.status, sa.func.count())
        .where(Delivery.broadcast_id == broadcast_id, Delivery.first_id.is_(None))
        .group_by(Delivery.status)
    ).all()
    return tally(dict(rows))


def tally(by_status: dict[str, int]) -> dict[str, int]:
    """Delivery counts by raw status folded into the API's shape: pending includes those
    being sent and those held for the daily digest, sent includes those Meta accepted,
    skipped includes those cancelled."""
    waiting = ("pending", "sending", "held")
    return {
        "total": sum(by_status.values()),
        "pending": sum(by_status.get(status, 0) for status in waiting),
        "sent": by_status.get("accepted", 0) + by_status.get("sent", 0),
        "delivered": by_status.get("delivered", 0),
        "read": by_status.get("read", 0),
        "failed": by_status.get("failed", 0),
        "skipped": by_status.get("skipped", 0) + by_status.get("cancelled", 0),
    }


def of_broadcasts(broadcast_ids: list[int]) -> dict[int, dict[str, int]]:
    """Counts for many broadcasts in one query (a list page's worth)."""
    grouped: dict[int, dict[str, int]] = defaultdict(dict)
    if broadcast_ids:
        rows = db.session.execute(
            sa.select(Delivery.broadcast_id, Delivery.status, sa.func.count())
            .where(Delivery.broadcast_id.in_(broadcast_ids), Delivery.first_id.is_(None))
            .group_by(Delivery.broadcast_id, Delivery.status)
        )
        for broadcast_id, status, count in rows:
            grouped[broadcast_id][status] = count
    return {bid: tally(grouped.get(bid, {})) for bid in broadcast_ids}
