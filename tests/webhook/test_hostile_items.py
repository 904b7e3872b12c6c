"""Webhook items PostgreSQL would refuse as they came (NUL, lone surrogates, values longer
than their columns) are cleaned and stored: the parent's message reaches the inbox, nothing
is answered 200 and then dropped. Six messages from a stranger at once get one reply."""

import json
import threading

import pytest
import sqlalchemy as sa

from portal.extensions import db as _db
from portal.models import Delivery, InboundMessage, StatusEvent, WebhookEvent
from portal.services.common import clock
from portal.services.conversations import events
from portal.tasks.events import process_event
from portal.whatsapp.signature import sign
from tests.factories import GuardianFactory

SECRET = "test-app-secret"
PARENT = "9779841000111"
STRANGER = "9779812345678"


def envelope(school, *, messages=(), statuses=(), contacts=None) -> bytes:
    """A Meta-shaped webhook (the shape of Meta's "messages" webhook reference example)."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": "9779800000000",
            "phone_number_id": school.phone_number_id,
        },
        "contacts": contacts
        if contacts is not None
        else [{"profile": {"name": "P"}, "wa_id": PARENT}],
        "messages": list(messages),
        "statuses": list(statuses),
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body).encode()  # ensure_ascii: NUL and surrogates as \\u escapes


def text(wamid, body, sender=PARENT, **extra):
    message = {
        "from": sender,
        "id": wamid,
        "timestamp": str(int(clock.now().timestamp())),
        "type": "text",
        "text": {"body": body},
    }
    return message | extra


def post(client, body: bytes):
    headers = {"X-Hub-Signature-256": sign(body, SECRET), "Content-Type": "application/json"}
    response = client.post("/webhooks/whatsapp", data=body, headers=headers)
    assert response.status_code == 200
    return response


@pytest.fixture
def parent(db, school):
    return GuardianFactory(school=school, name="Sita", phone="+" + PARENT)


def latest_event(db) -> WebhookEvent:
    db.session.expire_all()
    return db.session.scalars(sa.select(WebhookEvent).order_by(WebhookEvent.id.desc())).first()


def test_nul_and_lone_surrogates_are_cleaned_and_the_reply_reaches_the_inbox(
    client, db, school, parent, recorder
):
    contacts = [{"profile": {"name": "Si\u0000ta \ud83d"}, "wa_id": PARENT}]
    body = envelope(
        school, messages=[text("wamid.nul", "Hi\u0000 there \udc00!")], contacts=contacts
    )
    post(client, body)
    assert latest_event(db).status == "processed"
    message = db.session.scalars(sa.select(InboundMessage)).one()
    assert message.text == "Hi there \ufffd!" and message.in_inbox
    assert message.profile_name == "Sita \ufffd"


def test_over_long_fields_are_stored_cut_to_fit(client, db, school, parent, recorder):
    contacts = [{"profile": {"name": "N" * 5000}, "wa_id": "1" * 500, "user_id": "U" * 900}]
    item = text("wamid.long", "long fields", context={"from": "x", "id": "c" * 4000})
    post(client, envelope(school, messages=[item], contacts=contacts))
    assert latest_event(db).status == "processed"
    message = db.session.scalars(sa.select(InboundMessage)).one()
    assert len(message.profile_name) == 200 and len(message.wa_id) == 64
    assert len(message.context_wamid) == 128 and message.in_inbox


def test_a_sender_longer_than_any_phone_is_kept_not_dropped(client, db, school, recorder):
    post(client, envelope(school, messages=[text("wamid.sender", "hello", sender="9" * 300)]))
    assert latest_event(db).status == "processed"
    message = db.session.scalars(sa.select(InboundMessage)).one()
    assert len(message.sender) == 32 and message.route == "unknown"  # no number to answer
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 0


def test_status_fields_of_any_length_are_kept(client, db, school):
    errors = [{"code": 10**30, "title": "T\u0000" * 2000, "error_data": {"details": "d" * 9000}}]
    statuses = [
        {
            "id": "wamid.status",
            "status": "failed" + "x" * 100,
            "timestamp": str(int(clock.now().timestamp())),
            "recipient_id": "9" * 400,
            "biz_opaque_callback_data": "b\u0000" * 1000,
            "errors": errors,
        }
    ]
    post(client, envelope(school, statuses=statuses))
    assert latest_event(db).status == "processed"
    kept = db.session.scalars(sa.select(StatusEvent)).one()
    assert len(kept.error_title) == 300 and "\x00" not in kept.error_title
    assert kept.error_code is None and len(kept.callback_data) == 512


def test_six_messages_from_a_stranger_in_one_webhook_get_one_reply(client, db, school, recorder):
    messages = [text(f"wamid.s{n}", f"hello {n}", sender=STRANGER) for n in range(6)]
    post(client, envelope(school, messages=messages, contacts=[]))
    replies = db.session.scalars(
        sa.select(Delivery).where(Delivery.purpose == "unknown_sender")
    ).all()
    assert len(replies) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InboundMessage)) == 6


def test_six_messages_from_a_stranger_processed_at_once_get_one_reply(app, db, school):
    """Six webhooks, six workers at the same moment: the day's reply is taken once."""
    ids = []
    for n in range(6):
        body = envelope(
            school, messages=[text(f"wamid.p{n}", f"hi {n}", sender=STRANGER)], contacts=[]
        )
        ids.append(events.store(body))
    db.session.commit()
    start, failed = threading.Barrier(6), []

    def work(event_id):
        with app.app_context():
            start.wait()
            try:
                process_event.call_local(event_id)
            except Exception as exc:  # noqa: BLE001 - reported below
                failed.append(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=work, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failed == []
    db.session.expire_all()
    replies = db.session.scalars(
        sa.select(Delivery).where(Delivery.purpose == "unknown_sender")
    ).all()
    assert len(replies) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InboundMessage)) == 6


def test_a_parents_thanks_is_once_a_day_too(client, db, school, parent, recorder):
    messages = [text(f"wamid.t{n}", f"question {n}") for n in range(6)]
    post(client, envelope(school, messages=messages))
    acks = db.session.scalars(sa.select(Delivery).where(Delivery.purpose == "reply_ack")).all()
    assert len(acks) == 1
