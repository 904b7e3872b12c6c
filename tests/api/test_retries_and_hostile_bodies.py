"""What a client that retries, or sends what it should not, gets from POST /api/v1/broadcasts:
success once committed (the queue is only a wake-up), the first answer again for the same
Idempotency-Key, and a clear 4xx in the documented error format for anything unreadable."""

import json
from datetime import timedelta

import pytest
import redis
import sqlalchemy as sa

from portal.extensions import huey
from portal.models import Broadcast, Delivery, IdempotencyKey
from portal.services.accounts.tokens import create_api_token
from portal.services.common import clock
from portal.tasks.delivery import dispatch_due
from tests.helpers import run_senders

BODY = {"targets": ["5A"], "body_en": "Sports day on Friday.", "kind": "event"}


@pytest.fixture
def token(db, roster):
    _, token = create_api_token(school=roster["school"])
    db.session.commit()
    return token


def post(client, token, body=None, *, key=None, data=None):
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept-Language": "en",
    }
    if key is not None:
        headers["Idempotency-Key"] = key
    payload = data if data is not None else json.dumps(body if body is not None else BODY)
    return client.post("/api/v1/broadcasts", data=payload, headers=headers)


def count(db, model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.json["error"]
    assert error["code"] == code and error["message"] and isinstance(error["fields"], dict)
    return error


@pytest.fixture
def queue_down(monkeypatch):
    """Redis refuses every connection: enqueueing raises, as it does in production."""

    def refuse(*args, **kwargs):
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(huey, "enqueue", refuse)


def test_with_the_queue_down_a_committed_broadcast_is_201_and_sent_once(
    client, db, roster, recorder, token, queue_down, caplog
):
    response = post(client, token)
    assert response.status_code == 201, response.json
    assert "dispatcher will start it" in caplog.text  # the lost wake-up is logged
    assert count(db, Broadcast) == 1 and count(db, Delivery) == 0
    dispatch_due.call_local()  # the every-minute dispatcher picks it up
    dispatch_due.call_local()  # and a second round changes nothing
    assert count(db, Delivery) == 3
    run_senders()  # as the sweeper's wake-up does, once the queue answers again
    run_senders()
    sent_to = [m["to"] for m in recorder.sent]
    assert sorted(sent_to) == sorted(set(sent_to)) and len(sent_to) == 3


def test_with_the_queue_down_the_portal_answers_success_too(db, admin_portal, roster, queue_down):
    from tests.factories import UserFactory

    user = UserFactory(school=roster["school"], role="admin")
    admin_portal.post("/logout")
    admin_portal._token = None
    admin_portal.login(user)
    response = admin_portal.post(
        "/broadcasts/new", {"targets": ["5A"], "kind": "notice", "body_en": "Hello"}
    )
    assert response.status_code == 302 and "/broadcasts/" in response.headers["Location"]
    assert count(db, Broadcast) == 1


def test_the_same_key_returns_the_first_answer_and_creates_nothing(client, db, roster, token):
    first = post(client, token, key="order-42")
    assert first.status_code == 201
    again = post(client, token, key="order-42")
    assert again.status_code == 201 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    reordered = json.dumps(dict(reversed(list(BODY.items()))), indent=2)
    assert post(client, token, key="order-42", data=reordered).json == first.json
    assert count(db, Broadcast) == 1
    assert post(client, token, key="order-43").json["id"] != first.json["id"]
    assert count(db, Broadcast) == 2


def test_the_same_key_with_another_body_is_422(client, db, roster, token):
    assert post(client, token, key="k1").status_code == 201
    changed = post(client, token, BODY | {"body_en": "Sports day on Saturday."}, key="k1")
    error = assert_error(changed, 422, "idempotency_key_reused")
    assert "Idempotency-Key" in error["fields"]
    assert count(db, Broadcast) == 1


def test_a_key_is_kept_for_a_day(client, db, roster, token, monkeypatch):
    first = post(client, token, key="daily")
    later = clock.now() + timedelta(hours=24, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    second = post(client, token, key="daily")
    assert second.status_code == 201 and second.json["id"] != first.json["id"]
    assert count(db, IdempotencyKey) == 1


def test_a_refused_request_keeps_no_key(client, db, roster, token):
    assert post(client, token, BODY | {"targets": ["9Z"]}, key="retry-me").status_code == 422
    assert post(client, token, key="retry-me").status_code == 201


def test_keys_belong_to_one_school(client, db, roster, token):
    from tests.factories import ClassFactory, SchoolFactory

    other = SchoolFactory()
    ClassFactory(school=other, grade=5, section="A")
    _, other_token = create_api_token(school=other)
    db.session.commit()
    mine = post(client, token, key="shared")
    theirs = post(client, other_token, key="shared")
    assert theirs.status_code == 201 and theirs.json["id"] != mine.json["id"]


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "ключ", "a\tb"])
def test_an_unusable_key_is_a_400(client, db, roster, token, key):
    assert_error(post(client, token, key=key), 400, "bad_request")
    assert count(db, Broadcast) == 0


@pytest.mark.parametrize(
    "data, status, code",
    [
        ("[" * 100_000 + "]" * 100_000, 400, "bad_request"),
        (
            json.dumps(
                {
                    "targets": ["5A"],
                    "x": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
                }
            ),
            400,
            "bad_request",
        ),
        ('{"targets": ["5A"], "body_en": "nul \\u0000 here"}', 422, "invalid"),
        ('{"targets": ["5A"], "body_en": "lone \\ud800 surrogate"}', 422, "invalid"),
        ('{"targets": ["5\\u0000A"], "body_en": "x"}', 422, "invalid"),
        ('{"targets": ["5A"], "body_en": "x", "\\udfff": 1}', 422, "invalid"),
        (
            '{"targets": ["5A"], "body_en": "x", "scheduled_at": "99999-01-01T00:00:00"}',
            422,
            "invalid",
        ),
        (
            '{"targets": ["5A"], "body_en": "x", "scheduled_at": "9999-12-31T23:59:59-12:00"}',
            422,
            "invalid",
        ),
        (
            '{"targets": ["5A"], "body_en": "x", "scheduled_at": "0001-01-01T00:00:00+14:00"}',
            422,
            "invalid",
        ),
        (
            '{"targets": ["5A"], "body_en": "x", "scheduled_at": "2070-01-01T10:00:00"}',
            422,
            "invalid",
        ),
        ("\xff\xfe not utf-8", 400, "bad_request"),
        ("[]", 400, "bad_request"),
        ("", 400, "bad_request"),
    ],
)
def test_unreadable_bodies_are_clear_4xx(client, db, roster, token, data, status, code):
    assert_error(post(client, token, data=data), status, code)
    assert count(db, Broadcast) == 0


def test_a_year_ahead_is_the_limit(client, db, roster, token):
    within = (clock.now() + timedelta(days=360)).isoformat()
    beyond = (clock.now() + timedelta(days=400)).isoformat()
    assert post(client, token, BODY | {"scheduled_at": within}).status_code == 201
    error = assert_error(post(client, token, BODY | {"scheduled_at": beyond}), 422, "invalid")
    assert "more than a year ahead" in error["fields"]["scheduled_at"][0]


@pytest.mark.parametrize(
    "query", ["page=99999999999999999999", "per_page=99999999999999999999", "page=-1", "page=x"]
)
def test_page_numbers_of_any_size_are_not_a_500(client, db, roster, token, query):
    response = client.get(
        f"/api/v1/broadcasts?{query}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code in (200, 400), response.get_data(as_text=True)


def test_an_id_beyond_64_bits_is_a_404_in_the_error_format(client, db, roster, token):
    response = client.get(
        "/api/v1/broadcasts/99999999999999999999", headers={"Authorization": f"Bearer {token}"}
    )
    assert_error(response, 404, "not_found")
