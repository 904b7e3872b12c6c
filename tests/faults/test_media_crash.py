"""A worker killed with SIGKILL in the middle of a photo broadcast to 2,000 guardians, with
status webhooks flowing: after a restart and the sweeper, every guardian has the photo once,
and the file was uploaded to Meta once for the whole broadcast."""

import time

import httpx
import pytest

from portal.services.media import files
from portal.tasks.delivery import enqueue_start
from tests import media_samples
from tests.faults.conftest import by_status, duplicates, empty_queue, make_broadcast, wait_until
from tests.faults.test_crashes import (
    CRASH,
    accepted_ids,
    delivery_ids,
    event_states,
    sent_by_then,
    sweep_until_settled,
)

pytestmark = pytest.mark.faults


def uploads(fake) -> list[dict]:
    return httpx.get(f"{fake.control}/uploads", timeout=10).json()["uploads"]


def test_a_worker_killed_mid_photo_broadcast_misses_nobody_and_sends_nobody_twice(
    app, db, stack, fake, big_school, everyone, steps
):
    stack.web()
    fake.configure(
        webhook_url=f"{stack.web_url}/webhooks/whatsapp",
        webhook_statuses=["sent"],
        webhook_batch=50,
    )
    photo = files.accept(
        school=big_school,
        data=media_samples.photo(1600, 1200),
        filename="sports-day.jpg",
        declared="image/jpeg",
        source="portal",
    )
    db.session.commit()
    broadcast = make_broadcast(db, big_school)
    broadcast.media_file_id = photo.id
    db.session.commit()
    worker = stack.worker(RESEND_GRACE_SECONDS=20, **CRASH)
    enqueue_start(broadcast)
    wait_until(sent_by_then(db, broadcast.id, 600), timeout=60, what="600 sent")
    steps("600 sent")

    worker.kill()
    time.sleep(0.5)
    in_flight = delivery_ids(db, broadcast.id, "sending")
    empty_queue(app)
    stack.worker(RESEND_GRACE_SECONDS=20, **CRASH)
    steps("restarted")
    sweep_until_settled(db, broadcast.id, timeout=90)
    final = {"sent": len(everyone)}
    wait_until(
        lambda: by_status(db, broadcast.id) == final,
        timeout=30,
        what=f"all {final}",
        show=lambda: (by_status(db, broadcast.id), fake.stats(), event_states(db)),
    )
    steps("all sent")
    counts = fake.counts()
    assert set(counts) == everyone and duplicates(counts) == {}
    assert max(accepted_ids(fake).values()) == 1
    [upload] = uploads(fake)  # one upload for the whole broadcast, kill or not
    assert upload["sha256"] == photo.sha256
    sent = fake.messages()
    assert {m["media"]["id"] for m in sent} == {upload["id"]}
    # Every message the photo template: in English, or the carrier of Nepali readers' text.
    assert {m["template"] for m in sent} <= {"sandesh_notice_image", "sandesh_notice_image_ne"}
    assert len(sent) == len(everyone)
    print(f"in flight at the kill: {len(in_flight)}; uploads: 1; messages: {len(sent)}")
