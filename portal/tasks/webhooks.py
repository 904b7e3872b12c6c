"""Processing stored webhook events, item by item: one item's failure never blocks the rest."""

import logging

from portal.extensions import db
from portal.services import outbox, webhooks
from portal.tasks import app_task

log = logging.getLogger(__name__)


@app_task()
def process_event(event_id: int) -> dict:
    """Apply every item of a stored event once; each item commits on its own."""
    if not webhooks.claim(event_id):
        return {}
    db.session.commit()
    seen, failures, find_school = {}, [], webhooks.SchoolFinder()
    for index, item in enumerate(webhooks.items(event_id)):
        try:
            kind = webhooks.handle(item, find_school=find_school)
            db.session.commit()
            start_confirmed()
        except Exception as exc:  # one bad item must not block the others; it is recorded
            db.session.rollback()
            outbox.discard()
            log.exception("webhook event %s item %s failed", event_id, index)
            kind = "failed"
            failures.append(f"item {index}: {type(exc).__name__}: {exc}")
        seen[kind] = seen.get(kind, 0) + 1
    webhooks.finish(event_id, failures=failures)
    db.session.commit()
    if seen.get("message"):  # messages acted on may have queued replies
        from portal.tasks.delivery import send_deliveries

        send_deliveries(None)
    return seen


def start_confirmed() -> None:
    """Start what a teacher's message confirmed, now that it is committed."""
    from portal.extensions import db
    from portal.models import Broadcast
    from portal.tasks.delivery import enqueue_start

    for broadcast_id in outbox.take_starts():
        enqueue_start(db.session.get(Broadcast, broadcast_id))
