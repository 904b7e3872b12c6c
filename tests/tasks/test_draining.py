"""The drainer of stored webhook events: every event taken, batches together, and the
promise that lets the web skip wake-ups (nothing stored in a skipped window is left)."""

import os
import threading
import time

import pytest
import redis
import sqlalchemy as sa

from portal.models import Delivery, WebhookEvent
from portal.services.conversations import events
from portal.tasks import events as event_tasks
from portal.tasks import wakeups
from portal.tasks.delivery import start_broadcast
from tests.fakes.status_webhooks import status_item, webhook_body
from tests.helpers import make_broadcast


@pytest.fixture
def accepted(db, roster, recorder):
    """Three messages Meta accepted."""
    start_broadcast.call_local(make_broadcast(roster["school"], ["5A"]).id)
    return db.session.scalars(sa.select(Delivery).order_by(Delivery.id)).all()


def stored(school, deliveries, status: str) -> int:
    """A status webhook for the deliveries, stored as the web stores it (not processed)."""
    items = [
        status_item({"wamid": d.wamid, "recipient": "9779840000000"}, status, time.time())
        for d in deliveries
    ]
    return events.store(webhook_body(school.phone_number_id, items))


def test_a_drainer_takes_every_pending_event_several_at_once(db, roster, accepted, monkeypatch):
    school = roster["school"]
    ids = [stored(school, accepted, name) for name in ("sent", "delivered", "read")]
    db.session.commit()
    batches = []
    real_claim = events.claim_pending

    def claim_pending(*, limit):
        batch = real_claim(limit=limit)
        batches.append([event_id for event_id, _ in batch])
        return batch

    monkeypatch.setattr(events, "claim_pending", claim_pending)
    assert event_tasks.drain_events.call_local() == {"status": 9}
    assert batches[0] == ids and batches[-1] == []  # together, then nothing left
    db.session.expire_all()
    assert {e.status for e in db.session.scalars(sa.select(WebhookEvent))} == {"processed"}
    assert {d.status for d in db.session.scalars(sa.select(Delivery))} == {"read"}


def test_a_failing_item_sends_the_batch_through_event_by_event(db, roster, accepted, monkeypatch):
    """One event's item raising rolls the batch back; each event then goes alone, so the
    others are applied and only the failing one waits for its next try."""
    from portal.services.delivery import status_batches, statuses

    school, bad_wamid = roster["school"], accepted[1].wamid
    good, bad = stored(school, accepted[:1], "read"), stored(school, accepted[1:2], "read")
    db.session.commit()
    real_take, real_take_all = statuses.take, status_batches.take_all

    def take(*, school_id, update):
        if update.wamid == bad_wamid:
            raise RuntimeError("the database said no")
        return real_take(school_id=school_id, update=update)

    def take_all(items):
        if any(update.wamid == bad_wamid for _, update in items):
            raise RuntimeError("the database said no")
        return real_take_all(items)

    monkeypatch.setattr(statuses, "take", take)
    monkeypatch.setattr(status_batches, "take_all", take_all)
    seen = event_tasks.drain_events.call_local()
    assert seen == {"status": 1, "failed": 1}
    db.session.expire_all()
    assert db.session.get(WebhookEvent, good).status == "processed"
    waiting = db.session.get(WebhookEvent, bad)
    assert waiting.status == "pending" and waiting.retry_at is not None
    assert db.session.get(Delivery, accepted[0].id).status == "read"
    assert db.session.get(Delivery, accepted[1].id).status == "accepted"


def test_an_event_stored_within_the_window_is_taken_by_the_woken_drainer(
    app, db, roster, accepted, monkeypatch
):
    """The web skipped this event's wake-up (a drainer was woken a moment before): the
    drainer keeps looking until the window has passed, so it takes the event too."""
    monkeypatch.setitem(app.config, "WEBHOOK_WAKE_SECONDS", 0.5)
    school_id = roster["school"].id

    def store_a_moment_later():
        time.sleep(0.15)
        with app.app_context():
            from portal.extensions import db as session_db
            from portal.models import School

            late = stored(session_db.session.get(School, school_id), accepted, "delivered")
            session_db.session.commit()
            found.append(late)

    found: list[int] = []
    later = threading.Thread(target=store_a_moment_later)
    started = time.monotonic()
    later.start()
    seen = event_tasks.drain_events.call_local()
    later.join()
    assert time.monotonic() - started >= 0.5  # it looked past the window
    assert seen == {"status": 3}
    db.session.expire_all()
    assert db.session.get(WebhookEvent, found[0]).status == "processed"


def test_the_web_wakes_a_drainer_at_most_once_a_window_and_again_after_a_failure():
    gate, calls = wakeups.Gate(), []
    assert gate.wake(60, lambda: calls.append(1)) is True
    assert gate.wake(60, lambda: calls.append(2)) is False  # the first one's drainer takes it
    assert calls == [1]

    def down():
        raise ConnectionError("queue down")

    fresh = wakeups.Gate()
    with pytest.raises(ConnectionError):
        fresh.wake(60, down)
    assert fresh.wake(60, lambda: calls.append(3)) is True  # a lost wake-up is not counted
    assert gate.wake(0, lambda: calls.append(4)) is True  # no window: every time
    assert calls == [1, 3, 4]


def clocks():
    yield pytest.param(wakeups.LocalClock, id="in-process")
    url = os.environ.get("REDIS_URL")
    marks = [] if url else [pytest.mark.skip(reason="the embedded stack has no Redis")]
    yield pytest.param(lambda: _redis_clock(url), id="redis", marks=marks)


def _redis_clock(url):
    conn = redis.Redis.from_url(url)
    conn.delete(*wakeups.KEYS)
    return wakeups.RedisClock(conn)


@pytest.mark.parametrize("make", list(clocks()))
def test_a_wake_up_finding_a_drainer_at_work_hands_it_the_promise(make):
    clock = make()
    assert clock.wake("first", 0.0) is True  # drains
    looked = clock.renew("first")
    assert clock.wake("second", 0.3) is False  # handed over: the first must look again
    assert clock.stop("first", looked) is False
    time.sleep(0.35)
    late_look = clock.renew("first")
    assert clock.stop("first", late_look) is True  # past every promise: it may stop
    assert clock.wake("third", 0.0) is True  # and the next wake-up drains itself
    clock.release("third")


@pytest.mark.parametrize("make", list(clocks()))
def test_a_drainer_that_ended_badly_lets_the_next_one_drain(make):
    clock = make()
    assert clock.wake("crashed", 0.0) is True
    clock.release("crashed")  # its task raised: the lease goes with it
    assert clock.wake("next", 0.0) is True
    clock.release("next")


def test_the_oldest_pending_events_are_read_from_their_own_index(db):
    """Among many processed events, taking the oldest pending ones reads the queue index in
    id order; on PostgreSQL never by bitmap, which would revisit every version each take
    leaves there until vacuum (an index scan marks them dead and steps over them after)."""
    table = WebhookEvent.__table__
    done = [{"body": b"{}", "status": "processed"} for _ in range(5000)]
    waiting = [{"body": b"{}", "status": "pending"} for _ in range(30)]
    db.session.execute(sa.insert(table), done + waiting)
    db.session.execute(sa.text("ANALYZE webhook_events" if _on_postgresql(db) else "ANALYZE"))
    with events.index_scanned():
        plan = _plan(db, events.taking(20))
        bitmaps = _setting(db, "enable_bitmapscan")
    assert "ix_webhook_events_queue" in plan and "bitmap" not in plan.lower(), plan
    assert (bitmaps, _setting(db, "enable_bitmapscan")) in {("off", "on"), (None, None)}
    assert len(events.claim_pending(limit=20)) == 20


def _on_postgresql(db) -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _setting(db, name: str) -> str | None:
    """A PostgreSQL planner setting as it stands in this transaction (None on SQLite)."""
    return db.session.execute(sa.text(f"SHOW {name}")).scalar() if _on_postgresql(db) else None


def _plan(db, statement) -> str:
    """How the database would run the statement (without running it), as one text."""
    dialect = db.session.get_bind().dialect
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    explain = "EXPLAIN " if _on_postgresql(db) else "EXPLAIN QUERY PLAN "
    return "\n".join(str(row[-1]) for row in db.session.execute(sa.text(explain + sql)))
