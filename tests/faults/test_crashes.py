"""Workers that die or are stopped in the middle of a broadcast: nothing is lost, and nothing
is sent twice unless Meta took a message whose answer the dead worker never stored."""

import collections
import time

import pytest
import sqlalchemy as sa

from portal.models import Delivery, WebhookEvent
from portal.tasks.delivery import enqueue_start
from portal.tasks.sweeper import sweep
from tests.faults.conftest import (
    by_status,
    duplicates,
    empty_queue,
    make_broadcast,
    settled,
    wait_until,
)
from tests.faults.stack import shutdown_timeout

pytestmark = pytest.mark.faults

# A dead worker's deliveries are free again 3 s after they were claimed plus the grace
# period; the sweeper first applies stored statuses that no worker did (received over 2 s
# ago, or held by a dead worker past a 2 s lease), so a message Meta took is not sent again.
CRASH = {
    "DELIVERY_LEASE_SECONDS": 3,
    "WEBHOOK_STALE_SECONDS": 2,
    "WEBHOOK_LEASE_SECONDS": 2,
    "WHATSAPP_RATE_MPS": 200,
}


def sent_by_then(db, broadcast_id: int, count: int):
    """A check: at least `count` deliveries accepted (or further) by now."""

    def check():
        counts = by_status(db, broadcast_id)
        return sum(n for status, n in counts.items() if status in ("accepted", "sent")) >= count

    return check


def delivery_ids(db, broadcast_id: int, *statuses: str) -> set[int]:
    db.session.rollback()
    return set(
        db.session.scalars(
            sa.select(Delivery.id).where(
                Delivery.broadcast_id == broadcast_id, Delivery.status.in_(statuses)
            )
        )
    )


def event_states(db) -> dict:
    rows = db.session.execute(
        sa.select(WebhookEvent.status, sa.func.count()).group_by(WebhookEvent.status)
    )
    return dict(rows.all())


def accepted_ids(fake) -> collections.Counter:
    """How many messages the fake accepted per delivery (by the callback data each carries)."""
    return collections.Counter(int(m["callback_data"].removeprefix("d:")) for m in fake.messages())


def sweep_until_settled(db, broadcast_id: int, timeout: float) -> None:
    """Enqueue the sweeper's round now and then, as its minute schedule would, until done."""
    deadline = time.monotonic() + timeout
    while not settled(db, broadcast_id):
        assert time.monotonic() < deadline, f"not settled after {timeout} s"
        sweep()
        time.sleep(2)


@pytest.mark.parametrize("webhooks", [True, False], ids=["with-statuses", "without-statuses"])
def test_a_worker_killed_mid_broadcast_loses_nothing(
    app, db, stack, fake, big_school, everyone, webhooks, steps
):
    if webhooks:
        stack.web()
        fake.configure(
            webhook_url=f"{stack.web_url}/webhooks/whatsapp",
            webhook_statuses=["sent"],
            webhook_batch=50,  # Meta batches statuses under load
        )
    # With statuses flowing, the grace must outlast a loaded machine's webhook round trip
    # (fake → web → stored event → processed), or a message Meta took is sent again.
    grace = 20 if webhooks else 1
    worker = stack.worker(RESEND_GRACE_SECONDS=grace, **CRASH)
    broadcast = make_broadcast(db, big_school)
    enqueue_start(broadcast)
    wait_until(sent_by_then(db, broadcast.id, 600), timeout=60, what="600 sent")
    steps("600 sent")

    worker.kill()
    time.sleep(0.5)  # a request that reached the fake before the kill gets its answer
    in_flight = delivery_ids(db, broadcast.id, "sending")
    unconfirmed = set(accepted_ids(fake)) - delivery_ids(
        db, broadcast.id, "accepted", "sent", "delivered", "read"
    )
    empty_queue(app)  # FLUSHDB on Redis: every queued wake-up is gone
    assert unconfirmed <= in_flight and len(in_flight) <= 8 * 25  # at most a batch a sender

    stack.worker(RESEND_GRACE_SECONDS=grace, **CRASH)
    steps("restarted")
    sweep_until_settled(db, broadcast.id, timeout=90)
    steps("settled")

    final = {"sent" if webhooks else "accepted": len(everyone)}
    wait_until(
        lambda: by_status(db, broadcast.id) == final,
        timeout=30,
        what=f"all {final}",
        show=lambda: (by_status(db, broadcast.id), fake.stats(), event_states(db)),
    )
    steps("all final")
    counts = fake.counts()
    twice = {d for d, n in accepted_ids(fake).items() if n > 1}
    print(
        f"in flight at the kill: {len(in_flight)} claimed, {len(unconfirmed)} taken by Meta "
        f"but not stored; sent twice: {len(twice)}"
    )
    assert set(counts) == everyone
    if webhooks:
        assert duplicates(counts) == {}
    else:
        assert twice <= unconfirmed and len(duplicates(counts)) == len(twice)


def test_sigterm_stops_a_worker_within_its_timeout_and_it_carries_on_after_restart(
    db, stack, fake, big_school, everyone
):
    worker = stack.worker(WHATSAPP_RATE_MPS=200)
    broadcast = make_broadcast(db, big_school)
    enqueue_start(broadcast)
    wait_until(sent_by_then(db, broadcast.id, 400), timeout=60, what="400 sent")

    took = worker.terminate(timeout=shutdown_timeout() + 10)
    print(f"stopped {took:.1f} s after SIGTERM (shutdown timeout {shutdown_timeout():.0f} s)")
    assert took <= shutdown_timeout()
    left = by_status(db, broadcast.id)
    assert "sending" not in left  # every claimed batch was finished, none left leased
    assert left.get("pending", 0) > 0, "the broadcast finished before the stop; nothing tested"

    stack.worker(WHATSAPP_RATE_MPS=200)  # the queued hand-over task carries on, no sweeper
    wait_until(lambda: settled(db, broadcast.id), timeout=60, what="every delivery settled")
    counts = fake.counts()
    assert set(counts) == everyone and duplicates(counts) == {}
    assert by_status(db, broadcast.id) == {"accepted": len(everyone)}
