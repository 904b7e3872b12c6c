"""The portfolio's messaging limit, budgeted: at TIER_250 a notice to 300 parents outside
their window reaches exactly 250 of them and 50 wait with a time; parents inside their
window are not held and not counted; when Meta raises the limit the waiting ones go; two
schools of one portfolio share one budget; emergencies take freed places before notices."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Delivery, Guardian, LimitSlot, Portfolio, Student, StudentGuardian
from portal.services.broadcasting import delivery_counts, preview
from portal.services.common import clock
from tests.factories import ClassFactory, SchoolFactory
from tests.helpers import make_broadcast, run_senders, start
from tests.services.waba.conftest import WABA, fixture


@pytest.fixture(autouse=True)
def no_pair_gap(monkeypatch, app):
    """Hundreds of parents in a moment: the pair gap and the number's pace are not tested."""
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)
    monkeypatch.setitem(app.config, "WHATSAPP_RATE_MPS", 100_000)


def parents(school, count: int, *, inside: bool = False, grade: int = 5) -> list[Guardian]:
    """`count` guardians of one child each in a class of `grade`; in their 24-hour window
    (they wrote an hour ago) or not."""
    cls = ClassFactory(school=school, grade=grade, section="A" if not inside else "B")
    made = []
    for roll in range(1, count + 1):
        student = Student(school_id=school.id, class_id=cls.id, roll=roll, name=f"S{grade}{roll}")
        phone = f"+97798{school.id:02d}{grade:02d}{int(inside)}{roll:04d}"
        guardian = Guardian(school_id=school.id, name=f"G{roll}", phone=phone, language="en")
        if inside:
            guardian.last_inbound_at = clock.now() - timedelta(hours=1)
        db.session.add_all([student, guardian])
        db.session.flush()
        db.session.add(
            StudentGuardian(student_id=student.id, guardian_id=guardian.id, school_id=school.id)
        )
        made.append(guardian)
    db.session.commit()
    return made


def limited_school(**kwargs):
    return SchoolFactory(waba_id=WABA, messaging_tier="TIER_250", **kwargs)


def templates_to(meta, number=None) -> set[str]:
    return {m["recipient"] for m in meta.messages() if m["type"] == "template"}


def test_tier_250_reaches_exactly_250_outside_their_window_and_the_rest_wait_with_a_time(
    db, meta, post_webhook
):
    school = limited_school()
    outside = parents(school, 300)
    inside = parents(school, 20, inside=True)
    broadcast = make_broadcast(school, ["5"])
    shown = preview.preview(broadcast, school=school)
    assert (shown.limit.now, shown.limit.later, shown.limit.limit) == (270, 50, 250)
    words = preview.limit_words(shown, "en")
    assert words.startswith("270 parents now, 50 by ") and words.endswith(
        "tomorrow: your WhatsApp limit is 250 a day."
    )
    start(broadcast)
    assert len(templates_to(meta)) == 250  # unique parents outside their window
    assert meta.stats()["over_limit"] == 0
    texts = {m["recipient"] for m in meta.messages() if m["type"] in ("text", "interactive")}
    assert texts == {g.phone.lstrip("+") for g in inside}  # not held, not counted
    counts = delivery_counts.of_broadcast(broadcast.id)
    assert (counts["waiting"], counts["pending"], counts["sent"]) == (50, 0, 270)
    waiting = db.session.scalars(
        sa.select(Delivery).where(Delivery.broadcast_id == broadcast.id, Delivery.waiting)
    ).all()
    assert len(waiting) == 50 and all(d.status == "pending" for d in waiting)
    due = {d.next_attempt_at - clock.now() for d in waiting}
    assert all(
        timedelta(hours=23, minutes=59) < gap <= timedelta(hours=24, seconds=5) for gap in due
    )
    assert {d.guardian_id for d in waiting} <= {g.id for g in outside}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LimitSlot)) == 250
    # Meta raises the portfolio to 2,000 (its business_capability_update example): they go
    meta.configure(messaging_tier="TIER_2K")
    post_webhook(fixture("business_capability_update.json", entry_id=WABA))
    db.session.expire_all()
    assert school.messaging_tier == "TIER_2K"
    assert len(templates_to(meta)) == 300 and meta.stats()["over_limit"] == 0
    counts = delivery_counts.of_broadcast(broadcast.id)
    assert (counts["waiting"], counts["pending"], counts["sent"]) == (0, 0, 320)


@pytest.mark.parametrize("limit", ["TIER_2K", 2000, "2000"])
def test_both_ways_meta_writes_the_limit_are_read(db, meta, post_webhook, limit):
    school = limited_school()
    post_webhook(
        fixture(
            "business_capability_update.json",
            entry_id=WABA,
            max_daily_conversations_per_business=limit,
        )
    )
    db.session.expire_all()
    assert school.messaging_tier == "TIER_2K"


def test_unlimited_is_minus_one_and_a_quality_update_without_a_limit_asks_meta(
    db, meta, post_webhook
):
    school = limited_school()
    meta.configure(numbers={school.phone_number_id: {"display_phone_number": "+977 1-4412345"}})
    post_webhook(
        fixture(
            "business_capability_update.json",
            entry_id=WABA,
            max_daily_conversations_per_business=-1,
        )
    )
    db.session.expire_all()
    assert school.messaging_tier == "TIER_UNLIMITED"
    meta.configure(messaging_tier="TIER_10K")
    post_webhook(fixture("phone_number_quality_update.json", entry_id=WABA))  # no limit in it
    db.session.expire_all()
    assert school.messaging_tier == "TIER_10K" and school.display_phone_number == "+977 1-4412345"


def test_two_schools_of_one_portfolio_share_one_budget(db, meta):
    shared = Portfolio(name="Janata group")
    db.session.add(shared)
    db.session.commit()
    first, second = limited_school(portfolio_id=shared.id), limited_school(portfolio_id=shared.id)
    meta.configure(portfolios={first.phone_number_id: "janata", second.phone_number_id: "janata"})
    parents(first, 200)
    parents(second, 100)
    start(make_broadcast(first, ["5"]))
    later = make_broadcast(second, ["5"])
    assert preview.preview(later, school=second).limit.later == 50
    start(later)
    assert len(templates_to(meta)) == 250 and meta.stats()["over_limit"] == 0
    counts = delivery_counts.of_broadcast(later.id)
    assert (counts["sent"], counts["waiting"]) == (50, 50)
    # a school outside the portfolio has a budget of its own
    alone = limited_school()
    parents(alone, 10)
    start(make_broadcast(alone, ["5"]))
    assert delivery_counts.of_broadcast(later.id)["waiting"] == 50
    assert len(templates_to(meta)) == 260


def test_emergencies_take_the_places_that_free_up_before_waiting_notices(db, meta):
    school = limited_school()
    parents(school, 300)
    parents(school, 20, grade=6)
    notice = make_broadcast(school, ["5"])
    start(notice)
    emergency = make_broadcast(school, ["6"], kind="emergency")
    start(emergency)
    assert delivery_counts.of_broadcast(emergency.id)["waiting"] == 20  # no place, even for it
    # a day later, 30 places are free again
    first_thirty = sa.select(LimitSlot.id).order_by(LimitSlot.id).limit(30).scalar_subquery()
    db.session.execute(
        sa.update(LimitSlot)
        .where(LimitSlot.id.in_(first_thirty))
        .values(used_at=clock.now() - timedelta(hours=25))
    )
    db.session.execute(
        sa.update(Delivery).where(Delivery.waiting).values(next_attempt_at=clock.now())
    )
    db.session.commit()
    meta.accounts.age(30, 25 * 3600)  # and so they are for Meta
    run_senders()
    assert delivery_counts.of_broadcast(emergency.id)["waiting"] == 0
    assert delivery_counts.of_broadcast(notice.id)["waiting"] == 40
    assert meta.stats()["over_limit"] == 0
