"""Fault tests with real processes: the Procfile's worker (and web) lines run as subprocesses
on this run's database and queue, sending to the fake Graph API running in this process.

The test process enqueues into the consumers' queue itself: its Huey is switched out of
immediate mode for the test, so `enqueue_start` puts the start task where a consumer takes
it, exactly as the portal does. Settings for the subprocesses come through the environment.
"""

import datetime
import os
import time

import pytest
import redis
import sqlalchemy as sa

from portal.config import INSTANCE_PATH
from portal.extensions import huey
from portal.models import Delivery
from portal.services.broadcasting import broadcasts
from tests.faults.seed import guardian_digits, notice_to_everyone, seed_school
from tests.faults.stack import APP_SECRET, PHONE_NUMBER_ID, FakeProcess, Stack

GUARDIANS = 2000
# Faster than production where a test does not need the real pace: the 80 msg/s limit
# lifted, short slices, retries within two seconds, a one-second send timeout.
FAST = {
    "WHATSAPP_RATE_MPS": 2000,
    "SEND_SLICE_SECONDS": 5,
    "RETRY_CAP_SECONDS": 2,
    "WHATSAPP_TIMEOUT_SECONDS": 1,
    "WORKER_THREADS": 4,
    "WEB_CONCURRENCY": 1,
}


@pytest.fixture
def fake(tmp_path):
    """The fake Graph API, a real HTTP server in a process of its own."""
    fake = FakeProcess(tmp_path, app_secret=APP_SECRET)
    yield fake
    fake.stop()


@pytest.fixture
def queue(app):
    """This process's Huey enqueues for real (into the consumers' queue), emptied before and
    after; the Redis database is emptied too (speed limits, locks)."""
    huey.immediate = False
    empty_queue(app)
    yield huey
    empty_queue(app)
    huey.immediate = True


def empty_queue(app) -> None:
    """What `FLUSHDB` does on the production stack; the queue's rows in embedded mode."""
    if app.config["REDIS_URL"]:
        redis.Redis.from_url(app.config["REDIS_URL"]).flushdb()
    else:
        huey.storage.flush_all()
        huey.storage.close()  # its connection closed, not left to the garbage collector


@pytest.fixture
def stack(app, db, fake, queue, tmp_path):
    """Start web and worker processes on demand; every one is stopped at the end."""
    stack = Stack(
        api_url=fake.url,
        database_url=app.config["SQLALCHEMY_DATABASE_URI"],
        redis_url=app.config["REDIS_URL"],
        log_dir=tmp_path,
        SANDESH_INSTANCE_PATH=INSTANCE_PATH,
        **FAST,
    )
    yield stack
    stack.stop()
    print(stack.logs())  # shown when the test failed


@pytest.fixture
def big_school(db):
    """A school with 2,000 guardians, one child each, and no quiet hours."""
    school = seed_school(guardians=GUARDIANS, phone_number_id=PHONE_NUMBER_ID)
    school.quiet_start = school.quiet_end = datetime.time(0, 0)
    db.session.commit()
    return school


@pytest.fixture
def everyone(big_school):
    """Every guardian's number, digits only (as the fake records recipients)."""
    return guardian_digits(big_school.id)


def make_broadcast(db, school):
    """A notice to the whole school, created and committed as the portal does."""
    broadcast = notice_to_everyone(
        school, body_en="School is closed tomorrow.", body_ne="भोलि विद्यालय बन्द छ।"
    )
    db.session.commit()
    return broadcast


def wait_until(check, *, timeout: float, interval: float = 0.25, what: str = "", show=None):
    """Poll until `check()` is truthy; its value. Fails the test after `timeout` seconds,
    saying what it waited for and what `show()` says the state is."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            state = f"; state: {show()}" if show else ""
            raise AssertionError(f"timed out after {timeout} s waiting for {what}{state}")
        time.sleep(interval)


def by_status(db, broadcast_id: int) -> dict[str, int]:
    """Deliveries of a broadcast by status, read afresh."""
    db.session.rollback()  # a new snapshot: other processes are writing
    rows = db.session.execute(
        sa.select(Delivery.status, sa.func.count())
        .where(Delivery.broadcast_id == broadcast_id)
        .group_by(Delivery.status)
    )
    return dict(rows.all())


def settled(db, broadcast_id: int) -> bool:
    """Nothing waiting or being sent, and the broadcast marked completed."""
    counts = by_status(db, broadcast_id)
    status = db.session.scalar(
        sa.select(broadcasts.Broadcast.status).where(broadcasts.Broadcast.id == broadcast_id)
    )
    return (
        bool(counts)
        and not counts.get("pending")
        and not counts.get("sending")
        and (status == "completed")
    )


def duplicates(counts: dict[str, int]) -> dict[str, int]:
    """Recipients the fake accepted more than one message for."""
    return {to: n for to, n in counts.items() if n > 1}


def on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgres")


@pytest.fixture
def steps():
    """Prints how long each step of a test took (pytest -s shows it)."""
    started = time.monotonic()

    def step(label: str) -> None:
        print(f"[{time.monotonic() - started:7.2f}s] {label}")

    return step
