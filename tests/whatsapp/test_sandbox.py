import base64
from datetime import UTC, datetime

import pytest

from portal.whatsapp import CloudClient, SandboxTransport, get_transport
from portal.whatsapp.payloads import InboundMessage, StatusUpdate, parse
from portal.whatsapp.sandbox import new_wamid

NUMBER_ID = "106540352242922"
PARENT = "+9779841234567"
AT = datetime(2025, 11, 22, 4, 15, tzinfo=UTC)


@pytest.fixture
def outbox():
    return []


@pytest.fixture
def sandbox(outbox):
    return SandboxTransport(outbox.append, clock=lambda: AT)


def test_a_text_is_recorded_not_sent_and_gets_a_meta_shaped_wamid(sandbox, outbox):
    wamid = sandbox.send_text(
        phone_number_id=NUMBER_ID, token="unused", to=PARENT, body="भोलि बिदा", callback_data="d:1"
    )
    assert outbox == [
        {
            "phone_number_id": NUMBER_ID,
            "to": PARENT,
            "kind": "text",
            "body": "भोलि बिदा",
            "template": None,
            "language": None,
            "params": None,
            "callback_data": "d:1",
            "wamid": wamid,
            "at": AT,
        }
    ]
    assert wamid.startswith("wamid.HBg") and len(wamid) <= 128
    assert b"9779841234567" in base64.b64decode(wamid.removeprefix("wamid."))


def test_a_template_is_recorded_with_its_params_as_meta_would_get_them(sandbox, outbox):
    sandbox.send_template(
        phone_number_id=NUMBER_ID,
        to=PARENT,
        name="sandesh_notice",
        language="ne",
        params={"notice": "भोलि\nबिदा", "school": ""},
    )
    [message] = outbox
    assert (message["kind"], message["template"], message["language"]) == (
        "template",
        "sandesh_notice",
        "ne",
    )
    assert message["params"] == {"notice": "भोलि बिदा", "school": "-"}
    assert message["body"] is None


def test_the_sandbox_refuses_what_the_cloud_client_refuses(sandbox, outbox):
    with pytest.raises(ValueError):
        sandbox.send_text(phone_number_id=NUMBER_ID, to=PARENT, body="x" * 4097)
    with pytest.raises(ValueError):
        sandbox.send_template(
            phone_number_id=NUMBER_ID, to=PARENT, name="", language="ne", params={}
        )
    assert outbox == []


def test_wamids_are_unique():
    assert len({new_wamid(PARENT) for _ in range(5000)}) == 5000


def test_without_a_recorder_sending_still_works():
    assert SandboxTransport().send_text(phone_number_id=NUMBER_ID, to=PARENT, body="hi")


@pytest.mark.parametrize("state", ["sent", "delivered", "read"])
def test_status_webhooks_read_back_through_parse(sandbox, state):
    wamid = sandbox.send_text(phone_number_id=NUMBER_ID, to=PARENT, body="hi")
    body = sandbox.status_webhook(
        phone_number_id=NUMBER_ID, wamid=wamid, recipient=PARENT, status=state, callback_data="d:9"
    )
    assert isinstance(body, bytes)
    [status] = parse(body)
    assert status == StatusUpdate(
        phone_number_id=NUMBER_ID,
        wamid=wamid,
        status=state,
        timestamp=AT,
        recipient_id="9779841234567",
        recipient_user_id=None,
        callback_data="d:9",
        pricing=status.pricing,
    )
    # status messages webhook reference (v24.0+): no `conversation`, `pricing` on one status
    assert "conversation" not in status.raw
    if state == "sent":
        assert status.pricing == {
            "billable": True,
            "pricing_model": "PMP",
            "type": "regular",
            "category": "utility",
        }
    else:
        assert status.pricing is None


def test_a_failed_status_webhook_carries_its_errors(sandbox):
    errors = [{"code": 131026, "title": "Message undeliverable", "error_data": {"details": "x"}}]
    body = sandbox.status_webhook(
        phone_number_id=NUMBER_ID, wamid="wamid.A", recipient=PARENT, status="failed", errors=errors
    )
    [status] = parse(body)
    assert [(e.code, e.title) for e in status.errors] == [(131026, "Message undeliverable")]


def test_inbound_webhooks_read_back_through_parse_and_escape_nepali_like_meta(sandbox):
    body = sandbox.inbound_webhook(
        phone_number_id=NUMBER_ID,
        sender=PARENT,
        text="मेरो छोरा आज बिरामी छ",
        name="सीता",
        context_wamid="wamid.ORIGINAL",
    )
    assert body.isascii() and b"\\u092e" in body
    [message] = parse(body)
    assert isinstance(message, InboundMessage)
    assert (message.sender, message.wa_id, message.profile_name) == (
        "9779841234567",
        "9779841234567",
        "सीता",
    )
    assert (message.text, message.context_wamid, message.timestamp) == (
        "मेरो छोरा आज बिरामी छ",
        "wamid.ORIGINAL",
        AT,
    )
    again = parse(sandbox.inbound_webhook(phone_number_id=NUMBER_ID, sender=PARENT, text="x"))
    assert next(again).wamid != message.wamid


def test_get_transport_picks_cloud_or_sandbox():
    outbox = []
    cloud = get_transport({"WHATSAPP_TRANSPORT": "cloud", "WHATSAPP_API_URL": "http://x/v26.0"})
    assert isinstance(cloud, CloudClient) and cloud.api_url == "http://x/v26.0"
    sandbox = get_transport({"WHATSAPP_TRANSPORT": "sandbox"}, recorder=outbox.append)
    assert isinstance(sandbox, SandboxTransport)
    sandbox.send_text(phone_number_id=NUMBER_ID, to=PARENT, body="hi")
    assert len(outbox) == 1
    assert isinstance(get_transport({}), SandboxTransport)


def test_get_transport_from_the_apps_config(app):
    assert isinstance(get_transport(app.config), SandboxTransport)
