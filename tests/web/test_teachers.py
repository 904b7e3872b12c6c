"""Teachers: the list, adding and changing them with their classes, and switching them off."""

import sqlalchemy as sa

from portal.models import AuditLog, Teacher
from tests.factories import ClassFactory, SchoolFactory, TeacherFactory


def _audit(db, action):
    db.session.expire_all()
    return db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action)).all()


def _teachers(db):
    db.session.expire_all()
    return db.session.scalars(sa.select(Teacher).order_by(Teacher.id)).all()


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_list_shows_numbers_languages_and_classes(login_as, portal, school, db):
    five = ClassFactory(school=school, grade=5, section="A")
    teacher = TeacherFactory(school=school, name="Sita Sharma", phone="+9779801234567")
    teacher.classes = [five]
    TeacherFactory(school=school, name="Gone Teacher", active=False)
    db.session.commit()
    login_as("teacher")
    page = _text(portal.get("/teachers/"))
    assert "Sita Sharma" in page and "980-1234567" in page and "5A" in page
    assert "Gone Teacher" in page and "inactive" in page
    assert "Add a teacher" not in page


def test_adding_a_teacher_with_classes_is_audited(admin_portal, school, db):
    five = ClassFactory(school=school, grade=5, section="A")
    six = ClassFactory(school=school, grade=6, section="B")
    form = _text(admin_portal.get("/teachers/new"))
    assert 'type="checkbox"' in form and "5A · 2082" in form
    response = admin_portal.post(
        "/teachers/new",
        {
            "name": "Sita Sharma",
            "phone": "980 123 4567",
            "language": "en",
            "class_ids": [five.id, six.id],
        },
    )
    teacher = _teachers(db)[0]
    assert response.status_code == 302 and response.headers["Location"] == f"/teachers/{teacher.id}"
    assert (teacher.phone, teacher.language) == ("+9779801234567", "en")
    assert {c.name for c in teacher.classes} == {"5A", "6B"}
    changes = _audit(db, "teacher.create")[0].changes
    assert changes["classes"] == [None, "5A (2082), 6B (2082)"]
    assert changes["phone"] == [None, "+9779801234567"]


def test_a_number_another_teacher_has_is_a_field_error(admin_portal, school, db):
    TeacherFactory(school=school, name="Sita Sharma", phone="+9779801234567")
    response = admin_portal.post(
        "/teachers/new", {"name": "Ram", "phone": "9801234567", "language": "ne"}
    )
    assert response.status_code == 422
    assert "Sita Sharma, another teacher, already has this number." in _text(response)
    assert len(_teachers(db)) == 1


def test_bad_input_is_shown_by_field_and_nothing_is_saved(admin_portal, school, db):
    response = admin_portal.post(
        "/teachers/new", {"name": "", "phone": "01-4412345", "language": "fr"}
    )
    page = _text(response)
    assert response.status_code == 422
    assert "Enter the teacher&#39;s name." in page or "Enter the teacher's name." in page
    assert 'id="phone-error"' in page and "landline" in page
    assert 'id="language-error"' in page
    assert _teachers(db) == [] and _audit(db, "teacher.create") == []


def test_another_schools_class_cannot_be_given(admin_portal, school, db):
    foreign = ClassFactory(school=SchoolFactory())
    response = admin_portal.post(
        "/teachers/new",
        {"name": "Ram", "phone": "9801234567", "language": "ne", "class_ids": [foreign.id]},
    )
    assert response.status_code == 422
    assert _teachers(db) == []


def test_editing_classes_records_the_change(admin_portal, school, db):
    five = ClassFactory(school=school, grade=5, section="A")
    six = ClassFactory(school=school, grade=6, section="A")
    teacher = TeacherFactory(school=school, name="Sita", phone="+9779801234567")
    teacher.classes = [five]
    db.session.commit()
    form = _text(admin_portal.get(f"/teachers/{teacher.id}/edit"))
    assert f'checked id="class_ids-0" name="class_ids" type="checkbox" value="{five.id}"' in form
    response = admin_portal.post(
        f"/teachers/{teacher.id}/edit",
        {"name": "Sita", "phone": "+9779801234567", "language": "ne", "class_ids": [six.id]},
    )
    assert response.status_code == 302
    db.session.refresh(teacher)
    assert [c.name for c in teacher.classes] == ["6A"]
    assert _audit(db, "teacher.update")[0].changes == {"classes": ["5A (2082)", "6A (2082)"]}


def test_keeping_ones_own_number_is_fine(admin_portal, school, db):
    teacher = TeacherFactory(school=school, name="Sita", phone="+9779801234567")
    response = admin_portal.post(
        f"/teachers/{teacher.id}/edit", {"name": "Sita K", "phone": "9801234567", "language": "ne"}
    )
    assert response.status_code == 302
    assert _audit(db, "teacher.update")[0].changes == {"name": ["Sita", "Sita K"]}


def test_deactivate_and_reactivate(admin_portal, school, db):
    teacher = TeacherFactory(school=school)
    admin_portal.post(f"/teachers/{teacher.id}/deactivate")
    db.session.refresh(teacher)
    assert not teacher.active
    assert "Reactivate" in _text(admin_portal.get(f"/teachers/{teacher.id}"))
    admin_portal.post(f"/teachers/{teacher.id}/reactivate")
    db.session.refresh(teacher)
    assert teacher.active
    assert len(_audit(db, "teacher.deactivate")) == len(_audit(db, "teacher.reactivate")) == 1


def test_teachers_cannot_change_teachers(login_as, portal, school, db):
    teacher = TeacherFactory(school=school, name="Sita")
    login_as("teacher")
    data = {"name": "X", "phone": "9801234567", "language": "ne"}
    refused = [
        portal.get("/teachers/new"),
        portal.post("/teachers/new", data),
        portal.get(f"/teachers/{teacher.id}/edit"),
        portal.post(f"/teachers/{teacher.id}/edit", data),
        portal.post(f"/teachers/{teacher.id}/deactivate"),
        portal.post(f"/teachers/{teacher.id}/reactivate"),
    ]
    assert [r.status_code for r in refused] == [403] * 6
    assert [t.name for t in _teachers(db)] == ["Sita"]
    assert portal.get(f"/teachers/{teacher.id}").status_code == 200


def test_nepali_readers_see_devanagari_class_names(login_as, portal, school, db):
    teacher = TeacherFactory(school=school)
    teacher.classes = [ClassFactory(school=school, grade=5, section="B")]
    db.session.commit()
    login_as("admin", language="ne")
    assert "५ख" in _text(portal.get("/teachers/"))
    assert "५ख · २०८२" in _text(portal.get(f"/teachers/{teacher.id}/edit"))
