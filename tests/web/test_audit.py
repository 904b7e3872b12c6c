"""The audit log: newest first, who did what to which record, for admins only."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

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


def test_an_api_broadcast_is_logged_under_its_token_with_readable_values(
    admin_portal, school, db, client
):
    from datetime import timedelta

    from portal.services.accounts.tokens import create_api_token
    from portal.services.common import clock, dates
    from tests.factories import ClassFactory

    ClassFactory(school=school, grade=5, section="A")
    row, token = create_api_token(school=school)
    db.session.commit()
    day = clock.now().astimezone(dates.NEPAL).date() + timedelta(days=30)  # within the year
    body = {
        "targets": ["5A"],
        "body_en": "Sports day.",
        "kind": "event",
        "scheduled_at": f"{day.isoformat()}T10:00:00+05:45",
    }
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/broadcasts", json=body, headers=headers).status_code == 201
    (entry,) = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "broadcast.create")
    ).all()
    assert (entry.actor, entry.api_token_id, entry.user_id) == ("api", row.id, None)
    page = admin_portal.get("/audit/?kind=broadcast").get_data(as_text=True)
    assert f"<td>API token {row.prefix}…</td>" in page and "<td>command line</td>" not in page
    assert "kind</span>: Event" in page and "sent to</span>: 5A" in page
    assert "made</span>: through the API" in page
    # the send time in Nepal time, both calendars: 10:00 NPT
    assert f"send time</span>: {dates.format_ad(day, 'en')} · " in page and ", 10:00" in page
    assert "+00:00" not in page and "scheduled_at" not in page
    settings_only = admin_portal.get("/audit/?kind=settings").get_data(as_text=True)
    assert "created a broadcast" not in settings_only


def test_field_names_and_codes_read_in_nepali(login_as, portal, school, db):
    _entry(
        db,
        school,
        action="settings.update",
        changes={"template_fallback_language": ["en", "ne"], "quiet_end": ["06:00", "07:00"]},
    )
    login_as("admin", language="ne")
    page = portal.get("/audit/").get_data(as_text=True)
    assert "अनुवाद नभएमा टेम्प्लेटको भाषा" in page
    assert "<del>अङ्ग्रेजी</del> → नेपाली" in page or "<del>अंग्रेजी</del> → नेपाली" in page
    assert "<del>०६:००</del> → ०७:००" in page
