"""/api/v1/broadcasts with per-school bearer tokens."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.models import AuditLog, Broadcast
from portal.services.accounts.tokens import create_api_token
from portal.services.common import clock
from tests.factories import SchoolFactory
from tests.helpers import make_broadcast


@pytest.fixture
def token(db, roster):
    _, token = create_api_token(school=roster["school"])
    db.session.commit()
    return token


def api(client, method, url, token, headers=None, **kwargs):
    headers = ({"Authorization": f"Bearer {token}"} if token else {}) | (headers or {})
    return client.open(f"/api/v1{url}", method=method, headers=headers, **kwargs)


def test_create_sends_to_the_targets_and_reports_counts(client, roster, recorder, token):
    body = {
        "targets": ["5A"],
        "body_en": "Sports day on Friday.",
        "body_ne": "शुक्रबार खेलकुद।",
        "kind": "event",
    }
    response = api(client, "POST", "/broadcasts", token, json=body)
    assert response.status_code == 201, response.json
    created = response.json
    assert created["kind"] == "event" and created["targets"] == ["5A"]
    shown = api(client, "GET", f"/broadcasts/{created['id']}", token).json
    assert shown["status"] == "completed"
    assert shown["counts"] == {
        "total": 3,
        "pending": 0,
        "waiting": 0,
        "acknowledged": 0,
        "sent": 3,
        "delivered": 0,
        "read": 0,
        "failed": 0,
        "skipped": 0,
    }
    assert len(recorder.sent) == 3


def test_a_time_without_offset_is_nepal_time(client, roster, recorder, token):
    later = (clock.now() + timedelta(days=2)).astimezone().strftime("%Y-%m-%d") + "T10:00:00"
    response = api(
        client,
        "POST",
        "/broadcasts",
        token,
        json={"targets": ["5"], "body_ne": "सूचना", "scheduled_at": later},
    )
    assert response.status_code == 201
    assert response.json["scheduled_at"].endswith("04:15:00+00:00")  # 10:00 NPT
    assert response.json["status"] == "scheduled" and recorder.sent == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({"body_en": "x"}, "targets"),
        ({"targets": ["5A"]}, "body_ne"),
        ({"targets": ["12Q"], "body_en": "x"}, "targets"),
        ({"targets": ["5A"], "body_en": "x", "kind": "party"}, "kind"),
        ({"targets": ["5A"], "body_en": "x", "scheduled_at": "tomorrow"}, "scheduled_at"),
        (
            {"targets": ["5A"], "body_en": "x", "scheduled_at": "2001-01-01T10:00:00+05:45"},
            "scheduled_at",
        ),
    ],
)
def test_invalid_requests_are_422_with_the_field_named(client, roster, token, body, field):
    response = api(client, "POST", "/broadcasts", token, json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    assert response.json["error"]["code"] == "invalid"


def test_a_body_that_is_not_json_is_400(client, token):
    response = api(
        client,
        "POST",
        "/broadcasts",
        token,
        data="targets=5A",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer sk_nope", "Basic abc"])
def test_missing_or_wrong_tokens_are_401(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/broadcasts", headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_tokens_are_stored_hashed(db, roster, token):
    from portal.models import ApiToken

    stored = db.session.scalar(sa.select(ApiToken.token_hash))
    assert token not in stored and len(stored) == 64


def test_another_school_s_broadcast_is_404(client, db, roster, token):
    other = SchoolFactory()
    from tests.factories import ClassFactory

    ClassFactory(school=other, grade=5, section="A")
    foreign = make_broadcast(other, ["5A"], scheduled_at=clock.now() + timedelta(days=1))
    assert api(client, "GET", f"/broadcasts/{foreign.id}", token).status_code == 404
    assert api(client, "POST", f"/broadcasts/{foreign.id}/cancel", token).status_code == 404
    listed = api(client, "GET", "/broadcasts", token).json["broadcasts"]
    assert foreign.id not in [b["id"] for b in listed]


def test_list_is_newest_first_and_paginated(client, roster, token):
    later = clock.now() + timedelta(days=1)
    ids = [make_broadcast(roster["school"], ["5A"], scheduled_at=later).id for _ in range(3)]
    page = api(client, "GET", "/broadcasts?per_page=2", token).json
    assert [b["id"] for b in page["broadcasts"]] == ids[::-1][:2]
    assert page["total"] == 3 and page["next_page"] == 2
    second = api(client, "GET", "/broadcasts?per_page=2&page=2", token).json
    assert [b["id"] for b in second["broadcasts"]] == [ids[0]]


def test_cancel_a_scheduled_broadcast_then_409(client, db, roster, recorder, token):
    later = clock.now() + timedelta(days=1)
    broadcast = make_broadcast(roster["school"], ["5A"], scheduled_at=later)
    response = api(client, "POST", f"/broadcasts/{broadcast.id}/cancel", token)
    assert response.status_code == 200 and response.json["status"] == "cancelled"
    again = api(client, "POST", f"/broadcasts/{broadcast.id}/cancel", token)
    assert again.status_code == 409
    db.session.expire_all()
    assert db.session.get(Broadcast, broadcast.id).status == "cancelled"
    actions = db.session.scalars(sa.select(AuditLog.action)).all()
    assert "broadcast.cancel" in actions


def test_errors_are_in_english_for_programs_and_in_nepali_when_asked(client, roster, token):
    body = {"targets": ["9Z"], "body_en": "Hello."}
    plain = api(client, "POST", "/broadcasts", token, json=body)
    assert plain.status_code == 422
    assert plain.json["error"]["message"] == "“9Z” is not a class of this school."
    nepali = api(client, "POST", "/broadcasts", token, json=body, headers={"Accept-Language": "ne"})
    assert nepali.json["error"]["message"] == "“9Z” यस विद्यालयको कक्षा होइन।"
