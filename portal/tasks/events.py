"""Processing stored webhook events, item by item: one item's failure never blocks the rest."""

import logging
import traceback

from portal.extensions import db
from portal.models import Broadcast
from portal.services.conversations import events
from portal.services.delivery import outbox
from portal.tasks import URGENT_PRIORITY, app_task

log = logging.getLogger(__name__)


@app_task(priority=URGENT_PRIORITY)
def process_event(event_id: int) -> dict:
    """Apply every item of a stored event once. The claim, every item and the event's end
    are one transaction (a batch of a hundred statuses is one commit, not a hundred); if
    any item fails, that is rolled back and the items are applied again one by one, each
    committed on its own, so one bad item never blocks the others. Every item is
    idempotent, so applying one twice changes nothing."""
    items = events.claim(event_id)
    if items is None:
        return {}
    find_school = events.SchoolFinder()
    try:
        seen = _count(events.handle(item, find_school=find_school) for item in items)
        events.finish(event_id, failures=[])
        db.session.commit()
        start_confirmed()
    except Exception:
        db.session.rollback()
        outbox.discard()
        log.warning("webhook event %s: an item failed; applying them one by one", event_id)
        if events.claim(event_id) is None:
            return {}
        db.session.commit()  # held, with a lease, while its items go one by one
        seen, failures = _one_by_one(event_id, items)
        events.finish(event_id, failures=failures)
        db.session.commit()
    if seen.get("message"):  # messages acted on may have queued replies
        from portal.tasks.delivery import send_deliveries  # here: a cycle, as above

        send_deliveries(None)
    return seen


def _one_by_one(event_id: int, items: list) -> tuple[dict, list[str]]:
    """Each item in a transaction of its own; a failure is recorded and the rest go on."""
    kinds, failures, find_school = [], [], events.SchoolFinder()
    for index, item in enumerate(items):
        try:
            kind = events.handle(item, find_school=find_school)
            db.session.commit()
            start_confirmed()
        except Exception as exc:  # one bad item must not block the others; it is recorded
            db.session.rollback()
            outbox.discard()
            kind = "failed"
            failures.append(_failure(event_id, index, item, exc))
        kinds.append(kind)
    return _count(kinds), failures


def _failure(event_id: int, index: int, item, exc: Exception) -> str:
    """Log and describe a failed item by its error's class and its ids only: an exception's
    message may quote what a parent wrote or their number, which no log or stored error
    keeps (the frames of the traceback are logged, they hold code, not values)."""
    wamid = getattr(item, "wamid", None) or "-"
    failure = f"item {index}: {type(exc).__name__} (wamid {wamid})"
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("webhook event %s %s\n%s", event_id, failure, frames)
    return failure


def _count(kinds) -> dict[str, int]:
    seen: dict[str, int] = {}
    for kind in kinds:
        seen[kind] = seen.get(kind, 0) + 1
    return seen


def start_confirmed() -> None:
    """Start what a teacher's message confirmed, now that it is committed."""
    from portal.tasks.delivery import enqueue_start  # here: a cycle through tasks.sandbox

    for broadcast_id in outbox.take_starts():
        enqueue_start(db.session.get(Broadcast, broadcast_id))
