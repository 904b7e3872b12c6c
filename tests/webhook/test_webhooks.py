"""The webhook: signed raw bytes in, stored before 200, statuses applied forward only."""

import itertools
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from portal.models import Delivery, InboundMessage, StatusEvent, WebhookEvent
from portal.services.broadcasting import dispatch
from portal.services.common import clock
from portal.tasks.delivery import start_broadcast
from portal.whatsapp.signature import sign
from tests.helpers import FIXTURES as HELPER_FIXTURES
from tests.helpers import make_broadcast

SECRET = "test-app-secret"
FIXTURES = HELPER_FIXTURES / "whatsapp"


def post(client, body: bytes, secret=SECRET):
    headers = {"X-Hub-Signature-256": sign(body, secret), "Content-Type": "application/json"}
    return client.post("/webhooks/whatsapp", data=body, headers=headers)


def status_body(school, statuses: list[dict]) -> bytes:
    """A Meta-shaped status webhook for the school's number, as Meta serialises it."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": "9779800000000",
            "phone_number_id": school.phone_number_id,
        },
        "statuses": statuses,
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body, separators=(",", ":")).encode()


def status(wamid, name, at, delivery_id=None, recipient="9779840000000", errors=None):
    item = {"id": wamid, "status": name, "timestamp": str(int(at)), "recipient_id": recipient}
    if delivery_id is not None:
        item["biz_opaque_callback_data"] = f"d:{delivery_id}"
    if errors:
        item["errors"] = errors
    return item


@pytest.fixture
def sent(db, roster, recorder):
    """A broadcast to 5A whose three messages Meta has accepted."""
    broadcast = make_broadcast(roster["school"], ["5A"])
    start_broadcast.call_local(broadcast.id)
    rows = db.session.scalars(sa.select(Delivery).order_by(Delivery.id)).all()
    assert all(d.status == "accepted" and d.wamid for d in rows)
    return rows


def reload(db, delivery):
    db.session.expire_all()
    return db.session.get(Delivery, delivery.id)


def test_verification_handshake(client):
    ok = client.get(
        "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=test-verify-token"
        "&hub.challenge=1158201444"
    )
    assert ok.status_code == 200 and ok.get_data(as_text=True) == "1158201444"
    assert ok.mimetype == "text/plain"
    bad = client.get("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1")
    assert bad.status_code == 403


def test_a_bad_signature_is_401_and_nothing_is_stored(db, client):
    body = (FIXTURES / "inbound_text_message.json").read_bytes()
    assert post(client, body, secret="wrong").status_code == 401
    unsigned = client.post("/webhooks/whatsapp", data=body)
    assert unsigned.status_code == 401
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 0


def test_nepali_text_verifies_over_the_raw_bytes(db, client):
    body = (FIXTURES / "inbound_text_nepali.json").read_bytes()
    assert post(client, body).status_code == 200
    assert db.session.scalar(sa.select(WebhookEvent.body)) == body


def test_meta_s_own_inbound_example_is_stored_once(db, client):
    body = (FIXTURES / "inbound_text_message.json").read_bytes()
    for _ in range(3):
        assert post(client, body).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InboundMessage)) == 1


def test_a_storage_failure_is_5xx_so_meta_retries(db, client, monkeypatch):
    from portal.services.conversations import events

    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(events, "store", broken)
    response = post(client, (FIXTURES / "inbound_text_message.json").read_bytes())
    assert response.status_code >= 500


@pytest.mark.parametrize("order", list(itertools.permutations(["sent", "delivered", "read"])))
def test_statuses_in_any_order_end_at_read(db, client, roster, sent, order):
    delivery, now = sent[0], clock.now().timestamp()
    for offset, name in enumerate(order):
        body = status_body(roster["school"], [status(delivery.wamid, name, now + offset)])
        assert post(client, body).status_code == 200
    final = reload(db, delivery)
    assert final.status == "read"
    assert final.sent_at and final.delivered_at and final.read_at


def test_duplicated_statuses_change_nothing(db, client, roster, sent):
    delivery, now = sent[0], clock.now().timestamp()
    body = status_body(roster["school"], [status(delivery.wamid, "delivered", now)] * 2)
    post(client, body)
    post(client, body)
    assert reload(db, delivery).status == "delivered"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatusEvent)) == 1


def test_failed_after_delivered_does_not_go_back(db, client, roster, sent):
    delivery, now = sent[0], clock.now().timestamp()
    post(client, status_body(roster["school"], [status(delivery.wamid, "delivered", now)]))
    errors = [{"code": 131026, "title": "Message undeliverable"}]
    post(
        client,
        status_body(roster["school"], [status(delivery.wamid, "failed", now + 1, errors=errors)]),
    )
    assert reload(db, delivery).status == "delivered"


def test_a_failed_status_fails_the_delivery_with_its_reason(db, client, roster, sent):
    delivery, now = sent[1], clock.now().timestamp()
    errors = [
        {
            "code": 131049,
            "title": "This message was not delivered to maintain healthy ecosystem engagement.",
        }
    ]
    post(
        client,
        status_body(roster["school"], [status(delivery.wamid, "failed", now, errors=errors)]),
    )
    failed = reload(db, delivery)
    assert failed.status == "failed" and failed.error_code == 131049
    assert "ecosystem" in failed.error_reason


def test_a_status_for_an_unknown_wamid_is_kept_and_applied_when_it_appears(
    db, client, roster, recorder
):
    """Meta's status can beat the send call's own answer: it waits for the wamid."""
    broadcast = make_broadcast(roster["school"], ["5A"])
    real_send = recorder.send_template
    early = {}

    def send_and_race(**kwargs):
        wamid = real_send(**kwargs)
        body = status_body(roster["school"], [status(wamid, "delivered", clock.now().timestamp())])
        early[wamid] = post(client, body).status_code
        return wamid

    recorder.send_template = send_and_race
    start_broadcast.call_local(broadcast.id)
    assert set(early.values()) == {200}
    states = set(db.session.scalars(sa.select(Delivery.status)))
    assert states == {"delivered"}
    applied = db.session.scalars(sa.select(StatusEvent.applied_at)).all()
    assert len(applied) == 3 and all(applied)


def test_a_status_without_a_known_wamid_is_matched_by_its_callback_data(
    db, client, roster, recorder
):
    broadcast = make_broadcast(roster["school"], ["5A"])

    dispatch.claim(broadcast.id)
    dispatch.fan_out(broadcast)
    db.session.commit()
    delivery = db.session.scalars(sa.select(Delivery)).first()
    body = status_body(
        roster["school"], [status("wamid.fromMeta", "sent", clock.now().timestamp(), delivery.id)]
    )
    post(client, body)
    applied = reload(db, delivery)
    assert applied.status == "sent" and applied.wamid == "wamid.fromMeta"


def test_a_batch_of_a_thousand_statuses(app, db, client, roster, recorder, monkeypatch):
    from portal.models import Guardian, Student, StudentGuardian

    cls = roster["classes"]["6A"]
    for roll in range(2, 1001):
        student = Student(school_id=cls.school_id, class_id=cls.id, roll=roll, name=f"S{roll}")
        guardian = Guardian(school_id=cls.school_id, name=f"G{roll}", phone=f"+97798{roll:08d}")
        db.session.add_all([student, guardian])
        db.session.flush()
        db.session.add(
            StudentGuardian(student_id=student.id, guardian_id=guardian.id, school_id=cls.school_id)
        )
    db.session.commit()
    monkeypatch.setitem(app.config, "WHATSAPP_RATE_MPS", 100_000)  # the test is not about speed
    broadcast = make_broadcast(roster["school"], ["6A"])
    start_broadcast.call_local(broadcast.id)
    rows = db.session.scalars(sa.select(Delivery)).all()
    assert len(rows) == 1001 and all(d.wamid for d in rows)
    now = clock.now().timestamp()
    items = [status(d.wamid, "delivered", now) for d in rows[:1000]]
    assert post(client, status_body(roster["school"], items)).status_code == 200
    delivered = db.session.scalar(
        sa.select(sa.func.count()).select_from(Delivery).where(Delivery.status == "delivered")
    )
    assert delivered == 1000


def test_one_bad_item_does_not_block_the_others(db, client, roster, sent):
    now = clock.now().timestamp()
    items = [
        status(sent[0].wamid, "read", now),
        {"id": 12, "status": None},
        "garbage",
        status(sent[1].wamid, "read", now),
    ]
    assert post(client, status_body(roster["school"], items)).status_code == 200
    assert reload(db, sent[0]).status == "read"
    assert reload(db, sent[1]).status == "read"


def test_an_item_that_fails_is_recorded_and_the_rest_of_the_batch_still_applies(
    db, client, roster, sent, monkeypatch
):
    """The event's items go in one transaction; one raising sends them through again one by
    one, so the others are applied, and the event waits to be tried again with what failed
    named by its place and class (never its content)."""
    from portal.models import WebhookEvent
    from portal.services.delivery import status_batches, statuses

    real_take, real_take_all = statuses.take, status_batches.take_all

    def take(*, school_id, update):
        if update.wamid == sent[1].wamid:
            raise RuntimeError("the database said no")
        return real_take(school_id=school_id, update=update)

    def take_all(items):  # the items together (as first tried) fail with the one
        if any(update.wamid == sent[1].wamid for _, update in items):
            raise RuntimeError("the database said no")
        return real_take_all(items)

    monkeypatch.setattr(statuses, "take", take)
    monkeypatch.setattr(status_batches, "take_all", take_all)
    now = clock.now().timestamp()
    items = [status(d.wamid, "delivered", now) for d in sent[:3]]
    assert post(client, status_body(roster["school"], items)).status_code == 200
    assert [reload(db, d).status for d in sent[:3]] == ["delivered", "accepted", "delivered"]
    event = db.session.scalars(sa.select(WebhookEvent).order_by(WebhookEvent.id.desc())).first()
    assert event.status == "pending" and event.attempts == 1
    assert event.retry_at - clock.now() > timedelta(seconds=10)
    assert event.error == "item 1 (status): RuntimeError"
