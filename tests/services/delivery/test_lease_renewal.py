"""A live sender keeps its batch by renewing a short lease; a dead one's runs out and the
sweeper frees it after the grace."""

from datetime import timedelta

import sqlalchemy as sa

from portal.models import Delivery
from portal.services.common import clock
from portal.services.delivery import claims
from tests.services.delivery.test_claims import fanned_out


def leases(db, ids) -> list:
    db.session.expire_all()
    return db.session.scalars(sa.select(Delivery.lease_until).where(Delivery.id.in_(ids))).all()


def test_a_live_sender_renews_its_lease_every_third_of_it(app, db, monkeypatch):
    fanned_out(db, guardians=5)
    ids = claims.claim_batch(limit=5)
    db.session.commit()
    lease = claims.BatchLease(ids)
    assert not lease.due()
    before = leases(db, ids)
    seconds = app.config["DELIVERY_LEASE_SECONDS"]
    later = clock.now() + timedelta(seconds=seconds / 2)
    monkeypatch.setattr(clock, "now", lambda: later)
    a_third_later = lease.renewed + seconds / 3 + 0.01
    monkeypatch.setattr(claims.time, "monotonic", lambda: a_third_later)
    assert lease.due() and lease.renew() == 5
    db.session.commit()
    assert all(after > first for after, first in zip(leases(db, ids), before, strict=True))
    assert not lease.due()


def test_a_dead_senders_batch_is_freed_after_lease_and_grace(app, db, monkeypatch):
    fanned_out(db, guardians=3)
    assert len(claims.claim_batch(limit=3)) == 3
    db.session.commit()
    grace = app.config["RESEND_GRACE"]
    lease = timedelta(seconds=app.config["DELIVERY_LEASE_SECONDS"])
    assert lease + grace <= timedelta(seconds=30)  # the defaults: about a minute in all
    soon = clock.now() + lease + grace - timedelta(seconds=2)
    monkeypatch.setattr(clock, "now", lambda: soon)
    assert claims.release_expired_leases(grace=grace) == 0
    later = soon + timedelta(seconds=4)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert claims.release_expired_leases(grace=grace) == 3
