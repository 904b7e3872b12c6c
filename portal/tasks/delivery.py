"""Tasks that move broadcasts: start when due, send deliveries, sweep what no worker holds.
Each loads by id, calls services, commits; the database decides, tasks only wake workers."""

import time

from flask import current_app

from portal.extensions import db
from portal.services import broadcasts, sending, transport, webhooks
from portal.tasks import app_task
from portal.tasks.schedule import nepal_crontab


@app_task()
def start_broadcast(broadcast_id: int) -> bool:
    """Claim a due broadcast (only one caller wins), fan it out and wake the senders."""
    if not broadcasts.claim(broadcast_id):
        return False
    broadcasts.fan_out(db.session.get(broadcasts.Broadcast, broadcast_id))
    db.session.commit()
    wake_senders(broadcast_id)
    return True


def wake_senders(broadcast_id: int | None = None) -> None:
    """Enqueue as many sender tasks as the deployment sends in parallel."""
    for _ in range(current_app.config["SEND_CONCURRENCY"]):
        send_deliveries(broadcast_id)


@app_task()
def send_deliveries(broadcast_id: int | None = None) -> int:
    """Claim and send batches until nothing is due, for at most one time slice (so a
    graceful shutdown never waits long); what is left is handed to a fresh task."""
    sent, via = 0, transport.current_transport()
    ends = time.monotonic() + current_app.config["SEND_SLICE_SECONDS"]
    while time.monotonic() < ends and (ids := sending.claim_batch(broadcast_id=broadcast_id)):
        db.session.commit()
        for job in sending.load_jobs(ids):
            outcome = sending.send(job, transport=via)
            db.session.commit()  # the wamid is stored before the next message goes
            sent += outcome == "accepted"
            after_send(job, outcome)
    if time.monotonic() >= ends and sending.has_due_work():
        send_deliveries(broadcast_id)
    finish_broadcasts(broadcast_id)
    return sent


def after_send(job, outcome: str) -> None:
    if outcome == "accepted" and transport.is_sandbox():
        from portal.tasks.sandbox import play_statuses

        play_statuses(job.delivery.id)


def finish_broadcasts(broadcast_id: int | None) -> None:
    ids = [broadcast_id] if broadcast_id else broadcasts.sending_ids()
    for bid in ids:
        broadcasts.complete_if_done(bid)
    db.session.commit()


@app_task(periodic=nepal_crontab(minute="*"))
def dispatch_due() -> int:
    """Every minute: start every broadcast whose time has come (the eta may have been lost)."""
    started = 0
    for broadcast_id in broadcasts.due_ids():
        started += bool(start_broadcast.call_local(broadcast_id))
    return started


@app_task(periodic=nepal_crontab(minute="*"), lock="sandesh-sweeper")
def sweep() -> dict:
    """Every minute, once per deployment: re-enqueue what no worker holds."""
    released = sending.release_expired_leases(grace=current_app.config["RESEND_GRACE"])
    db.session.commit()
    events = webhooks.unprocessed_ids()
    from portal.tasks.webhooks import process_event

    for event_id in events:
        process_event(event_id)
    if sending.has_due_work():
        wake_senders()
    finish_broadcasts(None)
    return {"released": released, "events": len(events)}


def enqueue_start(broadcast) -> None:
    """After the broadcast is committed: start it now, or at its time via a Huey eta (the
    dispatcher starts it anyway if that wake-up is lost)."""
    from portal.services import clock

    if broadcast.scheduled_at <= clock.now():
        start_broadcast(broadcast.id)
    else:
        start_broadcast.schedule((broadcast.id,), eta=broadcast.scheduled_at)
