"""One school never sees or touches another's roster: a guessed id is a 404, lists stay apart."""

import re

import pytest
import sqlalchemy as sa

from portal.models import AuditLog, Guardian, Student, Teacher, utcnow
from tests.factories import (
    ClassFactory,
    GuardianFactory,
    SchoolFactory,
    StudentFactory,
    StudentGuardianFactory,
    TeacherFactory,
)

PAGES = [
    "/classes/{c}",
    "/classes/{c}/edit",
    "/students/{s}",
    "/students/{s}/edit",
    "/guardians/{g}",
    "/guardians/{g}/edit",
    "/teachers/{t}",
    "/teachers/{t}/edit",
]
ACTIONS = [
    "/classes/{c}/edit",
    "/students/{s}/edit",
    "/students/{s}/deactivate",
    "/students/{s}/reactivate",
    "/students/{s}/guardians",
    "/students/{s}/guardians/{g}/unlink",
    "/guardians/{g}/edit",
    "/guardians/{g}/deactivate",
    "/guardians/{g}/reactivate",
    "/teachers/{t}/edit",
    "/teachers/{t}/deactivate",
    "/teachers/{t}/reactivate",
]
# Valid for every form above, so only the school can be the reason for a refusal.
VALID = {
    "grade": "9",
    "section": "Y",
    "academic_year": "2082",
    "roll": "42",
    "name": "Changed Name",
    "phone": "9861239999",
    "language": "en",
    "relation": "aunt",
}


def _roster(school, tag: str) -> dict:
    school_class = ClassFactory(school=school, grade=9, section="Z" if tag == "bravo" else "A")
    student = StudentFactory(school_class=school_class, name=f"{tag} student", roll=7)
    guardian = GuardianFactory(
        school=school,
        name=f"{tag} guardian",
        phone="+9779851234567" if tag == "bravo" else "+9779841234567",
        opted_out_at=utcnow(),
    )
    StudentGuardianFactory(student=student, guardian=guardian)
    teacher = TeacherFactory(school=school, name=f"{tag} teacher")
    return {"c": school_class.id, "s": student.id, "g": guardian.id, "t": teacher.id}


@pytest.fixture
def schools(db, school):
    """School A (the admin's) and school B, each with a class, student, guardian and teacher."""
    own = _roster(school, "alpha")
    other_school = SchoolFactory()
    other = _roster(other_school, "bravo")
    db.session.add(AuditLog(school_id=other_school.id, action="class.create", changes={}))
    db.session.commit()
    return {"own": own, "other": other}


@pytest.mark.parametrize("url", PAGES)
def test_another_schools_pages_are_404(admin_portal, schools, url):
    assert admin_portal.get(url.format(**schools["own"])).status_code == 200
    assert admin_portal.get(url.format(**schools["other"])).status_code == 404


@pytest.mark.parametrize("url", ACTIONS)
def test_another_schools_records_cannot_be_changed(admin_portal, schools, db, url):
    response = admin_portal.post(
        url.format(**schools["other"]), {**VALID, "class_id": schools["other"]["c"]}
    )
    assert response.status_code == 404
    db.session.expire_all()
    other = schools["other"]
    assert db.session.get(Student, other["s"]).name == "bravo student"
    assert db.session.get(Student, other["s"]).active
    assert len(db.session.get(Student, other["s"]).links) == 1
    assert db.session.get(Guardian, other["g"]).name == "bravo guardian"
    assert db.session.get(Teacher, other["t"]).active
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 1


def test_another_schools_guardian_cannot_be_unlinked_from_ones_own_student(admin_portal, schools):
    url = f"/students/{schools['own']['s']}/guardians/{schools['other']['g']}/unlink"
    assert admin_portal.post(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/classes/",
        "/students/",
        "/students/?q=student",
        "/students/?q=7",
        "/students/?status=inactive",
        "/students/?class_id={c}",
        "/students/new",
        "/guardians/",
        "/guardians/?q=guardian",
        "/guardians/?q=1234567",
        "/guardians/?status=opted_out",
        "/teachers/",
        "/teachers/new",
        "/audit/",
    ],
)
def test_lists_never_show_another_schools_rows(admin_portal, schools, url):
    page = admin_portal.get(url.format(**schools["other"])).get_data(as_text=True)
    page = CSRF_TOKENS.sub("", page)  # a random token may hold "9Z"
    assert "bravo" not in page and "9Z" not in page


CSRF_TOKENS = re.compile(r"hx-headers='[^']*'|<input[^>]*csrf_token[^>]*>|<meta[^>]*csrf[^>]*>")


def test_the_own_rows_are_listed(admin_portal, schools):
    assert "alpha student" in admin_portal.get("/students/?q=student").get_data(as_text=True)
    assert "alpha guardian" in admin_portal.get("/guardians/?q=1234567").get_data(as_text=True)


@pytest.mark.parametrize("url", [*ACTIONS, "/classes/new", "/students/new", "/teachers/new"])
def test_a_post_without_csrf_token_is_refused(admin_portal, schools, db, url):
    response = admin_portal.client.post(url.format(**schools["own"]), data=VALID)
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Student, schools["own"]["s"]).active
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 1
