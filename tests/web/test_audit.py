"""The audit log: newest first, who did what to which record, for admins only."""

from datetime import timedelta

import pytest

from portal.models import AuditLog, utcnow
from tests.factories import SchoolFactory, StudentFactory, UserFactory


def _entry(db, school, **kwargs):
    entry = AuditLog(school_id=school.id, **kwargs)
    db.session.add(entry)
    db.session.commit()
    return entry


def test_changes_show_who_what_which_and_how(admin_portal, admin, school, db):
    student = StudentFactory(school_class__school=school, name="Asha Gurung")
    _entry(
        db,
        school,
        user_id=admin.id,
        action="student.update",
        target_type="Student",
        target_id=student.id,
        changes={"roll": [2, 4], "active": [True, False]},
        created_at=utcnow() - timedelta(hours=1),
    )
    _entry(db, school, action="roster.import", changes={"rows": 30})
    page = admin_portal.get("/audit/").get_data(as_text=True)
    assert page.index("imported a roster file") < page.index("changed a student")
    assert "command line" in page and admin.name in page
    assert f'<a href="/students/{student.id}">Asha Gurung</a>' in page
    assert "active</span>: <del>yes</del> → no" in page
    assert "roll</span>: <del>2</del> → 4" in page and "rows" in page and "30" in page


def test_a_change_made_in_the_portal_lands_in_the_log(admin_portal, school, db):
    from tests.factories import ClassFactory

    school_class = ClassFactory(school=school)
    admin_portal.post(
        "/students/new", {"class_id": school_class.id, "roll": "3", "name": "Bina Rai"}
    )
    page = admin_portal.get("/audit/").get_data(as_text=True)
    assert "added a student" in page and "Bina Rai" in page


def test_the_log_is_paginated_and_its_pages_come_as_fragments(admin_portal, school, db):
    for n in range(30):
        _entry(db, school, action="class.create", changes={"grade": [None, n]})
    first = admin_portal.get("/audit/").get_data(as_text=True)
    assert first.count("added a class") == 25 and "Page 1 of 2" in first
    second = admin_portal.get("/audit/?page=2", htmx=True).get_data(as_text=True)
    assert second.count("added a class") == 5 and "<html" not in second


def test_other_schools_changes_are_not_shown(admin_portal, db):
    _entry(db, SchoolFactory(), action="teacher.create", changes={"name": [None, "Elsewhere"]})
    page = admin_portal.get("/audit/").get_data(as_text=True)
    assert "Elsewhere" not in page and "No changes yet." in page


@pytest.mark.parametrize("role", ["staff", "teacher", "operator"])
def test_only_admins_see_the_log(login_as, portal, role):
    login_as(role)
    assert portal.get("/audit/").status_code == 403


def test_nepali_readers_see_devanagari_dates(login_as, portal, school, db):
    _entry(db, school, action="class.create", changes={})
    login_as("admin", language="ne")
    page = portal.get("/audit/").get_data(as_text=True)
    assert "२०८" in page


def test_a_user_without_a_name_is_shown_by_email(admin_portal, school, db):
    nameless = UserFactory(school=school, name="")
    _entry(db, school, user_id=nameless.id, action="class.create", changes={})
    assert nameless.email in admin_portal.get("/audit/").get_data(as_text=True)
