"""Processing stored webhook events, item by item: one item's failure never blocks the rest."""

import logging

from portal.extensions import db
from portal.models import Broadcast
from portal.services.conversations import events, failures
from portal.services.delivery import outbox
from portal.tasks import URGENT_PRIORITY, app_task

log = logging.getLogger(__name__)


@app_task(priority=URGENT_PRIORITY)
def process_event(event_id: int) -> dict:
    """Apply every item of a stored event once. The claim, every item and the event's end
    are one transaction (a batch of a hundred statuses is one commit, not a hundred); if
    any item fails, that is rolled back and the items are applied again one by one, each
    committed on its own, so one bad item never blocks the others. An event with failed
    items is tried again later (`failures`); every item is idempotent, so applying one
    twice changes nothing."""
    items = events.claim(event_id)
    if items is None:
        return {}
    find_school = events.SchoolFinder()
    try:
        seen = _count(events.handle(item, find_school=find_school) for item in items)
        events.finish(event_id)
        db.session.commit()
        start_confirmed()
    except Exception:
        db.session.rollback()
        outbox.discard()
        log.warning("webhook event %s: an item failed; applying them one by one", event_id)
        seen = _apply_apart(event_id, items)
    if seen.get("message") or seen.get("failed") or seen.get("account"):  # replies, apologies
        # or parents a template or a raised limit let go
        from portal.tasks.delivery import send_deliveries  # here: a cycle, as above

        send_deliveries(None)
    return seen


def _apply_apart(event_id: int, items: list) -> dict:
    """The items one by one; what failed is tried again later, or given up on visibly."""
    if events.claim(event_id) is None:  # (the first claim was rolled back with the items)
        return {}
    db.session.commit()  # held, with a lease, while its items go one by one
    seen, failed = _one_by_one(event_id, items)
    if not failed:
        events.finish(event_id)
        db.session.commit()
        return seen
    retry_at = failures.retry_or_give_up(event_id, failed)
    db.session.commit()
    if retry_at is not None:
        process_event.schedule((event_id,), eta=retry_at)
    return seen


def _one_by_one(event_id: int, items: list) -> tuple[dict, list[failures.Failure]]:
    """Each item in a transaction of its own; a failure is recorded and the rest go on."""
    kinds, failed, find_school = [], [], events.SchoolFinder()
    for index, item in enumerate(items):
        try:
            kind = events.handle(item, find_school=find_school)
            db.session.commit()
            start_confirmed()
        except Exception as exc:  # one bad item must not block the others; it is recorded
            db.session.rollback()
            outbox.discard()
            failure = failures.Failure(index, item, exc)
            log.warning("webhook event %s: %s", event_id, failure.describe())
            kind = "failed"
            failed.append(failure)
        kinds.append(kind)
    return _count(kinds), failed


def _count(kinds) -> dict[str, int]:
    seen: dict[str, int] = {}
    for kind in kinds:
        seen[kind] = seen.get(kind, 0) + 1
    return seen


def start_confirmed() -> None:
    """Start what a teacher's message confirmed, and fetch the files messages carried,
    now that they are committed."""
    from portal.tasks.delivery import enqueue_start  # here: a cycle through tasks.sandbox

    for broadcast_id in outbox.take_starts():
        enqueue_start(db.session.get(Broadcast, broadcast_id))
    downloads = outbox.take_downloads()
    if downloads:
        from portal.tasks.media import fetch_media  # here: it wakes the senders too

        for message_id in downloads:
            fetch_media(message_id)
