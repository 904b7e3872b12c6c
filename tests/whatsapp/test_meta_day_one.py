"""The WhatsApp package's day-one surfaces, read from and checked against Meta's examples
(tests/fixtures/whatsapp/README.md names the page of each): taps on reply and quick-reply
buttons, people known only by a business-scoped user id, system messages, pricing on a
status, the account webhooks (templates, limit), the bodies Sandesh sends (interactive
buttons, quick-reply payloads, BSUID recipients, template submissions) and the account
calls against the fake Graph API."""

import json

import pytest

from portal.whatsapp import account_changes, management
from portal.whatsapp.account_changes import LimitChange, TemplateChange, limit_of, tier_of
from portal.whatsapp.errors import GraphError
from portal.whatsapp.management import GraphManagement
from portal.whatsapp.outgoing import (
    interactive_message,
    quick_reply_components,
    recipient_field,
    template_message,
)
from portal.whatsapp.payloads import InboundMessage, OtherChange, StatusUpdate, parse
from portal.whatsapp.template_requests import language_code, supported, template_definition
from tests.whatsapp.conftest import FIXTURES, TOKEN, fixture_bytes

BSUID = "NP.1502576394655843"
WABA = "102290129340398"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def change_of(name: str):
    """The typed account change a fixture's webhook reports."""
    [item] = parse(fixture_bytes(name))
    assert isinstance(item, OtherChange)
    return account_changes.read(item.field, item.account_id, item.raw)


# -- what arrives -----------------------------------------------------------------------------


def test_a_reply_button_tap_gives_its_id_title_and_the_message_it_answers():
    [tap] = parse(fixture_bytes("inbound_button_reply.json"))
    assert isinstance(tap, InboundMessage) and tap.type == "interactive"
    assert (tap.button_id, tap.text) == ("change-button", "Change")
    assert tap.context_wamid == "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBJBM0Y4RUU0RUNFQkFDMjYzQUMA"


def test_a_template_quick_reply_tap_gives_its_payload_and_its_label():
    [tap] = parse(fixture_bytes("inbound_quick_reply_button.json"))
    assert (tap.type, tap.button_id, tap.text) == ("button", "Unsubscribe", "Unsubscribe")
    assert tap.context_wamid.startswith("wamid.")


def test_someone_with_a_username_arrives_by_user_id_without_a_phone_number():
    [message] = parse(fixture_bytes("inbound_user_id_no_phone.json"))
    assert (message.sender, message.wa_id, message.user_id) == (None, None, BSUID)
    assert (message.text, message.profile_name) == ("STOP", "गीता")


def test_system_messages_say_who_changed_their_number_or_their_user_id():
    [number] = parse(fixture_bytes("system_user_changed_number.json"))
    assert number.type == "system" and number.sender == "16505551234"
    assert (number.system.kind, number.system.new_wa_id) == ("user_changed_number", "12195555358")
    [user] = parse(fixture_bytes("system_user_changed_user_id.json"))
    assert (user.system.kind, user.system.previous_user_id, user.system.new_user_id) == (
        "user_changed_user_id",
        BSUID,
        "NP.2602576394655844",
    )


def test_pricing_comes_on_a_status_free_or_charged_and_a_bsuid_recipient_is_kept():
    [utility] = parse(fixture_bytes("status_delivered_utility_pmp.json"))
    assert isinstance(utility, StatusUpdate)
    assert utility.pricing == {
        "billable": True,
        "pricing_model": "PMP",
        "type": "regular",
        "category": "utility",
    }
    [service] = parse(fixture_bytes("status_sent_free_customer_service.json"))
    assert (service.pricing["type"], service.pricing["billable"]) == (
        "free_customer_service",
        False,
    )
    [by_user] = parse(fixture_bytes("status_user_id_no_phone.json"))
    assert (by_user.recipient_id, by_user.recipient_user_id) == (None, BSUID)
    assert by_user.callback_data == "delivery:101" and by_user.pricing is None


def test_template_status_webhooks_become_changes_with_the_api_language_code_and_metas_words():
    approved = change_of("template_status_update_approved.json")
    assert approved == TemplateChange(
        account_id=WABA,
        field="message_template_status_update",
        template_id="1689556908129832",
        name="order_confirmation",
        language="en_US",  # the webhook writes en-US
        event="APPROVED",
        reason="NONE",
        category="UTILITY",
    )
    rejected = change_of("template_status_update_rejected.json")
    assert (rejected.event, rejected.reason) == ("REJECTED", "INVALID_FORMAT")
    assert rejected.detail.startswith("Your template has parameters placed next to each other")
    assert "Separate parameters" in rejected.detail


def test_quality_and_category_webhooks_tell_a_done_change_from_an_announced_one():
    quality = change_of("template_quality_update.json")
    assert (quality.field, quality.quality, quality.language) == (
        "message_template_quality_update",
        "YELLOW",
        "en_US",
    )
    done = change_of("template_category_update_marketing.json")
    assert (done.category, done.previous_category, done.impending) == (
        "MARKETING",
        "UTILITY",
        False,
    )
    coming = change_of("template_category_update_impending.json")
    assert (coming.category, coming.previous_category, coming.impending) == (
        "MARKETING",
        "UTILITY",
        True,
    )
    assert coming.effective_at.timestamp() == 1746169200


def test_limit_webhooks_give_a_tier_or_none_when_they_say_no_limit():
    assert change_of("business_capability_update.json") == LimitChange(
        "524126980791429", "business_capability_update", "TIER_2K"
    )
    # this example speaks of throughput (current_limit), not of the messaging limit
    quality = change_of("phone_number_quality_update.json")
    assert (quality.field, quality.tier) == ("phone_number_quality_update", None)
    assert account_changes.read("messages", WABA, {}) is None
    assert account_changes.read("business_capability_update", None, {}) is None


@pytest.mark.parametrize(
    ("value", "tier"),
    [
        ("TIER_250", "TIER_250"),
        (" tier_1k ", "TIER_1K"),
        (2000, "TIER_2K"),
        ("100000", "TIER_100K"),
        (-1, "TIER_UNLIMITED"),
        ("TIER_NOT_SET", None),
        (300, None),
        (True, None),
        (None, None),
        ("plenty", None),
    ],
)
def test_tiers_as_meta_writes_them(value, tier):
    assert tier_of(value) == tier


def test_limits_per_tier_and_an_unknown_tier_counts_as_metas_starting_limit():
    assert [limit_of(t) for t in ("TIER_50", "TIER_250", "TIER_10K", "TIER_UNLIMITED")] == [
        50,
        250,
        10_000,
        None,
    ]
    assert limit_of(None) == limit_of("TIER_SOMETHING") == 250


# -- what Sandesh sends -----------------------------------------------------------------------


def test_an_interactive_message_is_metas_reply_buttons_example_exactly():
    expected = fixture("send_interactive_buttons_request.json")
    sent = interactive_message(
        to="+16505551234",
        body=expected["interactive"]["body"]["text"],
        buttons=[
            {"id": "change-button", "title": "Change"},
            {"id": "cancel-button", "title": "Cancel"},
        ],
    )
    assert sent == expected


@pytest.mark.parametrize(
    ("body", "buttons", "why"),
    [
        ("x" * 1025, [{"id": "a", "title": "A"}], "1024"),
        ("Hi", [{"id": str(n), "title": f"B{n}"} for n in range(4)], "1 to 3"),
        ("Hi", [{"id": "a", "title": "Twenty-one characters"}], "1 to 20"),
        ("Hi", [{"id": "a", "title": "A"}, {"id": "b", "title": "A"}], "unique"),
        ("Hi", [{"id": "x" * 257, "title": "A"}], "1 to 256"),
        (" ", [{"id": "a", "title": "A"}], "needs a body"),
    ],
)
def test_interactive_messages_outside_metas_bounds_are_refused_before_sending(body, buttons, why):
    with pytest.raises(ValueError, match=why):
        interactive_message(to="9779801234567", body=body, buttons=buttons)


def test_a_template_sets_its_quick_reply_payloads_by_position():
    sent = template_message(
        to="9779801234567",
        name="sandesh_notice",
        language="en",
        params={"message": "School is closed tomorrow."},
        quick_replies=["seen:41"],
    )
    body, button = sent["template"]["components"]
    assert body["type"] == "body"
    assert button == {
        "type": "button",
        "sub_type": "quick_reply",
        "index": "0",
        "parameters": [{"type": "payload", "payload": "seen:41"}],
    }
    with pytest.raises(ValueError, match="payload"):
        quick_reply_components(["x" * 257])


def test_someone_known_only_by_user_id_is_sent_to_as_recipient_not_to():
    assert recipient_field(BSUID) == {"recipient": BSUID}
    assert recipient_field("9779801234567") == {"to": "9779801234567"}
    sent = interactive_message(to=BSUID, body="Hi", buttons=[{"id": "a", "title": "A"}])
    assert sent["recipient"] == BSUID and "to" not in sent


def test_meta_has_no_nepali_template_language_and_language_codes_follow_the_api():
    assert not supported("ne") and not supported("ne_NP")
    assert supported("en") and supported("en-US") and supported("hi")
    assert language_code("en-US") == "en_US" and language_code(None) == ""
    with pytest.raises(ValueError, match="does not accept"):
        template_definition(name="x", language="ne", body="नमस्ते", examples={})


def test_a_submission_is_a_named_utility_template_with_examples_and_quick_replies():
    definition = template_definition(
        name="sandesh_notice_ne",
        language="en",
        body="📩 Sandesh\n\n{{message}}\n\nSTOP · START",
        examples={"message": "भोलि विद्यालय बन्द छ।", "unused": "x"},
        quick_replies=("बुझें",),
    )
    assert definition == {
        "name": "sandesh_notice_ne",
        "language": "en",
        "category": "UTILITY",
        "parameter_format": "NAMED",
        "components": [
            {
                "type": "BODY",
                "text": "📩 Sandesh\n\n{{message}}\n\nSTOP · START",
                "example": {
                    "body_text_named_params": [
                        {"param_name": "message", "example": "भोलि विद्यालय बन्द छ।"}
                    ]
                },
            },
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "बुझें"}]},
        ],
    }


# -- the account calls, against the fake Graph API -------------------------------------------


def test_the_number_is_read_with_its_messaging_limit_field(graph_api):
    graph_api.configure(
        numbers={"106540352242922": {"display_phone_number": "+977 1-4000000"}},
        messaging_tier="TIER_1K",
    )
    found = GraphManagement(graph_api.url).phone_number(
        phone_number_id="106540352242922", token=TOKEN
    )
    assert found == {
        "id": "106540352242922",
        "display_phone_number": "+977 1-4000000",
        "whatsapp_business_manager_messaging_limit": "TIER_1K",
    }


def test_an_unknown_number_or_a_wrong_token_is_metas_error(graph_api):
    graph = GraphManagement(graph_api.url)
    with pytest.raises(GraphError) as unknown:
        graph.phone_number(phone_number_id="404", token=TOKEN)
    assert unknown.value.code == 100
    with pytest.raises(GraphError) as refused:
        graph.list_templates(waba_id=WABA, token="not-the-token")
    assert refused.value.code == 190


def test_templates_submitted_are_listed_back_across_pages(graph_api, monkeypatch):
    monkeypatch.setattr(management, "PAGE_SIZE", 2)
    graph_api.configure(template_review_seconds=-1)
    graph = GraphManagement(graph_api.url)
    for name in ("a_one", "a_two", "a_three"):
        made = graph.create_template(
            waba_id=WABA,
            token=TOKEN,
            definition=template_definition(name=name, language="en", body="Hi", examples={}),
        )
        assert made["status"] == "PENDING" and made["category"] == "UTILITY" and made["id"]
    listed = graph.list_templates(waba_id=WABA, token=TOKEN)
    assert [t["name"] for t in listed] == ["a_one", "a_two", "a_three"]
    assert {t["status"] for t in listed} == {"PENDING"}
