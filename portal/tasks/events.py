"""Processing stored webhook events, item by item: one item's failure never blocks the rest."""

import logging
import time

from flask import current_app

from portal.extensions import db
from portal.models import Broadcast
from portal.services.conversations import events, failures
from portal.services.delivery import outbox
from portal.tasks import URGENT_PRIORITY, app_task, wakeups

log = logging.getLogger(__name__)
DRAIN_BATCH = 20  # events claimed, applied and committed together
_gate = wakeups.Gate()


def wake_drainer() -> bool:
    """After a webhook is stored: wake a drainer, unless this process did within the last
    WEBHOOK_WAKE_SECONDS (that drainer takes this event too); whether it enqueued one."""
    return _gate.wake(current_app.config["WEBHOOK_WAKE_SECONDS"], drain_events)


@app_task(priority=URGENT_PRIORITY)
def drain_events() -> dict:
    """Process stored webhook events a batch at a time until none is left and every
    wake-up's window has passed (`wakeups`); at once handed over if one drains already."""
    drainer = wakeups.Drainer.woken(current_app.config["WEBHOOK_WAKE_SECONDS"])
    if drainer is None:
        return {"handed_over": 1}
    seen: dict[str, int] = {}
    with drainer:
        while True:
            looked = drainer.look()
            batch = events.claim_pending(limit=DRAIN_BATCH)
            if batch:
                _add(seen, _apply_batch(batch))
                continue
            db.session.rollback()
            if drainer.may_stop(looked):
                return seen
            time.sleep(0.02)


def _apply_batch(batch: list) -> dict:
    """Claimed events' items applied and the events finished in one transaction; should an
    item fail, each event again on its own (`process_event`), as if it came alone."""
    event_ids = [event_id for event_id, _ in batch]
    items = [item for _, event_items in batch for item in event_items]
    try:
        seen = _count(events.handle_all(items, find_school=events.SchoolFinder()))
        events.finish_all(event_ids)
        db.session.commit()
        start_confirmed()
    except Exception:
        db.session.rollback()
        outbox.discard()
        log.warning("webhook events %s: an item failed; one event at a time", event_ids)
        if len(batch) == 1:  # just tried whole: its items one by one, as process_event does
            seen = _apply_apart(*batch[0])
            _wake_senders_for(seen)
            return seen
        seen = {}
        for event_id in event_ids:
            _add(seen, process_event.call_local(event_id))
        return seen
    _wake_senders_for(seen)
    return seen


def _add(seen: dict, more: dict) -> None:
    for kind, count in more.items():
        seen[kind] = seen.get(kind, 0) + count


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
        seen = _count(events.handle_all(items, find_school=find_school))
        events.finish(event_id)
        db.session.commit()
        start_confirmed()
    except Exception:
        db.session.rollback()
        outbox.discard()
        log.warning("webhook event %s: an item failed; applying them one by one", event_id)
        seen = _apply_apart(event_id, items)
    _wake_senders_for(seen)
    return seen


def _wake_senders_for(seen: dict) -> None:
    if seen.get("message") or seen.get("failed") or seen.get("account"):  # replies, apologies
        # or parents a template or a raised limit let go
        from portal.tasks.delivery import send_deliveries  # here: a cycle, as above

        send_deliveries(None)


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
