"""Claiming: a worker takes at most one batch, and never a delivery another worker holds."""

import datetime

import sqlalchemy as sa

from portal.models import Delivery
from portal.services.broadcasting import broadcasts, dispatch
from portal.services.delivery import claims
from portal.services.delivery.ledger import open_ledger
from tests.faults.seed import seed_school


def fanned_out(db, guardians: int):
    """A notice to every guardian of a new school, started: its deliveries are due."""
    school = seed_school(guardians=guardians, phone_number_id="106540352242922")
    school.quiet_start = school.quiet_end = datetime.time(0, 0)
    broadcast = broadcasts.create_broadcast(
        school=school,
        kind="notice",
        targets_given=["ALL"],
        body_en="Closed tomorrow.",
        body_ne=None,
        source="portal",
    )
    dispatch.claim(broadcast.id)
    dispatch.fan_out(broadcast)
    db.session.commit()
    return broadcast


def test_a_claim_takes_one_batch_however_many_are_due(db):
    fanned_out(db, guardians=300)
    first = claims.claim_batch(limit=10)
    second = claims.claim_batch(limit=10)
    db.session.commit()

    held = db.session.scalars(sa.select(Delivery.id).where(Delivery.status == "sending")).all()
    assert len(first) == len(second) == 10
    assert not set(first) & set(second)
    assert sorted(held) == sorted(first + second)


def claimed_school(db, guardians: int = 3):
    """A school whose notice to everyone has been fanned out and claimed by one sender."""
    broadcast = fanned_out(db, guardians)
    ids = claims.claim_batch()
    db.session.commit()
    return broadcast, claims.load_jobs(ids)


def test_the_ledger_stores_each_wamid_with_its_time_and_tells_what_stops_the_next(db):
    broadcast, jobs = claimed_school(db)
    with open_ledger() as ledger:
        assert ledger.gate(jobs[0].delivery) == (False, False)
        before = datetime.datetime.now(datetime.UTC)
        waiting = ledger.accepted(jobs[0].delivery, wamid="wamid.A", sent_as="text", language="en")
        assert waiting is False  # no status came for it before the wamid was stored
        broadcasts.cancel(db.session.get(type(broadcast), broadcast.id))
        db.session.commit()
        ledger.accepted(jobs[1].delivery, wamid="wamid.B", sent_as="template", language="ne")
        assert ledger.gate(jobs[2].delivery) == (True, False)  # read back with wamid.B
    db.session.expire_all()
    first, second = (db.session.get(Delivery, job.delivery.id) for job in jobs[:2])
    assert (first.status, first.wamid, first.sent_as, first.language) == (
        "accepted",
        "wamid.A",
        "text",
        "en",
    )
    assert first.accepted_at.tzinfo is not None
    assert abs((first.accepted_at - before).total_seconds()) < 5
    assert (second.status, second.wamid, second.sent_as) == ("accepted", "wamid.B", "template")


def test_without_prepared_statements_the_ledger_stores_the_same(db, app, monkeypatch):
    """Behind a pooler in transaction mode nothing may stay prepared on a connection."""
    monkeypatch.setitem(app.config, "DATABASE_PREPARED_STATEMENTS", False)
    _, jobs = claimed_school(db)
    with open_ledger() as ledger:
        ledger.accepted(jobs[0].delivery, wamid="wamid.plain", sent_as="text", language="en")
        if db.engine.dialect.name == "postgresql":
            prepared = ledger.connection.exec_driver_sql("SELECT name FROM pg_prepared_statements")
            assert prepared.all() == []
    stored = db.session.get(Delivery, jobs[0].delivery.id)
    assert (stored.status, stored.wamid) == ("accepted", "wamid.plain")


def test_ledgers_one_after_another_leave_nothing_prepared_on_pooled_connections(db):
    _, jobs = claimed_school(db)
    postgres = db.engine.dialect.name == "postgresql"
    for job, wamid in zip(jobs, ("wamid.1", "wamid.2", "wamid.3"), strict=True):
        with open_ledger() as ledger:  # each takes a connection from the pool
            ledger.accepted(job.delivery, wamid=wamid, sent_as="text", language="en")
            if postgres:  # planned once for this sender, while it sends
                names = ledger.connection.exec_driver_sql(
                    "SELECT name FROM pg_prepared_statements"
                ).scalars()
                assert list(names) == ["sandesh_accept"]
    if postgres:
        with db.engine.connect() as connection:
            left = connection.exec_driver_sql("SELECT name FROM pg_prepared_statements")
            assert left.all() == []
    stored = db.session.scalars(sa.select(Delivery.wamid).order_by(Delivery.id)).all()
    assert stored == ["wamid.1", "wamid.2", "wamid.3"]
