"""With the default lease and grace (no test overrides), a killed worker's deliveries wait
about a minute, not five: a live sender renews its short lease, a dead one's runs out, and
the sweeper's next round (every minute) frees them. Statuses flow, so nothing Meta took
is sent twice."""

import time

import pytest

from portal.tasks.delivery import enqueue_start
from tests.faults.conftest import by_status, duplicates, empty_queue, make_broadcast, wait_until
from tests.faults.test_crashes import delivery_ids, sent_by_then

pytestmark = pytest.mark.faults


def test_a_killed_workers_deliveries_wait_about_a_minute_with_the_defaults(
    app, db, stack, fake, big_school, everyone, steps
):
    stack.web()
    fake.configure(
        webhook_url=f"{stack.web_url}/webhooks/whatsapp",
        webhook_statuses=["sent"],
        webhook_batch=50,
    )
    worker = stack.worker(WHATSAPP_RATE_MPS=200)  # the default lease, grace and sweeper
    broadcast = make_broadcast(db, big_school)
    enqueue_start(broadcast)
    wait_until(sent_by_then(db, broadcast.id, 400), timeout=60, what="400 sent")
    worker.kill()
    killed = time.monotonic()
    time.sleep(0.5)
    in_flight = delivery_ids(db, broadcast.id, "sending")
    empty_queue(app)  # every queued wake-up is lost with it: only the sweeper is left
    assert in_flight, "nothing was in flight at the kill; nothing tested"
    steps(f"killed with {len(in_flight)} in flight")

    stack.worker(WHATSAPP_RATE_MPS=200)
    wait_until(
        lambda: not (delivery_ids(db, broadcast.id, "sending", "pending") & in_flight),
        timeout=150,
        what="the dead worker's deliveries sent again",
        show=lambda: by_status(db, broadcast.id),
    )
    waited = time.monotonic() - killed
    steps(f"the dead worker's {len(in_flight)} deliveries went {waited:.0f} s after the kill")
    wait_until(
        lambda: by_status(db, broadcast.id) == {"sent": len(everyone)},
        timeout=90,
        what="every delivery sent",
        show=lambda: by_status(db, broadcast.id),
    )
    print(f"resend wait with the defaults: {waited:.1f} s")
    assert waited < 100  # lease 15 s + grace 15 s, then the sweeper's next minute
    counts = fake.counts()
    assert set(counts) == everyone and duplicates(counts) == {}
