"""What each class of Meta error does to a delivery and to its school."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.models import Alert, Delivery, School
from portal.services.common import clock
from portal.services.delivery import outcomes
from portal.tasks.delivery import start_broadcast
from portal.whatsapp.errors import TransportError
from tests.fakes.recording import graph_error
from tests.helpers import make_broadcast, run_senders


def only_delivery(db, guardian):
    db.session.expire_all()
    return db.session.scalar(sa.select(Delivery).where(Delivery.guardian_id == guardian.id))


@pytest.fixture
def one(roster):
    return roster["guardians"]["one"]


@pytest.mark.parametrize(
    "error",
    [
        graph_error(130429),
        graph_error(131000),
        graph_error(1),
        graph_error(2),
        graph_error(131016),
        graph_error(131057),
        graph_error(4),
        graph_error(80007),
        graph_error(None, http_status=503),
        TransportError("timed out"),
    ],
)
def test_temporary_errors_are_retried_later(db, roster, recorder, one, error):
    recorder.fail(one.phone, error)
    start_broadcast.call_local(make_broadcast(roster["school"], ["5A"]).id)
    delivery = only_delivery(db, one)
    assert delivery.status == "pending"
    assert delivery.next_attempt_at > clock.now()
    assert delivery.attempts == 1


def test_a_retried_delivery_goes_out_once_its_time_comes(db, roster, recorder, one, monkeypatch):
    recorder.fail(one.phone, graph_error(131000))
    broadcast = make_broadcast(roster["school"], ["5A"])
    start_broadcast.call_local(broadcast.id)
    later = clock.now() + timedelta(hours=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)
    run_senders(broadcast.id)
    delivery = only_delivery(db, one)
    assert delivery.status == "accepted" and delivery.attempts == 2
    assert len(recorder.to(one.phone)) == 1


def test_the_pair_limit_waits_four_to_the_n_seconds(db, roster, recorder, one):
    recorder.fail(one.phone, graph_error(131056))
    start_broadcast.call_local(make_broadcast(roster["school"], ["5A"]).id)
    delivery = only_delivery(db, one)
    wait = (delivery.next_attempt_at - clock.now()).total_seconds()
    assert delivery.status == "pending" and 3 <= wait <= 4.5  # 4^1 s from the failed send


@pytest.mark.parametrize("code", [131026, 131049, 131050, 130472, 130403])
def test_permanent_errors_fail_once_and_are_never_retried(db, roster, recorder, one, code):
    recorder.fail(one.phone, graph_error(code))
    broadcast = make_broadcast(roster["school"], ["5A"])
    start_broadcast.call_local(broadcast.id)
    delivery = only_delivery(db, one)
    assert delivery.status == "failed" and delivery.error_code == code
    run_senders(broadcast.id)
    assert only_delivery(db, one).attempts == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Alert)) == 0


def test_outside_the_window_a_text_is_resent_as_a_template(db, roster, recorder, one):
    one.last_inbound_at = clock.now() - timedelta(hours=1)  # the window looks open
    db.session.commit()
    recorder.fail(one.phone, graph_error(131047))
    broadcast = make_broadcast(roster["school"], ["5A"])
    start_broadcast.call_local(broadcast.id)
    sent = recorder.to(one.phone)
    assert [m["kind"] for m in sent] == ["template"]
    assert only_delivery(db, one).sent_as == "template"


@pytest.mark.parametrize(
    "code", [131051, 100, 131008, 131009, 132000, 132001, 132005, 132007, 132012]
)
def test_misconfiguration_fails_and_alerts_the_admins(db, roster, recorder, one, code):
    recorder.fail(one.phone, graph_error(code))
    start_broadcast.call_local(make_broadcast(roster["school"], ["5A"]).id)
    assert only_delivery(db, one).status == "failed"
    alert = db.session.scalar(sa.select(Alert))
    assert alert.code == code and alert.action == "failed"
    assert db.session.get(School, roster["school"].id).sending_paused_at is None


@pytest.mark.parametrize(
    "code", [131048, 368, 131064, 131031, 130497, 132015, 132016, 0, 190, 3, 10, 200, 299, 131042]
)
def test_quality_policy_and_token_errors_pause_the_school(db, roster, recorder, one, code):
    recorder.fail(one.phone, graph_error(code))
    broadcast = make_broadcast(roster["school"], ["ALL"])
    start_broadcast.call_local(broadcast.id)
    db.session.expire_all()
    school = db.session.get(School, roster["school"].id)
    assert school.sending_paused_at is not None
    assert db.session.scalar(sa.select(Alert)).action == "paused"
    statuses = set(db.session.scalars(sa.select(Delivery.status)))
    assert "failed" in statuses and "pending" in statuses  # the rest wait for the admins
    run_senders(broadcast.id)
    assert db.session.scalar(sa.select(sa.func.count()).where(Delivery.status == "pending")) > 0


def test_a_resumed_school_sends_what_was_waiting(db, roster, recorder, one):
    from portal.services.delivery import alerts

    recorder.fail(one.phone, graph_error(131048))
    broadcast = make_broadcast(roster["school"], ["ALL"])
    start_broadcast.call_local(broadcast.id)
    db.session.expire_all()
    alerts.resume_sending(school=db.session.get(School, roster["school"].id))
    db.session.commit()
    run_senders(broadcast.id)
    pending = db.session.scalar(
        sa.select(sa.func.count()).select_from(Delivery).where(Delivery.status == "pending")
    )
    assert pending == 0
    assert db.session.scalar(sa.select(Alert)).resolved_at is not None


def test_retries_stop_at_the_cap(db, roster, recorder, one, monkeypatch):

    recorder.fail(one.phone, *[graph_error(131000)] * 20)
    broadcast = make_broadcast(roster["school"], ["5A"])
    start_broadcast.call_local(broadcast.id)
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)
    moment = clock.now()
    for _ in range(outcomes.MAX_ATTEMPTS + 2):
        moment += timedelta(hours=1)
        monkeypatch.setattr(clock, "now", lambda m=moment: m)
        run_senders(broadcast.id)
    delivery = only_delivery(db, one)
    assert delivery.status == "failed"
    assert delivery.attempts == outcomes.MAX_ATTEMPTS
