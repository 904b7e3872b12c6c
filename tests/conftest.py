"""Fixtures: one app and one migrated database per run, emptied after every test.

The embedded run uses a fresh SQLite file; the PostgreSQL run sets DATABASE_URL (and
REDIS_URL) to a fresh database made by scripts/test.
"""

import json
import os
import re
import tempfile

import pytest

_TMP = tempfile.mkdtemp(prefix="sandesh-test-")
# Under pytest-xdist each worker inherits what the controller's copy of this file set:
# a worker gets its own instance folder and SQLite file, not the controller's.
if _parent := os.environ.pop("SANDESH_TEST_TMP", None):
    if os.environ.get("SANDESH_INSTANCE_PATH") == _parent:
        del os.environ["SANDESH_INSTANCE_PATH"]
    if os.environ.get("DATABASE_URL") == f"sqlite:///{_parent}/test.db":
        del os.environ["DATABASE_URL"]
os.environ["SANDESH_TEST_TMP"] = _TMP
os.environ["SANDESH_ENV"] = "testing"
os.environ.setdefault("SANDESH_INSTANCE_PATH", _TMP)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_TMP}/test.db")
os.environ.setdefault("WHATSAPP_APP_SECRET", "test-app-secret")
os.environ.setdefault("WHATSAPP_VERIFY_TOKEN", "test-verify-token")

import sqlalchemy as sa  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from flask_babel import force_locale  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db as _db  # noqa: E402
from portal.services.delivery import transport  # noqa: E402
from portal.whatsapp.client import CloudClient  # noqa: E402
from portal.whatsapp.signature import sign  # noqa: E402
from tests.factories import (  # noqa: E402
    PASSWORD,
    ClassFactory,
    GuardianFactory,
    SchoolFactory,
    StudentFactory,
    StudentGuardianFactory,
    UserFactory,
)
from tests.fakes.graph_api import FakeGraphAPI  # noqa: E402
from tests.fakes.recording import RecordingTransport  # noqa: E402

META_TOKEN = "meta-day-one-token"
WABA = "102290129340398"  # the WhatsApp Business Account id of Meta's examples
APP_ID = "1061587268735917"  # a Meta app's id, as the Resumable Upload API takes it


class FreshContextClient(FlaskClient):
    """Each request in its own app context, as in production: a fresh `g` and DB session,
    not the test's own (which the `db` fixture holds open)."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app():
    app = create_app()
    app.test_client_class = FreshContextClient
    with app.app_context():
        upgrade()
    forget_send_limits()  # a run a moment ago sent to the same numbers
    yield app
    close_connections(app)


def close_connections(app) -> None:
    """Close every pooled connection an app opened (its engine's and the webhook store's),
    rather than leave them to the garbage collector, which on Python 3.13 warns for SQLite."""
    with app.app_context():
        _db.engine.dispose()
    if (store := app.extensions.get("sandesh_webhook_store")) is not None:
        store.dispose()


RESTART_SEQUENCES = sa.text(
    "SELECT setval(oid::regclass, 1, false) FROM pg_class WHERE relkind = 'S'"
)


@pytest.fixture(autouse=True)
def db(app):
    """The database, emptied after each test (fast on both SQLite and PostgreSQL)."""
    with app.app_context():
        yield _db
        _db.session.remove()
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())
            if conn.dialect.name == "postgresql":
                # ids start at 1 again, as on SQLite; DELETE is 20x faster than TRUNCATE here
                conn.execute(RESTART_SEQUENCES)
        forget_send_limits()


def forget_send_limits() -> None:
    """The next test's school and guardians have the same numbers as this one's: the
    6-second gap to each person and the rate buckets start afresh, in Redis and here."""
    from portal.services.delivery import ratelimit

    ratelimit._limiters.clear()
    if os.environ.get("REDIS_URL"):
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()


class Portal:
    """A test client that behaves like a person's browser: it signs in and sends CSRF tokens."""

    TOKEN = re.compile(
        r'name="csrf_token" type="hidden" value="([^"]+)"|'
        r'name="csrf_token" value="([^"]+)"'
    )

    def __init__(self, client):
        self.client = client
        self._token = None

    def csrf_token(self) -> str:
        if self._token is None:
            html = self.client.get("/login", follow_redirects=True).get_data(as_text=True)
            match = self.TOKEN.search(html)
            assert match, "no CSRF token on the login page"
            self._token = match.group(1) or match.group(2)
        return self._token

    def get(self, url, htmx=False, **kwargs):
        headers = kwargs.pop("headers", {})
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.get(url, headers=headers, **kwargs)

    def post(self, url, data=None, htmx=False, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        headers = kwargs.pop("headers", {})
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.post(url, data=data, headers=headers, **kwargs)

    def login(self, user, password=PASSWORD):
        response = self.post("/login", {"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        self._token = None  # the session was renewed at sign-in
        return response


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def portal(client):
    return Portal(client)


@pytest.fixture
def school(db):
    return SchoolFactory()


@pytest.fixture
def admin(school):
    return UserFactory(school=school, role="admin")


@pytest.fixture
def admin_portal(portal, admin):
    portal.login(admin)
    return portal


@pytest.fixture
def login_as(portal, school):
    """Sign `portal` in as a new user of a school (default: `school`) with this role."""

    def login(role="admin", **kwargs):
        kwargs.setdefault("school", None if role == "operator" else school)
        user = UserFactory(role=role, **kwargs)
        portal.login(user)
        return user

    return login


@pytest.fixture
def recorder(app):
    """Messages are recorded in-process instead of sent (RecordingTransport)."""
    fake = RecordingTransport()
    app.extensions[transport.KEY] = fake
    yield fake
    app.extensions.pop(transport.KEY, None)


@pytest.fixture
def roster(db):
    """A school with 5A (three students) and 5B (two); guardian `both` has children in each,
    `triple` has three children (Firoj, in 6A, also has the guardian `sixth`)."""
    school = SchoolFactory()
    c5a = ClassFactory(school=school, grade=5, section="A")
    c5b = ClassFactory(school=school, grade=5, section="B")
    c6a = ClassFactory(school=school, grade=6, section="A")
    students = {
        name: StudentFactory(school_class=cls, name=name, roll=roll)
        for name, cls, roll in [
            ("Aarav", c5a, 1),
            ("Bina", c5a, 2),
            ("Chiran", c5a, 3),
            ("Dipa", c5b, 1),
            ("Esha", c5b, 2),
            ("Firoj", c6a, 1),
        ]
    }
    guardians = {
        "one": GuardianFactory(school=school, name="One Child", language="en"),
        "both": GuardianFactory(school=school, name="Two Children", language="ne"),
        "triple": GuardianFactory(school=school, name="Three Children", language="both"),
        "sixth": GuardianFactory(school=school, name="Sixth Grade", language="en"),
    }
    links = [
        ("Aarav", "one"),
        ("Bina", "both"),
        ("Dipa", "both"),
        ("Chiran", "triple"),
        ("Esha", "triple"),
        ("Firoj", "triple"),
        ("Firoj", "sixth"),
    ]
    for student, guardian in links:
        StudentGuardianFactory(
            student=students[student], guardian=guardians[guardian], school_id=school.id
        )
    return {
        "school": school,
        "classes": {"5A": c5a, "5B": c5b, "6A": c6a},
        "students": students,
        "guardians": guardians,
    }


@pytest.fixture
def english(db):
    """Messages in English (errors are translated; the default locale is Nepali)."""
    with force_locale("en"):
        yield


@pytest.fixture
def frozen_clock(monkeypatch):
    """`clock.now` reads a clock the test sets (`frozen_clock.nepal(day, 6, 0)`) and moves;
    it starts at 08:00 Nepal time on Sunday 23 Nov 2025 (2082 Mangsir 7)."""
    import datetime

    from portal.services.common import clock
    from tests.fakes.clock import FrozenClock

    fake = FrozenClock(datetime.datetime(2025, 11, 23, 2, 15, tzinfo=datetime.UTC))
    monkeypatch.setattr(clock, "now", fake)
    return fake


@pytest.fixture
def meta(app):
    """A fake Graph API the app uses as Meta (the Cloud API transport): sends, templates
    (left PENDING until a test reviews them), the number's fields and its limit."""
    with FakeGraphAPI(META_TOKEN, template_review_seconds=-1) as fake:
        names = ("WHATSAPP_TRANSPORT", "WHATSAPP_API_URL", "WHATSAPP_ACCESS_TOKEN")
        saved = {name: app.config[name] for name in (*names, "WHATSAPP_APP_ID")}
        app.config.update(
            WHATSAPP_TRANSPORT="cloud",
            WHATSAPP_API_URL=fake.url,
            WHATSAPP_ACCESS_TOKEN=META_TOKEN,
            WHATSAPP_APP_ID=APP_ID,
        )
        app.extensions[transport.KEY] = CloudClient(fake.url)
        yield fake
        app.extensions.pop(transport.KEY, None)
        app.config.update(saved)


@pytest.fixture
def post_webhook(client):
    """Post a webhook body to the app, signed as Meta signs it; the app's answer."""

    def post(body):
        if isinstance(body, dict):
            body = json.dumps(body, separators=(",", ":")).encode()
        headers = {"X-Hub-Signature-256": sign(body, "test-app-secret")}
        response = client.post(
            "/webhooks/whatsapp", data=body, headers=headers | {"Content-Type": "application/json"}
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return response

    return post
