"""The school year as an admin sees it: the digest, cap, escalation and monthly summary
settings; the compose preview saying how parents get a notice; a class's attendance by BS
month; the dashboard's alert for a student absent days in a row."""

import html
from datetime import date, datetime, time

import sqlalchemy as sa

from portal.models import Alert, AttendanceRecord, AuditLog, Delivery, RecurringSchedule, School
from portal.services.attendance import streaks
from portal.services.common.dates import NEPAL
from portal.tasks.delivery import start_broadcast
from tests.helpers import make_broadcast
from tests.web.test_settings import _form as settings_form

MONDAY = date(2025, 11, 24)  # 2082 Mangsir 8


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _year_form(**values) -> dict:
    form = {"digest_at": "", "daily_cap": "", "absence_alert_days": "3", "summary_at": "10:00"}
    form.update(values)
    return {name: value for name, value in form.items() if value is not None}


def test_an_admin_sets_the_digest_the_cap_the_escalation_and_the_summary(
    db, roster, login_as, portal, frozen_clock
):
    school = roster["school"]
    admin = login_as("admin", school=school, language="en")
    page = _text(portal.get("/settings/school-year"))
    assert "Now: each notice goes on its own." in page
    assert 'href="/settings/school-year"' in _text(portal.get("/settings/"))
    values = _year_form(
        digest_at="१६:००", daily_cap="3", absence_alert_days="4", summary_on="y", summary_at="7:00"
    )
    response = portal.post("/settings/school-year", values)
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(School, school.id)
    assert (saved.digest_at, saved.daily_cap, saved.absence_alert_days) == (time(16), 3, 4)
    summary = db.session.scalar(sa.select(RecurringSchedule))
    assert (summary.kind, summary.every, summary.bs_day, summary.at) == (
        "attendance",
        "bs_month",
        1,
        time(7),
    )
    assert summary.next_at.astimezone(NEPAL).isoformat() == "2025-12-16T07:00:00+05:45"
    [entry] = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "settings.update")
    ).all()
    assert entry.user_id == admin.id
    assert entry.changes == {
        "digest_at": [None, "16:00"],
        "daily_cap": [None, 3],
        "absence_alert_days": [3, 4],
        "attendance_summary": [None, "07:00"],
    }
    page = _text(portal.get("/settings/school-year"))
    assert "Now: one message a day at 16:00." in page and "It is on." in page
    log = _text(portal.get("/audit/"))
    assert "daily digest time" in log and "monthly attendance summary" in log
    shown = _text(portal.get(f"/schedules/{summary.id}"))
    assert "Monthly attendance" in shown and "/settings/school-year" in shown
    assert portal.get(f"/schedules/{summary.id}/edit").status_code == 404


def test_a_digest_time_in_the_quiet_hours_is_refused(db, roster, login_as, portal):
    school = roster["school"]
    school.quiet_start, school.quiet_end = time(21), time(6)
    db.session.commit()
    login_as("admin", school=school, language="en")
    response = portal.post("/settings/school-year", _year_form(digest_at="05:00"))
    assert response.status_code == 422
    page = _text(response)
    assert "05:00 is within the quiet hours (21:00–06:00). Choose a time outside them." in page
    assert 'id="digest_at-error"' in page
    ok = portal.post("/settings/school-year", _year_form(digest_at="06:00"))
    assert ok.status_code == 302
    # and quiet hours that would swallow the digest time are refused on the main page
    db.session.expire_all()
    school = db.session.get(School, school.id)
    bad = portal.post("/settings/", settings_form(school, quiet_end="07:00"))
    assert bad.status_code == 422
    assert "06:00 is within the quiet hours (21:00–07:00)." in _text(bad)


def test_bad_numbers_are_field_errors(db, roster, login_as, portal):
    login_as("admin", school=roster["school"], language="en")
    response = portal.post(
        "/settings/school-year", _year_form(daily_cap="0", absence_alert_days="1")
    )
    assert response.status_code == 422
    page = _text(response)
    assert "Choose from 1 to 20 messages." in page and "Choose from 2 to 30 school days." in page
    missing = portal.post("/settings/school-year", _year_form(summary_on="y", summary_at=""))
    assert "Enter the time it goes, such as 10:00." in _text(missing)


def test_switching_the_digest_off_sends_what_was_held(
    db, roster, login_as, portal, recorder, frozen_clock
):
    school = roster["school"]
    school.digest_at = time(16)
    db.session.commit()
    frozen_clock.nepal(MONDAY, 9, 0)
    broadcast = make_broadcast(school, ["5A"])
    start_broadcast.call_local(broadcast.id)
    assert recorder.sent == []
    login_as("admin", school=school, language="en")
    assert portal.post("/settings/school-year", _year_form()).status_code == 302
    assert len(recorder.sent) == 3  # the three guardians of 5A, now
    statuses = set(db.session.scalars(sa.select(Delivery.status)))
    assert statuses == {"accepted"}


def test_the_compose_preview_says_when_and_how_parents_get_it(
    db, roster, login_as, portal, frozen_clock, recorder
):
    school = roster["school"]
    school.digest_at = time(16)
    db.session.commit()
    frozen_clock.nepal(MONDAY, 9, 0)
    login_as("admin", school=school, language="en")
    form = {
        "targets": ["5A"],
        "kind": "notice",
        "body_en": "Bring a lunch box.",
        "action": "preview",
    }
    page = _text(portal.post("/broadcasts/new", form))
    assert (
        "Parents get it in the daily digest at 24 Nov 2025 · 8 Mangsir 2082, 16:00, in one "
        "message with the day's other notices." in page
    )
    urgent = _text(portal.post("/broadcasts/new", form | {"kind": "emergency"}))
    assert "It will go now." in urgent and "daily digest" not in urgent
    # a school with a cap and no digest: who has had their messages today
    school = db.session.get(School, school.id)
    school.digest_at, school.daily_cap = None, 1
    db.session.commit()
    start_broadcast.call_local(make_broadcast(school, ["5A"]).id)
    page = _text(portal.post("/broadcasts/new", form))
    assert (
        "3 parents have reached the daily limit (1 a day): they get this one at "
        "25 Nov 2025 · 9 Mangsir 2082, 06:00." in page
    )


def test_a_class_attendance_month_by_bs_date(db, roster, login_as, portal, frozen_clock):
    school, s, c5a = roster["school"], roster["students"], roster["classes"]["5A"]
    frozen_clock.nepal(
        date(2025, 11, 26), 12, 0
    )  # Mangsir 10; 9 school days so far (22 Nov a Saturday)
    for student, day in (
        (s["Aarav"], date(2025, 11, 20)),
        (s["Aarav"], date(2025, 11, 21)),
        (s["Bina"], date(2025, 11, 21)),
    ):
        db.session.add(AttendanceRecord(school_id=school.id, student_id=student.id, day=day))
    db.session.commit()
    login_as("teacher", school=school, language="en")
    page = _text(portal.get(f"/classes/{c5a.id}/attendance?month=2082-08"))
    assert "Attendance of class 5A" in page and "Mangsir 2082" in page
    assert "9 school days so far this month" in page
    assert '4 Mangsir</span>, <span class="nowrap">5 Mangsir' in page  # Aarav's days
    assert "21 Nov 2025 · 5 Mangsir 2082</dt><dd>Aarav (roll 1), Bina (roll 2)</dd>" in page
    rows = page.split("<tbody>")[1]
    assert '<td class="num">7</td><td class="num">2</td>' in rows  # Aarav: present 7
    assert _text(portal.get(f"/classes/{c5a.id}")).count("/attendance") == 1


def test_the_attendance_month_reads_in_nepali(db, roster, login_as, portal, frozen_clock):
    school, aarav, c5a = roster["school"], roster["students"]["Aarav"], roster["classes"]["5A"]
    frozen_clock.nepal(date(2025, 11, 26), 12, 0)
    db.session.add(
        AttendanceRecord(school_id=school.id, student_id=aarav.id, day=date(2025, 11, 20))
    )
    db.session.commit()
    login_as("admin", school=school, language="ne")
    page = _text(portal.get(f"/classes/{c5a.id}/attendance"))
    assert "मंसिर २०८२" in page and "मंसिर ४" in page


def test_another_schools_class_attendance_is_not_found(db, roster, login_as, portal):
    from tests.factories import SchoolFactory

    login_as("admin", school=SchoolFactory(), language="en")
    assert portal.get(f"/classes/{roster['classes']['5A'].id}/attendance").status_code == 404


def test_the_dashboard_names_a_student_absent_days_in_a_row(
    db, roster, login_as, portal, frozen_clock
):
    school, aarav = roster["school"], roster["students"]["Aarav"]
    frozen_clock.nepal(date(2025, 12, 1), 12, 0)
    for day in (date(2025, 11, 27), date(2025, 11, 28), date(2025, 11, 30), date(2025, 12, 1)):
        db.session.add(AttendanceRecord(school_id=school.id, student_id=aarav.id, day=day))
    db.session.add(
        Alert(
            school_id=school.id,
            action=streaks.ACTION,
            student_id=aarav.id,
            since_on=date(2025, 11, 27),
            details="",
            created_at=datetime(2025, 11, 30, 4, 0, tzinfo=NEPAL),
        )
    )
    db.session.commit()
    login_as("admin", school=school, language="en")
    page = _text(portal.get("/"))
    assert (
        "Aarav (5A, roll 1) has been absent 4 school days in a row since "
        "27 Nov 2025 · 11 Mangsir 2082. The class teachers were told on WhatsApp." in page
    )
    assert f"/classes/{aarav.class_id}/attendance" in page
