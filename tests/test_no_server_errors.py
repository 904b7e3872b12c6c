"""Property tests: whatever arrives (arbitrary JSON at the API and the signed webhook,
arbitrary GET parameters on the portal's pages), the answer is never a 5xx, and a webhook
item is never accepted and then dropped by a database error."""

import json
import os
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.models import WebhookEvent
from portal.services.accounts.tokens import create_api_token
from portal.whatsapp.signature import sign
from tests.conftest import Portal
from tests.factories import (
    ClassFactory,
    GuardianFactory,
    SchoolFactory,
    StudentFactory,
    StudentGuardianFactory,
    UserFactory,
)

SETTINGS = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

# The values that broke things before, mixed with anything at all.
NASTY = st.sampled_from(
    [
        "\x00",
        "a\x00b",
        "\ud800",
        "\udfff x",
        "<script>alert(1)</script>",
        "9" * 40,
        "-1",
        "0",
        "99999999999999999999",
        "1e400",
        "2070-01-01T10:00:00",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-12:00",
        "5A",
        "",
        " ",
        "%",
        "\\",
        "😀" * 50,
    ]
)
TEXT = st.one_of(NASTY, st.text(st.characters(exclude_categories=()), max_size=40))
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
JSON = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
FIELDS = ("targets", "body_en", "body_ne", "kind", "subject", "scheduled_at")


def dumps(value) -> bytes:
    """JSON as a client would send it: lone surrogates as \\u escapes."""
    return json.dumps(value, ensure_ascii=True).encode()


@pytest.fixture
def world(db):
    """A school with a class, a guardian, an admin and an API token."""
    school = SchoolFactory()
    five = ClassFactory(school=school, grade=5, section="A")
    guardian = GuardianFactory(school=school, phone="+9779841000111")
    StudentGuardianFactory(student=StudentFactory(school_class=five, roll=1), guardian=guardian)
    admin = UserFactory(school=school, role="admin")
    _, token = create_api_token(school=school)
    db.session.commit()
    return {"school": school, "admin": admin, "token": token}


def no_5xx(response, what) -> None:
    assert response.status_code < 500, (what, response.get_data(as_text=True)[:500])


@SETTINGS
@given(body=st.one_of(JSON, st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=6)))
def test_the_api_never_answers_5xx(client, world, recorder, body):
    headers = {
        "Authorization": f"Bearer {world['token']}",
        "Content-Type": "application/json",
    }
    response = client.post("/api/v1/broadcasts", data=dumps(body), headers=headers)
    no_5xx(response, body)
    if response.status_code >= 400:
        error = response.json["error"]
        assert set(error) == {"code", "message", "fields"}


@SETTINGS
@given(
    path=st.sampled_from(["/broadcasts", "/broadcasts/1", "/broadcasts/99999999999999999999"]),
    params=st.dictionaries(st.sampled_from(["page", "per_page", "q"]), TEXT, max_size=3),
)
def test_the_api_never_answers_5xx_to_any_query(client, world, path, params):
    url = f"/api/v1{path}?{urlencode(params, errors='surrogatepass')}"
    response = client.get(url, headers={"Authorization": f"Bearer {world['token']}"})
    no_5xx(response, url)


def meta_shaped(school, messages, statuses, contacts, field):
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"phone_number_id": school.phone_number_id},
        "contacts": contacts,
        "messages": messages,
        "statuses": statuses,
    }
    change = {"field": field, "value": value}
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}


ITEM = st.fixed_dictionaries(
    {
        "id": TEXT,
        "from": st.one_of(TEXT, st.just("9779841000111")),
        "timestamp": st.one_of(TEXT, st.integers()),
        "type": st.one_of(TEXT, st.just("text")),
        "text": st.fixed_dictionaries({"body": JSON}),
        "status": TEXT,
        "context": st.dictionaries(st.sampled_from(["id", "from"]), JSON),
        "errors": st.lists(st.dictionaries(st.sampled_from(["code", "title"]), JSON), max_size=2),
    }
)


@SETTINGS
@given(
    messages=st.lists(ITEM, max_size=3),
    statuses=st.lists(ITEM, max_size=3),
    contacts=st.lists(st.dictionaries(st.sampled_from(["wa_id", "profile"]), JSON), max_size=2),
    field=st.sampled_from(["messages", "messages", "account_update"]),
    garbage=st.one_of(st.none(), JSON),
)
def test_the_webhook_never_answers_5xx_and_never_drops_an_item(
    client, db, world, recorder, messages, statuses, contacts, field, garbage
):
    doc = (
        garbage
        if garbage is not None
        else meta_shaped(world["school"], messages, statuses, contacts, field)
    )
    body = dumps(doc)
    headers = {"X-Hub-Signature-256": sign(body, "test-app-secret")}
    response = client.post("/webhooks/whatsapp", data=body, headers=headers)
    assert response.status_code == 200
    db.session.expire_all()
    event = db.session.scalars(sa.select(WebhookEvent).order_by(WebhookEvent.id.desc())).first()
    assert event.status == "processed", event.error


PAGES = [
    "/",
    "/students/",
    "/guardians/",
    "/teachers/",
    "/classes/",
    "/broadcasts/",
    "/broadcasts/1",
    "/broadcasts/1/rows",
    "/broadcasts/1/progress",
    "/broadcasts/bs-date",
    "/inbox/",
    "/audit/",
    "/settings/",
    "/simulator/",
    "/simulator/+9779841000111",
    "/simulator/+9779841000111/chat",
    "/imports/",
    "/login",
]
PARAMS = ["q", "page", "status", "show", "class_id", "send_date", "reply_to", "seen", "next"]


@SETTINGS
@given(
    page=st.sampled_from(PAGES),
    params=st.dictionaries(st.sampled_from(PARAMS), TEXT, max_size=4),
    htmx=st.booleans(),
)
def test_the_portals_pages_never_answer_5xx_to_any_parameter(app, world, page, params, htmx):
    portal = _signed_in(app, world)
    url = f"{page}?{urlencode(params, errors='surrogatepass')}"
    no_5xx(portal.get(url, htmx=htmx), url)


def _signed_in(app, world) -> Portal:
    """One signed-in browser per test (hypothesis runs many examples in it)."""
    if world.get("portal") is None:
        world["portal"] = Portal(app.test_client())
        world["portal"].login(world["admin"])
        # a broadcast for the pages that show one
        from tests.helpers import make_broadcast

        make_broadcast(world["school"], ["5A"])
    return world["portal"]
