"""Stored names and CSV cells put into translated messages reach the page escaped, on every
error and report path: a guardian named with a `<meta http-equiv="refresh">` redirects no
one. CSP does not stop a meta refresh; escaping does."""

import csv
import io
import re

import pytest
from flask import render_template_string
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from tests.factories import (
    ClassFactory,
    GuardianFactory,
    StudentFactory,
    StudentGuardianFactory,
    TeacherFactory,
)
from tests.test_translations import KEYWORDS, PLACEHOLDER, ROOT, _entries

REFRESH = '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(1)">'
ESCAPED_REFRESH = "&lt;meta http-equiv=&#34;refresh&#34;"
# however a template shows a message: as a value, joined (field errors), in the macros
SHOWN = """{% import "_macros.html" as m %}{{ e }}|{{ [e, e]|join(" ") }}|{{ m.form_errors(f) }}"""


def _unescaped(page: str) -> list[str]:
    return [tag for tag in ("<meta http-equiv", "<script>alert", "<img src=x") if tag in page]


def _placeholder_messages() -> list[str]:
    """Every message of the code with a placeholder (those in templates escape already)."""
    return sorted({m.id for m in _entries() if isinstance(m.id, str) and PLACEHOLDER.search(m.id)})


class _Form:
    def __init__(self, error):
        self.form_errors = [error]


@pytest.mark.parametrize("locale", ["en", "ne"])
def test_every_placeholder_message_is_escaped_wherever_it_is_shown(app, locale):
    messages = _placeholder_messages()
    assert len(messages) > 30  # the catalogue was read
    with app.test_request_context("/"), force_locale(locale):
        for msgid in messages:
            names = set(PLACEHOLDER.findall(msgid))
            lazy = _l(msgid, **{name: REFRESH for name in names})
            page = render_template_string(SHOWN, e=lazy, f=_Form(lazy))
            assert _unescaped(page) == [], msgid
            assert ESCAPED_REFRESH in page, msgid


def test_no_message_of_the_code_carries_markup():
    """What makes escaping a lazy message whole right: none is meant as HTML."""
    assert KEYWORDS and ROOT
    markup = [m.id for m in _entries() if re.search(r"<[a-zA-Z/]", str(m.id))]
    assert markup == []


def _text_of(response) -> str:
    page = response.get_data(as_text=True)
    assert _unescaped(page) == [], page
    return page


@pytest.fixture
def hostile_roster(db, school):
    """A class whose student, guardian and teacher are named with markup."""
    five = ClassFactory(school=school, grade=5, section="A")
    student = StudentFactory(school_class=five, roll=1, name=SCRIPT)
    guardian = GuardianFactory(school=school, name=REFRESH, phone="+9779841234567")
    StudentGuardianFactory(student=student, guardian=guardian)
    TeacherFactory(school=school, name=IMG, phone="+9779801234567")
    return {"five": five, "student": student, "guardian": guardian}


def test_a_number_in_use_names_the_guardian_escaped(admin_portal, hostile_roster):
    other = GuardianFactory(
        school=hostile_roster["five"].school, name="Ram", phone="+9779851112222"
    )
    response = admin_portal.post(
        f"/guardians/{other.id}/edit", {"name": "Ram", "phone": "9841234567", "language": "ne"}
    )
    assert response.status_code == 422
    assert ESCAPED_REFRESH in _text_of(response)


def test_a_roll_in_use_names_the_student_escaped(admin_portal, hostile_roster):
    response = admin_portal.post(
        "/students/new", {"class_id": hostile_roster["five"].id, "roll": "1", "name": "New"}
    )
    assert response.status_code == 422
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in _text_of(response)


def test_a_teachers_number_in_use_names_the_teacher_escaped(admin_portal, hostile_roster):
    response = admin_portal.post(
        "/teachers/new", {"name": "Ram", "phone": "9801234567", "language": "ne"}
    )
    assert response.status_code == 422
    assert "&lt;img src=x" in _text_of(response)


def test_linking_a_linked_guardian_names_them_escaped(admin_portal, hostile_roster):
    student = hostile_roster["student"]
    response = admin_portal.post(
        f"/students/{student.id}/guardians", {"phone": "9841234567", "name": "", "language": "ne"}
    )
    assert response.status_code == 422
    assert ESCAPED_REFRESH in _text_of(response)


def test_the_import_report_shows_every_cell_escaped(admin_portal, hostile_roster):
    rows = [
        ["class", "roll", "student", "guardian", "phone", "language"],
        [REFRESH, "1", "A", "B", "9841000001", "ne"],
        ["5A", SCRIPT, "A", "B", "9841000002", "ne"],
        ["5A", "2", "A", "B", IMG, "ne"],
        ["5A", "3", "A", "B", "9841000003", SCRIPT],
        ["5A", "4", "x" * 300, "B", "9841000004", "ne"],
    ]
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    data = text.getvalue().encode()
    upload = {"file": (io.BytesIO(data), f"{SCRIPT}.csv"), "save": "y"}
    response = admin_portal.post("/imports/", upload)
    page = _text_of(response)
    assert response.status_code == 422
    assert ESCAPED_REFRESH in page and "&lt;script&gt;" in page and "&lt;img src=x" in page


def test_an_unknown_class_in_a_broadcast_is_escaped(admin_portal, hostile_roster):
    response = admin_portal.post(
        "/broadcasts/new", {"targets": [REFRESH], "kind": "notice", "body_en": "Hello"}
    )
    assert response.status_code == 422
    assert ESCAPED_REFRESH in _text_of(response)


def test_the_inbox_and_rosters_show_names_escaped(admin_portal, hostile_roster):
    for url in (
        "/students/",
        "/guardians/",
        "/teachers/",
        f"/students/{hostile_roster['student'].id}",
    ):
        _text_of(admin_portal.get(url))
