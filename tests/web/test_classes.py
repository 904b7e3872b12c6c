"""Classes: the list with its figures, a class with its students, adding and changing one."""

import sqlalchemy as sa

from portal.models import AuditLog, SchoolClass
from portal.services.common.dates import current_bs_year
from tests.factories import (
    ClassFactory,
    GuardianFactory,
    StudentFactory,
    StudentGuardianFactory,
    TeacherFactory,
)


def _classes(db):
    db.session.expire_all()
    return db.session.scalars(sa.select(SchoolClass).order_by(SchoolClass.id)).all()


def _audit(db, action):
    return db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action)).all()


def _filled_class(db, school):
    """Class 5A with two active students (sharing one guardian), one inactive, one teacher."""
    school_class = ClassFactory(school=school, grade=5, section="A")
    first = StudentFactory(school_class=school_class, name="Asha Gurung")
    second = StudentFactory(school_class=school_class, name="Bikash Gurung")
    StudentFactory(school_class=school_class, active=False)
    parent = GuardianFactory(school=school, name="Maya Gurung", phone="+9779841234567")
    StudentGuardianFactory(student=first, guardian=parent)
    StudentGuardianFactory(student=second, guardian=parent)
    StudentGuardianFactory(student=second)
    teacher = TeacherFactory(school=school, name="Sita Sharma")
    teacher.classes = [school_class]
    db.session.commit()
    return school_class


def test_list_shows_each_class_with_its_figures(login_as, portal, school, db):
    _filled_class(db, school)
    login_as("teacher")
    page = portal.get("/classes/").get_data(as_text=True)
    row = page[page.index("5A") :].split("</tr>")[0]
    assert "2082" in row and "Sita Sharma" in row
    assert '<td class="num">2</td><td class="num">2</td>' in row  # 2 students, 2 guardians


def test_nepali_readers_see_devanagari_names_years_and_counts(login_as, portal, school, db):
    _filled_class(db, school)
    login_as("staff", language="ne")
    page = portal.get("/classes/").get_data(as_text=True)
    assert "५क" in page and "२०८२" in page
    assert '<td class="num">२</td>' in page


def test_class_page_lists_students_with_both_names_and_guardians(login_as, portal, school, db):
    school_class = _filled_class(db, school)
    login_as("teacher")
    page = portal.get(f"/classes/{school_class.id}").get_data(as_text=True)
    assert "Asha Gurung" in page and "Bikash Gurung" in page
    assert "विद्यार्थी" in page
    assert "Maya Gurung" in page and "984-1234567" in page
    assert "Edit class" not in page  # teachers only read


def test_new_class_form_defaults_to_this_bs_year(admin_portal):
    page = admin_portal.get("/classes/new").get_data(as_text=True)
    assert f'value="{current_bs_year()}"' in page


def test_adding_a_class_is_audited(admin_portal, school, db):
    response = admin_portal.post(
        "/classes/new", {"grade": "6", "section": "b", "academic_year": "2082"}
    )
    added = _classes(db)[-1]
    assert response.status_code == 302
    assert response.headers["Location"] == f"/classes/{added.id}"
    assert (added.name, added.academic_year, added.school_id) == ("6B", 2082, school.id)
    entry = _audit(db, "class.create")[0]
    assert entry.target_id == added.id
    assert entry.changes["grade"] == [None, 6] and entry.changes["section"] == [None, "B"]


def test_a_nepali_section_letter_and_devanagari_digits_are_understood(admin_portal, db):
    admin_portal.post("/classes/new", {"grade": "७", "section": "ख", "academic_year": "२०८२"})
    added = _classes(db)[-1]
    assert (added.grade, added.section, added.academic_year) == (7, "B", 2082)


def test_a_class_that_exists_is_a_field_error(admin_portal, school, db):
    ClassFactory(school=school, grade=5, section="A", academic_year=2082)
    response = admin_portal.post(
        "/classes/new", {"grade": "5", "section": "A", "academic_year": "2082"}
    )
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    assert len(_classes(db)) == 1


def test_bad_input_is_shown_by_field_and_nothing_is_saved(admin_portal, db):
    response = admin_portal.post(
        "/classes/new", {"grade": "13", "section": "5!", "academic_year": ""}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="grade-error"' in page and "from 1 to 12" in page
    assert 'id="section-error"' in page and 'id="academic_year-error"' in page
    assert _classes(db) == []
    assert _audit(db, "class.create") == []


def test_editing_a_class_records_what_changed(admin_portal, school, db):
    school_class = ClassFactory(school=school, grade=5, section="A")
    response = admin_portal.post(
        f"/classes/{school_class.id}/edit", {"grade": "6", "section": "A", "academic_year": "2082"}
    )
    assert response.status_code == 302
    db.session.refresh(school_class)
    assert school_class.grade == 6
    assert _audit(db, "class.update")[0].changes == {"grade": [5, 6]}


def test_editing_into_an_existing_class_is_refused(admin_portal, school, db):
    ClassFactory(school=school, grade=5, section="A")
    other = ClassFactory(school=school, grade=5, section="B")
    response = admin_portal.post(
        f"/classes/{other.id}/edit", {"grade": "5", "section": "A", "academic_year": "2082"}
    )
    assert response.status_code == 422
    db.session.refresh(other)
    assert other.section == "B"


def test_teachers_cannot_change_classes(login_as, portal, school, db):
    school_class = ClassFactory(school=school, grade=5, section="A")
    login_as("teacher")
    data = {"grade": "9", "section": "A", "academic_year": "2082"}
    assert portal.get("/classes/new").status_code == 403
    assert portal.post("/classes/new", data).status_code == 403
    assert portal.get(f"/classes/{school_class.id}/edit").status_code == 403
    assert portal.post(f"/classes/{school_class.id}/edit", data).status_code == 403
    assert [c.grade for c in _classes(db)] == [5]
    assert "Add a class" not in portal.get("/classes/").get_data(as_text=True)


def test_staff_can_add_classes(login_as, portal, db):
    login_as("staff")
    response = portal.post("/classes/new", {"grade": "1", "section": "", "academic_year": "2082"})
    assert response.status_code == 302
    assert _classes(db)[0].name == "1"


def test_levels_below_grade_1_are_added_by_name_and_listed_first(admin_portal, school, db):
    ClassFactory(school=school, grade=1, section="", academic_year=2082)
    for grade, section in (("UKG", "A"), ("lkg", "ख"), ("नर्सरी", "")):
        response = admin_portal.post(
            "/classes/new", {"grade": grade, "section": section, "academic_year": "2082"}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
    assert [(c.grade, c.section) for c in _classes(db)[1:]] == [(-1, "A"), (-2, "B"), (-3, "")]
    page = admin_portal.get("/classes/").get_data(as_text=True)
    order = [page.index(f">{name}<") for name in ("Nursery", "LKG B", "UKG A", "1")]
    assert order == sorted(order)
    edit = admin_portal.get(f"/classes/{_classes(db)[1].id}/edit").get_data(as_text=True)
    assert 'value="UKG"' in edit


def test_compose_offers_a_whole_level(admin_portal, school, db):
    ClassFactory(school=school, grade=-2, section="A")
    ClassFactory(school=school, grade=-2, section="B")
    db.session.commit()
    page = admin_portal.get("/broadcasts/new").get_data(as_text=True)
    assert 'value="LKG"' in page and "All of LKG" in page
    assert 'value="LKG A"' in page and 'value="LKG B"' in page
