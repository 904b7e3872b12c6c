"""Students: search-as-you-type, pagination, adding, changing and linking guardians."""

import gzip
import re

import pytest
import sqlalchemy as sa

from portal.models import AuditLog, Guardian, Student, StudentGuardian
from tests.factories import (
    ClassFactory,
    GuardianFactory,
    SchoolFactory,
    StudentFactory,
    StudentGuardianFactory,
)


def _audit(db, action):
    db.session.expire_all()
    return db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action)).all()


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def roster(db, school):
    """Class 5A with Asha (roll 1, mother +9779841234567) and Bikash (roll 2); 6A with Chandra."""
    five = ClassFactory(school=school, grade=5, section="A")
    six = ClassFactory(school=school, grade=6, section="A")
    asha = StudentFactory(school_class=five, roll=1, name="Asha Gurung", name_ne="आशा गुरुङ")
    bikash = StudentFactory(school_class=five, roll=2, name="Bikash Thapa", name_ne="विकास थापा")
    chandra = StudentFactory(school_class=six, roll=3, name="Chandra Rai", name_ne=None)
    mother = GuardianFactory(school=school, name="Maya Gurung", phone="+9779841234567")
    StudentGuardianFactory(student=asha, guardian=mother, relation="mother")
    return {"five": five, "six": six, "asha": asha, "bikash": bikash, "chandra": chandra}


def _rows(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    "q, found, hidden",
    [
        ("asha", "Asha Gurung", "Bikash Thapa"),
        ("विकास", "Bikash Thapa", "Asha Gurung"),
        ("2", "Bikash Thapa", "Chandra Rai"),
        ("३", "Chandra Rai", "Asha Gurung"),
        ("9841234567", "Asha Gurung", "Bikash Thapa"),
        ("+977 984-123 4567", "Asha Gurung", "Bikash Thapa"),
        ("९८४१२३", "Asha Gurung", "Chandra Rai"),
    ],
)
def test_search_matches_names_rolls_and_guardian_phones(admin_portal, roster, q, found, hidden):
    page = _rows(admin_portal.get("/students/", query_string={"q": q}))
    assert found in page
    assert hidden not in page


def test_search_as_you_type_returns_only_the_rows(admin_portal, roster):
    response = admin_portal.get("/students/?q=asha", htmx=True)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in fragment and "<form" not in fragment
    assert "Asha Gurung" in fragment and "Bikash" not in fragment
    assert "HX-Request" in response.headers["Vary"]


def test_the_full_page_has_a_search_box_that_works_without_javascript(admin_portal, roster):
    page = _rows(admin_portal.get("/students/?q=asha"))
    assert page.startswith("<!doctype html>")
    form = re.search(r'<form method="get" action="/students/".*?</form>', page, re.S).group(0)
    box = re.search(r"<input [^>]*name=\"q\"[^>]*>", form).group(0)
    for attribute in (
        'type="search"',
        'hx-get="/students/"',
        'hx-trigger="input changed delay:300ms, search"',
        'hx-target="#student-rows"',
        'hx-push-url="true"',
        'value="asha"',
    ):
        assert attribute in box
    assert "<button>" in form
    rows = page[page.index('<div id="student-rows"') :]
    assert "Asha Gurung" in rows


def test_class_filter(admin_portal, roster):
    page = _rows(admin_portal.get(f"/students/?class_id={roster['six'].id}", htmx=True))
    assert "Chandra Rai" in page and "Asha" not in page


def test_pages_of_students_keep_the_search(admin_portal, school, db):
    school_class = ClassFactory(school=school)
    for roll in range(1, 31):
        StudentFactory(school_class=school_class, roll=roll, name=f"Pupil {roll:02d}")
    first = _rows(admin_portal.get("/students/?q=pupil"))
    assert first.count("Pupil ") == 25
    assert "Page 1 of 2" in first
    assert 'href="/students/?page=2&amp;q=pupil"' in first
    second = _rows(admin_portal.get("/students/?page=2&q=pupil", htmx=True))
    assert second.count("Pupil ") == 5 and "Pupil 26" in second and "<html" not in second


def test_listing_loads_rows_in_a_fixed_number_of_queries(app, admin_portal, school, db):
    school_class = ClassFactory(school=school)

    def queries_for_listing():
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert admin_portal.get("/students/").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    for _ in range(2):
        StudentGuardianFactory(student=StudentFactory(school_class=school_class))
    few = queries_for_listing()
    for _ in range(20):
        StudentGuardianFactory(student=StudentFactory(school_class=school_class))
    assert queries_for_listing() == few


def test_first_visit_to_the_students_page_stays_under_50_kb(admin_portal, school):
    school_class = ClassFactory(school=school)
    for roll in range(1, 31):
        student = StudentFactory(
            school_class=school_class, roll=roll, name=f"Student number {roll}"
        )
        StudentGuardianFactory(student=student)
    html = admin_portal.get("/students/").get_data()
    total = len(gzip.compress(html))
    for url in re.findall(rb'(?:href|src)="(/static/[^"]+)"', html):
        with admin_portal.get(url.decode().replace("&amp;", "&")) as asset:
            total += len(gzip.compress(asset.get_data()))
    assert total < 50_000


def test_nepali_readers_see_devanagari_roll_numbers(login_as, portal, roster):
    login_as("teacher", language="ne")
    page = _rows(portal.get("/students/"))
    assert '<td class="num">१</td>' in page and "५क" in page
    assert "<dd>२</dd>" in _rows(portal.get(f"/students/{roster['bikash'].id}"))


def test_student_page_shows_guardians_with_relation_and_notices(login_as, portal, roster):
    login_as("teacher")
    page = _rows(portal.get(f"/students/{roster['asha'].id}"))
    assert "Maya Gurung" in page and "984-1234567" in page and "mother" in page
    assert "<td>yes</td>" in page
    assert "Add a guardian" not in page and "Unlink" not in page


def test_adding_a_student_is_audited(admin_portal, roster, db):
    response = admin_portal.post(
        "/students/new",
        {"class_id": roster["six"].id, "roll": "7", "name": " Dipa KC ", "name_ne": "दीपा"},
    )
    added = db.session.scalar(sa.select(Student).where(Student.name == "Dipa KC"))
    assert response.status_code == 302 and response.headers["Location"] == f"/students/{added.id}"
    assert (added.roll, added.name_ne, added.class_id) == (7, "दीपा", roster["six"].id)
    changes = _audit(db, "student.create")[0].changes
    assert changes["roll"] == [None, 7] and changes["class"] == [None, "6A"]


def test_a_roll_number_taken_in_the_class_is_a_field_error(admin_portal, roster, db):
    before = _count(db, Student)
    response = admin_portal.post(
        "/students/new", {"class_id": roster["five"].id, "roll": "1", "name": "Another"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="roll-error"' in page and "Asha Gurung" in page
    assert 'value="Another"' in page  # what was typed is kept
    assert _count(db, Student) == before and _audit(db, "student.create") == []


def test_the_same_roll_in_another_class_is_fine(admin_portal, roster, db):
    response = admin_portal.post(
        "/students/new", {"class_id": roster["six"].id, "roll": "1", "name": "Another"}
    )
    assert response.status_code == 302


def test_missing_name_and_bad_roll_are_field_errors(admin_portal, roster, db):
    before = _count(db, Student)
    response = admin_portal.post(
        "/students/new", {"class_id": roster["five"].id, "roll": "x", "name": ""}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter the student&#39;s name." in page and 'id="roll-error"' in page
    assert _count(db, Student) == before


def test_another_schools_class_cannot_be_chosen(admin_portal, roster, db):
    foreign = ClassFactory(school=SchoolFactory())
    response = admin_portal.post(
        "/students/new", {"class_id": foreign.id, "roll": "9", "name": "Sneaky"}
    )
    assert response.status_code == 422
    assert db.session.scalar(sa.select(Student).where(Student.name == "Sneaky")) is None


def test_editing_moves_a_student_and_checks_the_roll_there(admin_portal, roster, db):
    bikash = roster["bikash"]
    clash = admin_portal.post(
        f"/students/{bikash.id}/edit",
        {"class_id": roster["six"].id, "roll": "3", "name": "Bikash Thapa"},
    )
    assert clash.status_code == 422
    moved = admin_portal.post(
        f"/students/{bikash.id}/edit",
        {"class_id": roster["six"].id, "roll": "4", "name": "Bikash Thapa", "name_ne": ""},
    )
    assert moved.status_code == 302
    db.session.refresh(bikash)
    assert (bikash.class_id, bikash.roll, bikash.name_ne) == (roster["six"].id, 4, None)
    changes = _audit(db, "student.update")[0].changes
    assert changes["roll"] == [2, 4] and changes["name_ne"] == ["विकास थापा", None]
    assert changes["class"] == ["5A", "6A"]


def test_deactivate_and_reactivate(admin_portal, roster, db):
    asha = roster["asha"]
    assert admin_portal.post(f"/students/{asha.id}/deactivate").status_code == 302
    assert "Asha" not in _rows(admin_portal.get("/students/"))
    assert "Asha" in _rows(admin_portal.get("/students/?status=inactive"))
    admin_portal.post(f"/students/{asha.id}/reactivate")
    db.session.refresh(asha)
    assert asha.active
    assert [e.changes for e in _audit(db, "student.deactivate")] == [{"active": [True, False]}]
    assert len(_audit(db, "student.reactivate")) == 1


def test_linking_a_new_guardian_adds_them(admin_portal, roster, db):
    bikash = roster["bikash"]
    response = admin_portal.post(
        f"/students/{bikash.id}/guardians",
        {"phone": "९८५१०००१११", "name": "Hari Thapa", "language": "en", "relation": "father"},
    )
    assert response.status_code == 302
    guardian = db.session.scalar(sa.select(Guardian).where(Guardian.name == "Hari Thapa"))
    assert (guardian.phone, guardian.language) == ("+9779851000111", "en")
    link = db.session.get(StudentGuardian, (bikash.id, guardian.id))
    assert link.relation == "father" and link.receives_notices is False  # box left unticked
    assert len(_audit(db, "guardian.create")) == 1
    assert _audit(db, "guardian.link")[0].changes["guardian"] == [None, "Hari Thapa"]


def test_linking_an_existing_number_reuses_that_guardian(admin_portal, roster, db):
    bikash = roster["bikash"]
    response = admin_portal.post(
        f"/students/{bikash.id}/guardians",
        {"phone": "984-1234567", "name": "", "language": "ne", "receives_notices": "y"},
    )
    assert response.status_code == 302
    assert _count(db, Guardian) == 1
    assert "Maya Gurung" in _rows(admin_portal.get(f"/students/{bikash.id}"))
    assert _audit(db, "guardian.create") == []


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"phone": "9851000222", "name": ""}, "name", "enter their name"),
        ({"phone": "12", "name": "X"}, "phone", "too few or too many digits"),
        ({"phone": "9841234567", "name": ""}, "phone", "already linked"),
    ],
)
def test_linking_problems_are_field_errors(admin_portal, roster, db, data, field, message):
    before = (_count(db, Guardian), _count(db, StudentGuardian))
    response = admin_portal.post(
        f"/students/{roster['asha'].id}/guardians", {"language": "ne", **data}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page).group(1)
    assert message in error
    assert (_count(db, Guardian), _count(db, StudentGuardian)) == before


def test_unlinking_keeps_the_guardian(admin_portal, roster, db):
    asha = roster["asha"]
    mother = asha.links[0].guardian
    response = admin_portal.post(f"/students/{asha.id}/guardians/{mother.id}/unlink")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(StudentGuardian, (asha.id, mother.id)) is None
    assert db.session.get(Guardian, mother.id) is not None
    assert _audit(db, "guardian.unlink")[0].changes == {"guardian": ["Maya Gurung", None]}


def test_teachers_read_but_cannot_change_students(login_as, portal, roster, db):
    asha = roster["asha"]
    mother = asha.links[0].guardian
    login_as("teacher")
    assert portal.get("/students/").status_code == 200
    assert portal.get(f"/students/{asha.id}").status_code == 200
    refused = [
        portal.get("/students/new"),
        portal.post("/students/new", {"class_id": roster["five"].id, "roll": "9", "name": "N"}),
        portal.get(f"/students/{asha.id}/edit"),
        portal.post(f"/students/{asha.id}/edit", {"class_id": roster["five"].id, "roll": "1"}),
        portal.post(f"/students/{asha.id}/deactivate"),
        portal.post(f"/students/{asha.id}/reactivate"),
        portal.post(f"/students/{asha.id}/guardians", {"phone": "9851000333", "name": "N"}),
        portal.post(f"/students/{asha.id}/guardians/{mother.id}/unlink"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    db.session.refresh(asha)
    assert asha.active and len(asha.links) == 1
    assert _count(db, AuditLog) == 0


def test_a_clash_saved_by_someone_else_meanwhile_is_reported_not_a_crash(
    admin_portal, roster, db, monkeypatch
):
    from portal.services.roster import students

    monkeypatch.setattr(students, "_check_roll", lambda **kwargs: None)
    before = _count(db, Student)
    response = admin_portal.post(
        "/students/new", {"class_id": roster["five"].id, "roll": "1", "name": "Racer"}
    )
    assert response.status_code == 422
    assert "clashes with a change saved a moment ago" in response.get_data(as_text=True)
    assert _count(db, Student) == before and _audit(db, "student.create") == []


def test_a_search_fragment_stays_under_8_kb(admin_portal, school):
    school_class = ClassFactory(school=school)
    for roll in range(1, 31):
        student = StudentFactory(
            school_class=school_class, roll=roll, name=f"Student number {roll}"
        )
        StudentGuardianFactory(student=student)
    fragment = admin_portal.get("/students/?q=student", htmx=True).get_data()
    assert fragment.count(b"<tr>") == 26  # header and a full page of rows
    assert len(gzip.compress(fragment)) < 8_000
