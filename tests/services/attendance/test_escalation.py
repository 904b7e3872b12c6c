"""Absence escalation on a controlled clock: a student absent three school days in a row is
reported once, to each class teacher on WhatsApp (a teacher whose window is closed gets the
reminder template) and to the admins on the dashboard; a holiday or a Saturday in between
does not break the run; a day present does."""

from datetime import date

import pytest
import sqlalchemy as sa

from portal.models import Alert
from portal.services.attendance import streaks
from portal.services.calendar import holidays
from tests.factories import TeacherFactory

THURSDAY, HOLIDAY, SATURDAY = date(2025, 11, 27), date(2025, 11, 28), date(2025, 11, 29)
SUNDAY, MONDAY, TUESDAY = date(2025, 11, 30), date(2025, 12, 1), date(2025, 12, 2)


@pytest.fixture
def teachers(db, roster):
    school, c5a = roster["school"], roster["classes"]["5A"]
    holidays.add_holiday(
        school_id=school.id,
        user_id=None,
        starts_on=HOLIDAY,
        ends_on=None,
        name="Local festival",
        name_ne="स्थानीय पर्व",
        closed=True,
    )
    writes = TeacherFactory(school=school, language="en", classes=[c5a], name="Class Teacher")
    silent = TeacherFactory(school=school, language="ne", classes=[c5a], name="Other Teacher")
    db.session.commit()
    return writes, silent


def absent(say, frozen_clock, school, teacher, day, rolls):
    frozen_clock.nepal(day, 9, 0)
    say(school, teacher.phone, "ABSENT 5A: " + " ".join(str(r) for r in rolls))
    say(school, teacher.phone, "YES")


def reports(phones, teacher) -> list[dict]:
    return [
        m
        for m in phones.to(teacher.phone)
        if "school days in a row" in m["body"]
        or m["template"] in ("sandesh_reminder", "sandesh_reminder_ne")
    ]


def test_three_absent_school_days_with_a_holiday_and_a_saturday_between(
    db, roster, phones, say, frozen_clock, teachers
):
    school, aarav, bina = roster["school"], roster["students"]["Aarav"], roster["students"]["Bina"]
    writes, silent = teachers
    phones.fake.configure(recipient_errors={silent.phone.lstrip("+"): 131047})  # window closed
    absent(say, frozen_clock, school, writes, THURSDAY, [aarav.roll, bina.roll])
    absent(say, frozen_clock, school, writes, SUNDAY, [aarav.roll, bina.roll])
    assert reports(phones, writes) == []
    absent(say, frozen_clock, school, writes, MONDAY, [aarav.roll])  # Bina came back
    [report] = reports(phones, writes)
    assert report["body"] == (
        f"Aarav (5A, roll {aarav.roll}) has been absent 3 school days in a row, since "
        "27 Nov 2025 · 11 Mangsir 2082. Please check on them. Guardians: One Child "
        f"{roster['guardians']['one'].phone}."
    )
    [template] = reports(phones, silent)  # outside their window: the reminder template
    # a Nepali reader: the reminder declared in English, carrying the Nepali text
    assert (template["template"], template["language"]) == ("sandesh_reminder_ne", "en")
    assert f"सम्झना: {aarav.name_ne} (५क" in template["params"]["message"]
    assert "३" in template["params"]["message"]  # Nepali digits for the Nepali reader
    [alert] = db.session.scalars(sa.select(Alert).where(Alert.action == streaks.ACTION)).all()
    assert (alert.student_id, alert.since_on) == (aarav.id, THURSDAY)
    # a fourth day extends the run: nobody is told again
    absent(say, frozen_clock, school, writes, TUESDAY, [aarav.roll])
    assert len(reports(phones, writes)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Alert)) == 1
    assert streaks.run_length(aarav.id, school.id, THURSDAY) == 4


def test_a_day_present_breaks_the_run(db, roster, phones, say, frozen_clock, teachers):
    school, aarav = roster["school"], roster["students"]["Aarav"]
    writes, _silent = teachers
    absent(say, frozen_clock, school, writes, date(2025, 11, 26), [aarav.roll])  # Wednesday
    # present on Thursday: nobody marked him
    absent(say, frozen_clock, school, writes, SUNDAY, [aarav.roll])
    absent(say, frozen_clock, school, writes, MONDAY, [aarav.roll])
    assert reports(phones, writes) == []
    absent(say, frozen_clock, school, writes, TUESDAY, [aarav.roll])
    assert len(reports(phones, writes)) == 1  # Sunday, Monday, Tuesday


def test_the_school_chooses_how_many_days(db, roster, phones, say, frozen_clock, teachers):
    school, aarav = roster["school"], roster["students"]["Aarav"]
    school.absence_alert_days = 2
    db.session.commit()
    writes, _silent = teachers
    absent(say, frozen_clock, school, writes, THURSDAY, [aarav.roll])
    absent(say, frozen_clock, school, writes, SUNDAY, [aarav.roll])
    [report] = reports(phones, writes)
    assert "absent 2 school days in a row" in report["body"]


def test_a_new_run_while_the_alert_is_open_moves_it_to_that_run(
    db, roster, phones, say, frozen_clock, teachers
):
    school, aarav = roster["school"], roster["students"]["Aarav"]
    school.absence_alert_days = 2
    db.session.commit()
    writes, _silent = teachers
    absent(say, frozen_clock, school, writes, date(2025, 11, 25), [aarav.roll])  # Tuesday
    absent(say, frozen_clock, school, writes, date(2025, 11, 26), [aarav.roll])  # told
    # present on Thursday; absent again on Sunday and Monday: told again
    absent(say, frozen_clock, school, writes, SUNDAY, [aarav.roll])
    absent(say, frozen_clock, school, writes, MONDAY, [aarav.roll])
    assert len(reports(phones, writes)) == 2
    [alert] = db.session.scalars(sa.select(Alert)).all()
    assert alert.since_on == SUNDAY
