"""Fixtures for the delivery engine: a school with classes and guardians, a transport that
records sends (or fails as told), and a way to run the senders."""

import itertools

import pytest

from portal.services.broadcasting import broadcasts
from portal.services.delivery import transport
from portal.tasks.delivery import send_deliveries
from portal.whatsapp.errors import GraphError
from tests.factories import (
    ClassFactory,
    GuardianFactory,
    SchoolFactory,
    StudentFactory,
    StudentGuardianFactory,
)


class RecordingTransport:
    """Stands in for the Cloud API in-process: records each send, fails chosen numbers."""

    def __init__(self):
        self.sent: list[dict] = []
        self.failures: dict[str, list[Exception]] = {}
        self._ids = itertools.count(1)

    def fail(self, to: str, *errors: Exception) -> None:
        """Make the next sends to `to` raise these errors, in order."""
        self.failures.setdefault(to.lstrip("+"), []).extend(errors)

    def _send(self, **message) -> str:
        queue = self.failures.get(message["to"])
        if queue:
            raise queue.pop(0)
        wamid = f"wamid.test{next(self._ids)}"
        self.sent.append(message | {"wamid": wamid})
        return wamid

    def send_text(self, **kwargs) -> str:
        return self._send(kind="text", **kwargs)

    def send_template(self, **kwargs) -> str:
        return self._send(kind="template", **kwargs)

    def to(self, phone: str) -> list[dict]:
        return [m for m in self.sent if m["to"] == phone.lstrip("+")]


def graph_error(code: int, http_status: int = 400) -> GraphError:
    return GraphError(code=code, http_status=http_status, message=f"error {code}")


@pytest.fixture
def recorder(app):
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


def make_broadcast(
    school,
    targets,
    *,
    kind="notice",
    body_en="School is closed tomorrow.",
    body_ne="भोलि विद्यालय बन्द छ।",
    **kwargs,
):
    """A broadcast created and committed the way the portal and API create one."""
    from portal.extensions import db

    broadcast = broadcasts.create_broadcast(
        school=school,
        kind=kind,
        targets_given=targets,
        body_en=body_en,
        body_ne=body_ne,
        source="portal",
        **kwargs,
    )
    db.session.commit()
    return broadcast


def run_senders(broadcast_id=None) -> int:
    """Send everything due now, as a consumer would."""
    return send_deliveries.call_local(broadcast_id)


@pytest.fixture(autouse=True)
def english(db):
    """Messages in English (broadcast errors are translated; the default locale is Nepali)."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield
