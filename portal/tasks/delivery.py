"""Tasks that move broadcasts: start when due, send deliveries, sweep what no worker holds.
Each loads by id, calls services, commits; the database decides, tasks only wake workers."""

import contextlib
import logging
import time

from flask import current_app

from portal.extensions import db
from portal.models import Broadcast, DeliveryStatus
from portal.services.broadcasting import dispatch
from portal.services.common import clock
from portal.services.delivery import claims, digests, sending, transport
from portal.services.delivery.ledger import open_ledger
from portal.tasks import SCHEDULE_PRIORITY, URGENT_PRIORITY, app_task
from portal.tasks.crontab import nepal_crontab
from portal.tasks.schedules import make_occurrences

log = logging.getLogger(__name__)
RETRY_HORIZON_SECONDS = 60  # the sweeper wakes senders every minute
DIGEST_ROUNDS = 20  # of digests.GUARDIANS_A_ROUND guardians each, a minute


FIRST_PART = 1000  # deliveries made and committed before the senders are woken


@app_task(priority=URGENT_PRIORITY)
def start_broadcast(broadcast_id: int) -> bool:
    """Claim a due broadcast (only one caller wins) with the first part of its deliveries,
    wake the senders, then make the rest while they send (a big school's first messages
    go at once, not after every delivery is made; should this worker die in between, the
    sweeper makes the rest)."""
    if not dispatch.claim(broadcast_id):
        return False
    broadcast = db.session.get(Broadcast, broadcast_id)
    rows = dispatch.delivery_rows(broadcast)
    first, rest = rows[:FIRST_PART], rows[FIRST_PART:]
    dispatch.make_deliveries(broadcast, first, last=not rest)
    db.session.commit()
    sending.upload_media_first(broadcast, transport.current_transport())
    wake_senders(broadcast_id)
    if rest:
        finish_fan_out(broadcast, rest)
    if dispatch.refresh_statistics(len(rows)):
        db.session.commit()
    return True


def finish_fan_out(broadcast: Broadcast, rows: list[dict] | None = None) -> None:
    """Make the rest of a broadcast's deliveries (all of them again, for the sweeper: what
    exists already is left as it is), mark it fanned out and wake its senders for them."""
    if rows is None:
        rows = dispatch.delivery_rows(broadcast)
    dispatch.make_deliveries(broadcast, rows, last=True)
    db.session.commit()
    wake_senders(broadcast.id)


def wake_senders(broadcast_id: int | None = None) -> bool:
    """Enqueue as many sender tasks as the deployment sends in parallel. Only a wake-up:
    with the queue unreachable it is logged and lost, and the sweeper wakes them within a
    minute (the deliveries are committed already); whether it was enqueued."""
    try:
        for _ in range(current_app.config["SEND_CONCURRENCY"]):
            send_deliveries(broadcast_id)
    except Exception:  # the queue is down; the work is safe in the database
        log.exception("could not wake the senders; the sweeper will")
        return False
    return True


@app_task()
def send_deliveries(broadcast_id: int | None = None) -> int:
    """Claim and send batches until nothing is due, for at most one time slice (so a
    graceful shutdown never waits long); what is left is handed to a fresh task."""
    sent, via = 0, transport.current_transport()
    ends = time.monotonic() + current_app.config["SEND_SLICE_SECONDS"]
    with no_reload_after_commit(), open_ledger() as ledger:
        while time.monotonic() < ends and (ids := claims.claim_batch(broadcast_id=broadcast_id)):
            db.session.commit()
            jobs, lease = claims.load_jobs(ids), claims.BatchLease(ids)
            db.session.commit()
            jobs = sending.admit(jobs)  # the messaging limit may hold some back
            for job in jobs:
                if lease.due():  # still alive: keep the batch (a dead sender's goes soon)
                    lease.renew()
                    db.session.commit()
                # The ledger commits the wamid before the next message goes; the session
                # carries what else the send changed, if anything.
                outcome = sending.send(job, transport=via, ledger=ledger)
                if db.session().in_transaction():
                    db.session.commit()
                sent += outcome == DeliveryStatus.ACCEPTED
                after_send(job, outcome)
    if time.monotonic() >= ends and claims.has_due_work():
        send_deliveries(broadcast_id)
    else:
        wake_for_retries(broadcast_id)
    finish_broadcasts(broadcast_id)
    return sent


@contextlib.contextmanager
def no_reload_after_commit():
    """Every change a sender makes is a conditional UPDATE, so what it loaded need not be
    read again after each commit; the session's own setting comes back afterwards."""
    session = db.session()
    before, session.expire_on_commit = session.expire_on_commit, False
    try:
        yield
    finally:
        session.expire_on_commit = before


def wake_for_retries(broadcast_id: int | None) -> None:
    """Retries due before the sweeper's next round get a sender at their own time, so a
    few seconds' backoff does not become a minute's wait."""
    due = claims.next_attempt_at(broadcast_id=broadcast_id)
    if due is None:
        return
    delay = (due - clock.now()).total_seconds()
    if delay < RETRY_HORIZON_SECONDS:
        send_deliveries.schedule((broadcast_id,), delay=max(delay, 1.0))


def after_send(job, outcome: str) -> None:
    if outcome == DeliveryStatus.ACCEPTED and transport.is_sandbox():
        # here, not above: tasks.sandbox plays statuses through tasks.events, which wakes
        # the senders of this module
        from portal.tasks.sandbox import play_statuses

        play_statuses(job.delivery.id)


def finish_broadcasts(broadcast_id: int | None) -> None:
    ids = [broadcast_id] if broadcast_id else dispatch.sending_ids()
    for bid in ids:
        dispatch.complete_if_done(bid)
    db.session.commit()


@app_task(periodic=nepal_crontab(minute="*"), priority=SCHEDULE_PRIORITY)
def dispatch_due() -> int:
    """Every minute: make recurring schedules' due occurrences, start every broadcast whose
    time has come (the eta may have been lost), then the daily digests that are due."""
    make_occurrences()
    started = 0
    for broadcast_id in dispatch.due_ids():
        started += bool(start_broadcast.call_local(broadcast_id))
    if make_digests():
        wake_senders()
    return started


def make_digests() -> int:
    """Every guardian's due held messages into their digest, a round at a time, each round
    committed; how many held messages were taken up."""
    taken = 0
    for _ in range(DIGEST_ROUNDS):
        done = digests.make_due()
        db.session.commit()
        if not done:
            break
        taken += done
    return taken


def enqueue_start(broadcast) -> bool:
    """After the broadcast is committed: start it now, or at its time via a Huey eta. Only
    a wake-up: with the queue unreachable it is logged and the dispatcher starts the
    broadcast within a minute of its time, so the caller still answers success (a client
    told of a failure would send it again); whether it was enqueued."""
    try:
        if broadcast.scheduled_at <= clock.now():
            start_broadcast(broadcast.id)
        else:
            start_broadcast.schedule((broadcast.id,), eta=broadcast.scheduled_at)
    except Exception:  # the queue is down; the broadcast is committed and will go
        log.exception("could not enqueue broadcast %s; the dispatcher will start it", broadcast.id)
        return False
    return True
