"""The monthly attendance summary on a controlled clock: switched on, it goes on day 1 of
each Bikram Sambat month to every guardian with each child's school days present and absent
in the month before (Saturdays and holidays not counted), in the guardian's language."""

from datetime import date, time

import sqlalchemy as sa

from portal.models import AttendanceRecord, Broadcast
from portal.services.calendar import holidays
from portal.services.schedules import summaries
from portal.tasks.delivery import dispatch_due
from tests.conftest import forget_send_limits

# Mangsir 2082 runs from 17 Nov to 15 Dec 2025: 29 days, 4 Saturdays, and the school's
# holiday on 27 Nov (11 Mangsir): 24 school days. Poush 1 is 16 Dec 2025 (a Tuesday).
POUSH_1 = date(2025, 12, 16)


def mark(db, school, student, *days):
    for day in days:
        db.session.add(AttendanceRecord(school_id=school.id, student_id=student.id, day=day))
    db.session.commit()


def test_the_summary_counts_the_school_days_of_the_month_before(db, roster, frozen_clock, recorder):
    school, s, g = roster["school"], roster["students"], roster["guardians"]
    holidays.add_holiday(
        school_id=school.id,
        user_id=None,
        starts_on=date(2025, 11, 27),
        ends_on=None,
        name="Local festival",
        name_ne="स्थानीय पर्व",
        closed=True,
    )
    frozen_clock.nepal(date(2025, 11, 17), 8, 0)
    assert summaries.switch(school=school, on=True, at=time(10, 0), user_id=None)
    db.session.commit()
    mark(db, school, s["Aarav"], date(2025, 11, 20), date(2025, 11, 21), date(2025, 12, 1))
    mark(db, school, s["Aarav"], date(2025, 11, 29))  # a Saturday: not a school day
    mark(db, school, s["Aarav"], date(2025, 12, 16))  # Poush: not this summary's month
    mark(db, school, s["Dipa"], date(2025, 12, 15))  # Mangsir 29, the month's last day
    frozen_clock.nepal(POUSH_1, 9, 59)
    dispatch_due.call_local()
    assert recorder.sent == []
    frozen_clock.nepal(POUSH_1, 10, 0)
    forget_send_limits()
    dispatch_due.call_local()
    dispatch_due.call_local()  # once only
    [summary] = db.session.scalars(sa.select(Broadcast).where(Broadcast.kind == "attendance"))
    assert summary.attendance_month["first"] == "2025-11-17"
    assert len(summary.attendance_month["school_days"]) == 24
    [one] = recorder.to(g["one"].phone)
    assert one["name"] == "sandesh_attendance" and one["language"] == "en"
    assert one["params"]["month"] == "Mangsir 2082"
    assert one["params"]["message"] == (
        "Aarav (5A): present 21 of 24 school days, absent 3 (4 Mangsir, 5 Mangsir, 15 Mangsir)."
    )
    [both] = recorder.to(g["both"].phone)  # Bina (5A) and Dipa (5B), in Nepali
    # Meta has no Nepali: a template declared in English carries the Nepali summary
    assert (both["name"], both["language"]) == ("sandesh_attendance_ne", "en")
    bina, dipa = s["Bina"].name_ne, s["Dipa"].name_ne
    carried = both["params"]["message"]
    assert "मंसिर २०८२ महिनाको हाजिरी" in carried
    assert (
        f"{bina} (५क): सबै २४ विद्यालय दिन उपस्थित। "
        f"{dipa} (५ख): २४ विद्यालय दिनमध्ये २३ दिन उपस्थित, १ दिन अनुपस्थित (मंसिर २९)।"
    ) in carried
    assert len(recorder.sent) == 4  # every guardian of the school, once


def test_inside_the_window_the_summary_is_a_text_in_the_guardians_words(
    db, roster, frozen_clock, recorder
):
    school, g = roster["school"], roster["guardians"]
    frozen_clock.nepal(date(2025, 11, 17), 8, 0)
    summaries.switch(school=school, on=True, at=time(10, 0), user_id=None)
    frozen_clock.nepal(POUSH_1, 9, 0)
    g["one"].last_inbound_at = frozen_clock()
    db.session.commit()
    frozen_clock.nepal(POUSH_1, 10, 0)
    forget_send_limits()
    dispatch_due.call_local()
    [text] = recorder.to(g["one"].phone)
    assert text["kind"] == "text"
    assert f"*{school.name}* · Monthly attendance\n" in text["body"]
    assert "Attendance in Mangsir 2082:\nAarav (5A): present on all 25 school days." in text["body"]


def test_switched_off_it_stops_and_switched_on_again_it_starts(db, roster, frozen_clock):
    school = roster["school"]
    assert summaries.switch(school=school, on=True, at=time(10, 0), user_id=None)
    assert not summaries.switch(school=school, on=True, at=time(10, 0), user_id=None)
    assert summaries.switch(school=school, on=True, at=time(7, 0), user_id=None)
    assert summaries.current(school.id).at == time(7, 0)
    assert summaries.switch(school=school, on=False, at=None, user_id=None)
    assert summaries.current(school.id) is None
    assert not summaries.switch(school=school, on=False, at=None, user_id=None)
