"""Claiming: a worker takes at most one batch, and never a delivery another worker holds."""

import datetime

import sqlalchemy as sa

from portal.models import Delivery
from portal.services import broadcasts, sending
from tests.faults.seed import seed_school


def test_a_claim_takes_one_batch_however_many_are_due(db):
    school = seed_school(guardians=300, phone_number_id="106540352242922")
    school.quiet_start = school.quiet_end = datetime.time(0, 0)
    broadcast = broadcasts.create_broadcast(
        school=school,
        kind="notice",
        targets_given=["ALL"],
        body_en="Closed tomorrow.",
        body_ne=None,
        source="portal",
    )
    broadcasts.claim(broadcast.id)
    broadcasts.fan_out(broadcast)
    db.session.commit()

    first = sending.claim_batch(limit=10)
    second = sending.claim_batch(limit=10)
    db.session.commit()

    held = db.session.scalars(sa.select(Delivery.id).where(Delivery.status == "sending")).all()
    assert len(first) == len(second) == 10
    assert not set(first) & set(second)
    assert sorted(held) == sorted(first + second)
