"""Meta answering badly, with a real worker process: temporary errors and timeouts end with
every parent sent exactly once; a permanent error fails that parent once and only once."""

import pytest
import sqlalchemy as sa

from portal.models import Delivery, Guardian
from portal.tasks.delivery import enqueue_start, send_deliveries
from portal.tasks.sweeper import sweep
from tests.faults.conftest import by_status, duplicates, make_broadcast, settled, wait_until

pytestmark = pytest.mark.faults


def next_attempts(db, broadcast_id: int) -> dict:
    """When the waiting deliveries are next due, and how many tries they have had."""
    row = db.session.execute(
        sa.select(
            sa.func.min(Delivery.next_attempt_at),
            sa.func.max(Delivery.next_attempt_at),
            sa.func.max(Delivery.attempts),
            sa.func.max(Delivery.lease_until),
        ).where(Delivery.broadcast_id == broadcast_id, Delivery.status.in_(("pending", "sending")))
    ).one()
    return dict(zip(("first due", "last due", "most attempts", "last lease"), row, strict=True))


def test_temporary_errors_and_timeouts_end_with_everyone_sent_once(
    db, stack, fake, big_school, everyone
):
    fake.configure(
        error_5xx_rate=0.10,
        throttle_rate=0.10,
        timeout_rate=0.05,
        timeout_mode="hold",
        hold_seconds=5,  # longer than the worker's send timeout: a real client timeout
        accept_before_timeout=False,
    )
    # Two seconds: far above a loaded machine's answer time, so only the fake's held requests
    # time out (one that Meta took but answered late would rightly be sent twice).
    stack.worker(WHATSAPP_TIMEOUT_SECONDS=2, SEND_CONCURRENCY=16, WORKER_THREADS=16)
    broadcast = make_broadcast(db, big_school)
    enqueue_start(broadcast)

    wait_until(
        lambda: settled(db, broadcast.id),
        timeout=150,
        what="every delivery settled",
        show=lambda: (by_status(db, broadcast.id), next_attempts(db, broadcast.id), fake.stats()),
    )
    counts, stats = fake.counts(), fake.stats()
    print(f"fake: {stats}")
    assert set(counts) == everyone
    assert duplicates(counts) == {}
    assert by_status(db, broadcast.id) == {"accepted": len(everyone)}
    assert stats["http_5xx"] > 50 and stats["timeouts"] > 20
    assert stats["errors"].get("130429", 0) > 50
    retried = db.session.scalar(
        sa.select(sa.func.count()).where(
            Delivery.broadcast_id == broadcast.id, Delivery.attempts > 1
        )
    )
    assert retried >= stats["http_5xx"] // 2


def test_an_undeliverable_number_fails_once_and_is_never_tried_again(
    db, stack, queue, fake, big_school, everyone, steps
):
    undeliverable = set(sorted(everyone)[::100])
    fake.configure(recipient_errors=dict.fromkeys(undeliverable, 131026))
    steps("seeded")
    stack.worker()
    steps("worker started")
    broadcast = make_broadcast(db, big_school)
    enqueue_start(broadcast)

    wait_until(lambda: settled(db, broadcast.id), timeout=90, what="every delivery settled")
    steps("settled")
    # A sweep (periodic: no result to wait for) and a fresh sender later, nothing is tried again.
    sweep()
    wait_until(lambda: queue.pending_count() == 0, timeout=30, what="the sweep taken")
    send_deliveries(None).get(blocking=True, timeout=30)

    counts = fake.counts()
    assert set(counts) == everyone - undeliverable and duplicates(counts) == {}
    assert fake.stats()["errors"] == {"131026": len(undeliverable)}  # one request each
    failed = db.session.execute(
        sa.select(Guardian.phone, Delivery.attempts, Delivery.error_code)
        .join(Guardian, Delivery.guardian_id == Guardian.id)
        .where(Delivery.broadcast_id == broadcast.id, Delivery.status == "failed")
    ).all()
    assert {phone.lstrip("+") for phone, _, _ in failed} == undeliverable
    assert {(attempts, code) for _, attempts, code in failed} == {(1, 131026)}
    assert by_status(db, broadcast.id) == {
        "accepted": len(everyone) - len(undeliverable),
        "failed": len(undeliverable),
    }
