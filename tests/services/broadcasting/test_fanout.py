"""From a broadcast to deliveries: one message per guardian, whatever their number of children."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.models import Broadcast, Delivery
from portal.services.broadcasting import broadcasts, delivery_counts, dispatch
from portal.services.common import clock
from portal.tasks.delivery import start_broadcast
from tests.helpers import make_broadcast


def deliveries(db, broadcast_id):
    return {
        d.guardian.name: d
        for d in db.session.scalars(
            sa.select(Delivery).where(Delivery.broadcast_id == broadcast_id)
        )
    }


def test_one_message_per_guardian_naming_each_child(db, roster, recorder):
    broadcast = make_broadcast(roster["school"], ["5"])
    assert start_broadcast.call_local(broadcast.id)
    g, s = roster["guardians"], roster["students"]
    assert len(recorder.sent) == 3  # one, both, triple: not "sixth", whose child is in 6A
    assert len(recorder.to(g["one"].phone)) == 1
    assert len(recorder.to(g["both"].phone)) == 1
    assert len(recorder.to(g["triple"].phone)) == 1
    rows = deliveries(db, broadcast.id)
    assert rows["Two Children"].student_ids == [s["Bina"].id, s["Dipa"].id]
    assert rows["Three Children"].student_ids == [s["Chiran"].id, s["Esha"].id]


def test_three_children_in_the_targets_are_all_named(db, roster, recorder):
    broadcast = make_broadcast(roster["school"], ["ALL"])
    start_broadcast.call_local(broadcast.id)
    rows = deliveries(db, broadcast.id)
    assert len(rows["Three Children"].student_ids) == 3
    assert len(recorder.sent) == 4


def test_a_second_fan_out_adds_nothing(db, roster, recorder):
    broadcast = make_broadcast(roster["school"], ["5A"])
    dispatch.fan_out(broadcast)
    dispatch.fan_out(broadcast)
    db.session.commit()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Delivery))
    assert count == 3


def test_opted_out_guardians_are_skipped_not_messaged(db, roster, recorder):
    roster["guardians"]["one"].opted_out_at = clock.now()
    db.session.commit()
    broadcast = make_broadcast(roster["school"], ["5A"])
    start_broadcast.call_local(broadcast.id)
    assert recorder.to(roster["guardians"]["one"].phone) == []
    assert deliveries(db, broadcast.id)["One Child"].status == "skipped"
    assert delivery_counts.of_broadcast(broadcast.id)["skipped"] == 1


def test_a_broadcast_is_claimed_only_once(db, roster, recorder):
    broadcast = make_broadcast(roster["school"], ["5A"])
    assert start_broadcast.call_local(broadcast.id) is True
    assert start_broadcast.call_local(broadcast.id) is False
    assert len(recorder.sent) == 3


def test_a_future_broadcast_is_not_started_early(db, roster, recorder):
    later = clock.now() + timedelta(hours=2)
    broadcast = make_broadcast(roster["school"], ["5A"], scheduled_at=later)
    assert start_broadcast.call_local(broadcast.id) is False
    assert recorder.sent == []


def test_cancel_before_sending_sends_nothing(db, roster, recorder):
    later = clock.now() + timedelta(hours=2)
    broadcast = make_broadcast(roster["school"], ["5A"], scheduled_at=later)
    assert broadcasts.cancel(broadcast)
    db.session.commit()
    assert start_broadcast.call_local(broadcast.id) is False
    assert recorder.sent == []
    assert db.session.get(Broadcast, broadcast.id).status == "cancelled"


def test_cancel_during_sending_stops_the_rest(app, db, roster, recorder, monkeypatch):
    """Someone cancels (in the portal: another connection) while the second message is on
    its way to Meta: that one is sent, none after it."""
    broadcast = make_broadcast(roster["school"], ["ALL"])
    real_send = recorder._send

    def send_while_cancelled(**message):
        if len(recorder.sent) == 1:
            with app.app_context():  # a session and connection of its own, committed
                broadcasts.cancel(db.session.get(Broadcast, broadcast.id))
                db.session.commit()
        return real_send(**message)

    monkeypatch.setattr(recorder, "_send", send_while_cancelled)
    start_broadcast.call_local(broadcast.id)
    db.session.expire_all()
    tally = delivery_counts.of_broadcast(broadcast.id)
    assert len(recorder.sent) == 2
    assert tally["sent"] == 2 and tally["skipped"] == 2  # the two unsent ones are cancelled
    assert db.session.get(Broadcast, broadcast.id).status == "cancelled"


def test_a_completed_broadcast_records_its_reach(db, roster, recorder):
    broadcast = make_broadcast(roster["school"], ["ALL"])
    start_broadcast.call_local(broadcast.id)
    db.session.expire_all()
    done = db.session.get(Broadcast, broadcast.id)
    assert done.status == "completed"
    assert done.targeted_count == 4
    assert done.completed_at >= done.started_at


@pytest.mark.parametrize("targets", [["9Z"], ["abc"], []])
def test_unknown_targets_are_refused_with_a_reason(db, roster, targets):
    with pytest.raises(broadcasts.BroadcastError) as caught:
        make_broadcast(roster["school"], targets)
    assert caught.value.field == "targets"


def test_a_message_without_text_is_refused(db, roster):
    with pytest.raises(broadcasts.BroadcastError, match="Nepali, English or both"):
        make_broadcast(roster["school"], ["5A"], body_en="", body_ne="  ")


def test_a_send_time_in_the_past_is_refused(db, roster):
    with pytest.raises(broadcasts.BroadcastError, match="past"):
        make_broadcast(roster["school"], ["5A"], scheduled_at=clock.now() - timedelta(hours=1))


def test_quiet_hours_hold_a_notice_until_morning_but_not_an_emergency(db, roster):
    from datetime import datetime, time

    from portal.services.common.dates import NEPAL

    school = roster["school"]
    school.quiet_start, school.quiet_end = time(21, 0), time(6, 0)
    db.session.commit()
    night = datetime(2030, 1, 10, 22, 30, tzinfo=NEPAL)
    morning = datetime(2030, 1, 11, 6, 0, tzinfo=NEPAL)
    assert broadcasts.after_quiet_hours(school, night, "notice") == morning
    assert broadcasts.after_quiet_hours(school, night, "emergency") == night
    noon = datetime(2030, 1, 10, 12, 0, tzinfo=NEPAL)
    assert broadcasts.after_quiet_hours(school, noon, "notice") == noon


BELIEVED = sa.text("SELECT reltuples FROM pg_class WHERE oid = 'deliveries'::regclass")


def test_a_large_fan_out_tells_postgresqls_planner_how_many_deliveries_there_are(
    db, roster, recorder, monkeypatch
):
    """A young deliveries table looks empty to the planner until analyzed, and each status
    statement would then scan every delivery: a large fan-out analyzes it at once, a small
    one leaves it to autovacuum. (SQLite keeps no such figures: nothing to do there.)"""
    if db.engine.dialect.name != "postgresql":
        assert dispatch.refresh_statistics(100_000) is False
        return
    db.session.execute(sa.text("ANALYZE deliveries"))
    db.session.commit()
    monkeypatch.setattr(dispatch, "ANALYZE_AFTER_ROWS", 4)
    start_broadcast.call_local(make_broadcast(roster["school"], ["5A"]).id)  # 3 guardians
    assert db.session.scalar(BELIEVED) <= 0  # too few to matter: not analyzed
    start_broadcast.call_local(make_broadcast(roster["school"], ["ALL"]).id)  # 4 more
    made = db.session.scalar(sa.select(sa.func.count()).select_from(Delivery))
    assert made == 7 and db.session.scalar(BELIEVED) == made


def test_the_senders_start_on_the_first_part_while_the_rest_is_made(
    db, roster, recorder, monkeypatch
):
    """A big school's first messages go as soon as the first part of its deliveries is
    made; the broadcast completes only once every part is made and sent."""
    from portal.tasks import delivery as delivery_tasks

    monkeypatch.setattr(delivery_tasks, "FIRST_PART", 2)
    made_when_woken, wake = [], delivery_tasks.wake_senders

    def counting_wake(broadcast_id=None):
        made_when_woken.append(db.session.scalar(sa.select(sa.func.count(Delivery.id))))
        return wake(broadcast_id)

    monkeypatch.setattr(delivery_tasks, "wake_senders", counting_wake)
    broadcast = make_broadcast(roster["school"], ["ALL"])  # four guardians
    assert start_broadcast.call_local(broadcast.id)
    assert made_when_woken == [2, 4]  # (the tests' queue runs each sender there and then)
    db.session.refresh(broadcast)
    assert broadcast.fanned_out_at is not None and broadcast.status == "completed"
    assert len(recorder.sent) == 4
    assert all(len(recorder.to(g.phone)) == 1 for g in roster["guardians"].values())


def test_a_fan_out_its_worker_left_half_made_is_finished_by_the_sweeper(
    db, roster, recorder, frozen_clock, monkeypatch
):
    """The worker dies after the first part: the broadcast is not called complete while
    the rest is missing, and the sweeper makes and sends the rest, each guardian once."""
    from portal.tasks import delivery as delivery_tasks
    from portal.tasks.sweeper import FAN_OUT_GRACE, sweep

    monkeypatch.setattr(delivery_tasks, "FIRST_PART", 2)

    def dies(*_args, **_kwargs):
        raise RuntimeError("killed between two parts")

    monkeypatch.setattr(delivery_tasks, "finish_fan_out", dies)
    broadcast = make_broadcast(roster["school"], ["ALL"])
    with pytest.raises(RuntimeError):
        start_broadcast.call_local(broadcast.id)
    db.session.rollback()
    assert len(recorder.sent) == 2
    sweep.call_local()  # too soon: a live worker may still be making them
    assert len(recorder.sent) == 2 and db.session.get(Broadcast, broadcast.id).status == "sending"
    frozen_clock.advance(seconds=FAN_OUT_GRACE.total_seconds() + 1)
    assert sweep.call_local()["fan_outs_finished"] == 1
    assert len(recorder.sent) == 4
    assert all(len(recorder.to(g.phone)) == 1 for g in roster["guardians"].values())
    db.session.expire_all()
    assert db.session.get(Broadcast, broadcast.id).status == "completed"
    assert sweep.call_local()["fan_outs_finished"] == 0
