"""Conversations arrive as signed webhooks; replies leave through the delivery engine."""

import json

import pytest

from portal.services import clock
from portal.whatsapp.signature import sign
from tests.delivery.conftest import RecordingTransport, recorder, roster  # noqa: F401

SECRET = "test-app-secret"
_counter = iter(range(1, 10**9))


def inbound_body(school, sender: str, text: str, *, wamid=None, context=None) -> bytes:
    """A Meta-shaped inbound text message from `sender` to the school's number."""
    wa_id = sender.lstrip("+")
    message = {
        "from": wa_id,
        "id": wamid or f"wamid.in{next(_counter)}",
        "timestamp": str(int(clock.now().timestamp())),
        "type": "text",
        "text": {"body": text},
    }
    if context:
        message["context"] = {"from": school.phone_number_id, "id": context}
    value = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": "9779800000000",
            "phone_number_id": school.phone_number_id,
        },
        "contacts": [{"profile": {"name": "Sender"}, "wa_id": wa_id}],
        "messages": [message],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body, separators=(",", ":")).encode()


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
