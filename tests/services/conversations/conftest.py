"""Conversations arrive as signed webhooks; replies leave through the delivery engine."""

import json

import pytest

from portal.services.common import clock
from portal.services.delivery import transport
from portal.whatsapp.client import CloudClient
from portal.whatsapp.signature import sign
from tests.fakes.graph_api import FakeGraphAPI

SECRET = "test-app-secret"
_counter = iter(range(1, 10**9))


def inbound_body(
    school,
    sender: str | None,
    text: str,
    *,
    wamid=None,
    context=None,
    user_id=None,
    tap=None,
    at=None,
) -> bytes:
    """A Meta-shaped inbound message from `sender` (or, for someone with a username, only
    their business-scoped `user_id`) to the school's number, sent `at` (default: now): text,
    or a tap on a button (`tap`: ("reply", id) for a reply button, ("quick_reply", payload)
    for a template's)."""
    wa_id = sender.lstrip("+") if sender else None
    message = {
        "id": wamid or f"wamid.in{next(_counter)}",
        "timestamp": str(int((at or clock.now()).timestamp())),
        **_content(text, tap),
    }
    contact = {"profile": {"name": "Sender"}}
    if wa_id:
        message["from"] = contact["wa_id"] = wa_id
    if user_id:
        message["from_user_id"] = contact["user_id"] = user_id
    if context:
        message["context"] = {"from": school.phone_number_id, "id": context}
    value = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": "9779800000000",
            "phone_number_id": school.phone_number_id,
        },
        "contacts": [contact],
        "messages": [message],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body, separators=(",", ":")).encode()


def _content(text: str, tap) -> dict:
    """Interactive reply buttons page (button_reply) and button messages webhook reference
    (a template's quick reply: `type: button`)."""
    if tap is None:
        return {"type": "text", "text": {"body": text}}
    kind, value = tap
    if kind == "reply":
        reply = {"type": "button_reply", "button_reply": {"id": value, "title": text}}
        return {"type": "interactive", "interactive": reply}
    return {"type": "button", "button": {"payload": value, "text": text}}


class GraphPhones:
    """What the fake Graph API accepted, read per phone as the recipient would see it."""

    def __init__(self, fake: FakeGraphAPI):
        self.fake = fake

    @property
    def sent(self) -> list[dict]:
        return [self._message(m) for m in self.fake.messages()]

    def to(self, phone: str) -> list[dict]:
        return [self._message(m) for m in self.fake.messages(to=phone)]

    @staticmethod
    def _message(m: dict) -> dict:
        return {
            "kind": m["type"],
            "body": m["body"] or "",
            "params": m["params"],
            "wamid": m["wamid"],
            "to": m["recipient"],
            "template": m["template"],
            "language": m["language"],
            "buttons": m.get("buttons") or [],
            "quick_replies": m.get("quick_replies") or [],
        }


@pytest.fixture
def phones(app):
    """What each phone receives: the app sends through the real Cloud API client to a fake
    Graph API on 127.0.0.1."""
    with FakeGraphAPI("conversation-token") as fake:
        app.extensions[transport.KEY] = CloudClient(fake.url)
        old_token = app.config["WHATSAPP_ACCESS_TOKEN"]
        app.config["WHATSAPP_ACCESS_TOKEN"] = "conversation-token"
        yield GraphPhones(fake)
        app.config["WHATSAPP_ACCESS_TOKEN"] = old_token
        app.extensions.pop(transport.KEY, None)


@pytest.fixture
def say(client):
    """Post what a phone writes to the school, signed as Meta signs it."""

    def send(school, sender, text, **kwargs):
        body = inbound_body(school, sender, text, **kwargs)
        response = client.post(
            "/webhooks/whatsapp",
            data=body,
            headers={"X-Hub-Signature-256": sign(body, SECRET), "Content-Type": "application/json"},
        )
        assert response.status_code == 200
        return body

    return send
