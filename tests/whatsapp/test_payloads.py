import json
from datetime import UTC, datetime

import pytest

from portal.whatsapp.payloads import (
    ErrorInfo,
    InboundMessage,
    Malformed,
    OtherChange,
    StatusUpdate,
    WebhookError,
    parse,
)
from tests.whatsapp.conftest import FIXTURES, fixture_bytes

NUMBER_ID = "106540352242922"


def kinds(items):
    return [type(item).__name__ for item in items]


def test_metas_inbound_text_example():
    [message] = parse(fixture_bytes("inbound_text_message.json"))
    assert message == InboundMessage(
        phone_number_id=NUMBER_ID,
        wamid="wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
        sender="16505551234",
        wa_id="16505551234",
        user_id=None,
        profile_name="Sheena Nelson",
        type="text",
        text="Does it come in another color?",
        timestamp=datetime(2025, 6, 8, 20, 59, 43, tzinfo=UTC),
        context_wamid=None,
    )
    assert message.raw["id"] == message.wamid


def test_metas_sent_status_example():
    [status] = parse(fixture_bytes("status_sent_marketing.json"))
    assert isinstance(status, StatusUpdate)
    assert (status.status, status.recipient_id, status.callback_data) == (
        "sent",
        "16505551234",
        None,
    )
    assert status.wamid == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA="
    assert status.timestamp == datetime.fromtimestamp(1750030073, UTC)
    assert status.timestamp.tzinfo is UTC
    assert status.raw["pricing"]["category"] == "marketing"


def test_metas_failed_status_example_carries_its_errors():
    [status] = parse(fixture_bytes("status_failed_131049.json"))
    assert status.status == "failed"
    [error] = status.errors
    assert error.code == 131049
    assert error.title.startswith("This message was not delivered")
    assert error.details.startswith("In order to maintain a healthy ecosystem engagement")


def test_nepali_text_comes_out_unescaped():
    [message] = parse(fixture_bytes("inbound_text_nepali.json"))
    assert message.text == "भोलि विद्यालय बन्द छ? मेरो छोरा ५क मा पढ्छ।"
    assert message.profile_name == "सीता शर्मा"


def test_a_batch_across_entries_and_changes_keeps_every_status_in_order():
    statuses = list(parse(fixture_bytes("status_batch.json")))
    assert [(s.phone_number_id, s.status, s.callback_data) for s in statuses] == [
        (NUMBER_ID, "sent", "delivery:101"),
        (NUMBER_ID, "sent", "delivery:102"),
        (NUMBER_ID, "delivered", "delivery:101"),
        ("106540352242999", "read", "delivery:201"),
    ]


def test_duplicates_are_all_reported_for_the_caller_to_dedupe():
    statuses = list(parse(fixture_bytes("status_duplicates.json")))
    assert len(statuses) == 3
    assert len({(s.wamid, s.status, s.timestamp) for s in statuses}) == 1


def test_out_of_order_statuses_keep_their_true_timestamps():
    statuses = list(parse(fixture_bytes("status_out_of_order.json")))
    assert [s.status for s in statuses] == ["read", "delivered", "sent"]
    assert [s.status for s in sorted(statuses, key=lambda s: s.timestamp)] == [
        "sent",
        "delivered",
        "read",
    ]


def test_unsupported_inbound_type_carries_error_131051():
    [message] = parse(fixture_bytes("inbound_unsupported_131051.json"))
    assert (message.type, message.text) == ("unsupported", None)
    assert message.errors == (
        ErrorInfo(131051, "Message type unknown", "Message type is currently not supported."),
    )


def test_a_status_for_a_user_known_only_by_user_id():
    [status] = parse(fixture_bytes("status_user_id_no_phone.json"))
    assert status.recipient_id is None
    assert status.recipient_user_id == "NP.1502576394655843"
    assert status.callback_data == "delivery:101"


def test_a_message_from_a_user_known_only_by_user_id():
    [message] = parse(fixture_bytes("inbound_user_id_no_phone.json"))
    assert (message.sender, message.wa_id) == (None, None)
    assert message.user_id == "NP.1502576394655843"
    assert (message.profile_name, message.text) == ("गीता", "STOP")


def test_button_and_list_replies_give_their_titles_and_what_they_reply_to():
    button, choice = parse(fixture_bytes("inbound_replies.json"))
    assert (button.type, button.text, button.profile_name) == ("button", "Stop notices", "Hari")
    assert button.context_wamid.startswith("wamid.HBgNOTc3OTg0")
    assert (choice.type, choice.text, choice.profile_name) == ("interactive", "नेपाली", "Maya")
    assert choice.sender == choice.wa_id == "9779851234567"


def test_value_level_errors():
    [error] = parse(fixture_bytes("webhook_value_errors.json"))
    assert isinstance(error, WebhookError)
    assert error.phone_number_id == NUMBER_ID
    assert error.errors == (
        ErrorInfo(131000, "Something went wrong", "Unknown error, please retry"),
    )


def test_other_webhook_fields_are_passed_on_not_dropped():
    [change] = parse(fixture_bytes("template_status_update.json"))
    assert isinstance(change, OtherChange)
    assert change.field == "message_template_status_update"
    assert change.raw["event"] == "PAUSED"


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.name)
def test_every_fixture_parses_without_raising(path):
    items = list(parse(path.read_bytes()))
    assert items
    webhook = b'"entry"' in path.read_bytes()
    assert all(not isinstance(item, Malformed) for item in items) == webhook


def test_parse_accepts_bytes_str_or_dict_alike():
    raw = fixture_bytes("status_batch.json")
    assert list(parse(raw)) == list(parse(raw.decode())) == list(parse(json.loads(raw)))


def status(n, state="delivered"):
    return {
        "id": f"wamid.batch{n:05d}",
        "status": state,
        "timestamp": str(1763800000 + n),
        "recipient_id": f"97798{n:08d}",
        "biz_opaque_callback_data": f"delivery:{n}",
    }


def webhook(entries):
    return {"object": "whatsapp_business_account", "entry": entries}


def change(items, number=NUMBER_ID, **extra):
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": number}}
    return {"value": value | {"statuses": items} | extra, "field": "messages"}


def test_a_batch_of_1000_statuses_across_entries_and_changes():
    entries = [
        {
            "id": str(e),
            "changes": [
                change([status(e * 250 + c * 50 + k) for k in range(50)]) for c in range(5)
            ],
        }
        for e in range(4)
    ]
    body = json.dumps(webhook(entries)).encode()
    statuses = list(parse(body))
    assert len(statuses) == 1000
    assert all(isinstance(s, StatusUpdate) for s in statuses)
    assert [s.callback_data for s in statuses] == [f"delivery:{n}" for n in range(1000)]


def test_garbage_items_become_malformed_and_the_good_ones_still_come_out():
    good = [status(1), status(2, "read"), status(3, "sent")]
    garbage_statuses = [
        good[0],
        "not an object",
        {"status": "sent", "timestamp": "1"},  # no id
        {"id": "wamid.x", "timestamp": "1"},  # no status
        {"id": "wamid.y", "status": "read", "timestamp": "soon"},
        {"id": "w" * 129, "status": "read", "timestamp": "1"},
        good[1],
        {"id": "wamid.z", "status": "sent", "timestamp": "1", "errors": "oops", "extra": [1, 2]},
        good[2],
    ]
    entries = [
        "an entry that is a string",
        {"id": "1", "changes": "not a list"},
        {
            "id": "2",
            "changes": [
                None,
                {"field": "messages", "value": "text"},
                {"field": "messages", "value": {"statuses": [status(9)]}},  # no metadata
                change(garbage_statuses),
                change([], messages={"not": "a list"}),
                change([], messages=[{"id": "wamid.m", "type": "text", "timestamp": "x"}]),
            ],
        },
    ]
    items = list(parse(json.dumps(webhook(entries)).encode()))
    updates = [i for i in items if isinstance(i, StatusUpdate)]
    assert [u.wamid for u in updates] == [
        "wamid.batch00001",
        "wamid.batch00002",
        "wamid.z",
        "wamid.batch00003",
    ]
    assert updates[2].errors == ()
    bad = [i for i in items if isinstance(i, Malformed)]
    assert len(bad) == len(items) - 4 == 12
    assert [b.where for b in bad[:2]] == ["entry[0]", "entry[1]"]
    assert "entry[2].changes[3].statuses[1]" in [b.where for b in bad]
    assert all(b.why for b in bad)


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"[]", b"null", b'{"entry": 3}', b"\xff\xfe\x00", "{", 12]
)
def test_a_body_that_is_not_a_webhook_is_one_malformed_item(body):
    [item] = parse(body)
    assert isinstance(item, Malformed) and item.where == "body"


def test_unknown_fields_and_message_types_are_tolerated():
    message = {
        "from": "9779841234567",
        "id": "wamid.new",
        "timestamp": 1763800000,
        "type": "hologram",
        "hologram": {"shape": "cube"},
        "brand_new_field": {"x": 1},
    }
    value = {"metadata": {"phone_number_id": NUMBER_ID}, "messages": [message], "surprise": True}
    [item] = parse(webhook([{"id": "1", "changes": [{"value": value, "field": "messages"}]}]))
    assert (item.type, item.text, item.sender, item.wa_id) == (
        "hologram",
        None,
        "9779841234567",
        None,
    )
