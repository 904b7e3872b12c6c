"""The webhook's intake answers Meta's POSTs before Flask's request machinery: the same
answers, stored before the 200, the same security headers; anything else goes to Flask."""

import io

import sqlalchemy as sa

from portal.models import WebhookEvent
from portal.whatsapp.signature import sign
from tests.helpers import FIXTURES

BODY = (FIXTURES / "whatsapp" / "inbound_text_message.json").read_bytes()


def signed(body: bytes) -> dict:
    return {
        "X-Hub-Signature-256": sign(body, "test-app-secret"),
        "Content-Type": "application/json",
    }


def test_a_signed_post_is_stored_and_answered_with_the_security_headers(db, client):
    response = client.post("/webhooks/whatsapp", data=BODY, headers=signed(BODY))
    assert response.status_code == 200 and response.json == {"status": "received"}
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in response.headers  # no session for Meta
    assert db.session.scalar(sa.select(WebhookEvent.body)) == BODY


def test_a_bad_signature_is_the_same_401(db, client):
    response = client.post("/webhooks/whatsapp", data=BODY, headers=signed(BODY + b" "))
    assert response.status_code == 401
    assert response.json["error"]["code"] == "bad_signature"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 0


def test_a_body_over_the_limit_goes_to_flask_and_is_refused(app, db, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 100)
    response = client.post("/webhooks/whatsapp", data=BODY, headers=signed(BODY))
    assert response.status_code == 413 and response.json["error"]["code"] == "too_large"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 0


def test_a_post_without_a_length_goes_to_flask_and_is_stored_the_same(db, client):
    response = client.post(
        "/webhooks/whatsapp",
        input_stream=io.BytesIO(BODY),
        headers=signed(BODY) | {"Transfer-Encoding": "chunked"},
    )
    assert response.status_code == 200 and response.json == {"status": "received"}
    assert db.session.scalar(sa.select(WebhookEvent.body)) == BODY


def test_other_paths_and_methods_are_flask_s(client):
    assert client.get("/webhooks/whatsapp").status_code == 403
    assert client.put("/webhooks/whatsapp", data=BODY, headers=signed(BODY)).status_code == 405
