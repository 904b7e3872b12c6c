"""Every STOP and START is kept for the reports with the broadcast that came just before:
the one the STOP replied to (WhatsApp's context), else the last one the guardian received;
the office's opt-out too. A STOP that changes nothing (already out, or older) is not kept."""

import sqlalchemy as sa

from portal.models import Delivery, SubscriptionChange
from portal.services.common import clock
from portal.services.conversations import parent_keywords
from tests.helpers import make_broadcast, start


def changes(db) -> list[SubscriptionChange]:
    return list(db.session.scalars(sa.select(SubscriptionChange).order_by(SubscriptionChange.id)))


def delivered_to(db, broadcast, guardian) -> Delivery:
    return db.session.scalar(
        sa.select(Delivery).where(
            Delivery.broadcast_id == broadcast.id, Delivery.guardian_id == guardian.id
        )
    )


def test_a_stop_keeps_the_last_broadcast_received(db, roster, phones, say):
    school, one = roster["school"], roster["guardians"]["one"]
    first = make_broadcast(school, ["5A"])
    start(first)
    second = make_broadcast(school, ["5A"], body_en="Exam routine", body_ne="परीक्षा तालिका")
    start(second)
    assert delivered_to(db, second, one).accepted_at is not None
    say(school, one.phone, "STOP")
    say(school, one.phone, "STOP")  # already out: nothing more kept
    [change] = changes(db)
    assert change.stopped and not change.by_office and change.guardian_id == one.id
    assert change.after_broadcast_id == second.id
    say(school, one.phone, "START")
    assert [c.stopped for c in changes(db)] == [True, False]


def test_a_stop_replying_to_a_broadcast_names_that_one(db, roster, phones, say):
    school, one = roster["school"], roster["guardians"]["one"]
    first = make_broadcast(school, ["5A"])
    start(first)
    later = make_broadcast(school, ["5A"], body_en="Later", body_ne="पछि")
    start(later)
    say(school, one.phone, "STOP", context=delivered_to(db, first, one).wamid)
    [change] = changes(db)
    assert change.after_broadcast_id == first.id


def test_the_office_opting_a_guardian_out_is_kept_as_such(db, roster):
    one = roster["guardians"]["one"]
    assert parent_keywords.opt_out(guardian=one, at=clock.now())
    db.session.commit()
    [change] = changes(db)
    assert change.stopped and change.by_office and change.after_broadcast_id is None
