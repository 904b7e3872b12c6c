"""The school calendar: Nepal's public holidays pre-filled once per Bikram Sambat year (from
the `holidays` package, with Nepali names), the school's own ranges, school days, CSV."""

from datetime import date

import pytest
import sqlalchemy as sa

from portal.models import AuditLog, Holiday
from portal.services.calendar import calendar_csv, calendar_years, days, holidays
from portal.services.calendar.public_holidays import bs_year_span, for_bs_year


def entries(db, school):
    return db.session.scalars(
        sa.select(Holiday).where(Holiday.school_id == school.id).order_by(Holiday.starts_on)
    ).all()


def test_a_bs_year_is_prefilled_once_with_both_names(db, school):
    added = holidays.prefill_year(school_id=school.id, bs_year=2082)
    db.session.commit()
    rows = entries(db, school)
    assert added == len(rows) > 25
    first, last = bs_year_span(2082)
    assert (first, last) == (date(2025, 4, 14), date(2026, 4, 13))
    assert all(first <= h.starts_on <= last and h.prefilled and h.closed for h in rows)
    by_day = {(h.starts_on, h.name): h.name_ne for h in rows}
    assert by_day[date(2025, 4, 14), "Nepali New Year"] == "नेपाली नयाँ वर्ष"
    assert by_day[date(2025, 10, 2), "Bijaya Dashami"] == "विजया दशमी"
    assert by_day[date(2025, 10, 23), "Bhai Tika"] == "भाइटीका"
    # fixed in the BS calendar: Jestha 15 and Poush 27, on their BS days
    assert by_day[date(2025, 5, 29), "Republic Day"] == "गणतन्त्र दिवस"
    assert (date(2026, 1, 11), "Prithvi Jayanti") in by_day
    # the package's misspellings mended
    assert by_day[date(2025, 12, 30), "Tamu Lhochhar"] == "तमु ल्होसार"
    assert by_day[date(2025, 10, 4), "Duwadashi (Dashain)"] == "द्वादशी (दशैं)"
    assert holidays.prefill_year(school_id=school.id, bs_year=2082) == 0  # once


def test_a_removed_prefilled_day_stays_removed(db, school, frozen_clock):
    calendar_years.prefill_school(school.id)
    db.session.commit()
    christmas = next(h for h in entries(db, school) if h.name == "Christmas Day")
    holidays.remove_holiday(holiday=christmas, user_id=None)
    db.session.commit()
    assert calendar_years.prefill_school(school.id) == 0
    assert all(h.name != "Christmas Day" or h.starts_on.year != 2025 for h in entries(db, school))
    actions = db.session.scalars(sa.select(AuditLog.action)).all()
    assert actions.count("holiday.prefill") == 2 and "holiday.delete" in actions


def test_the_school_s_own_range_and_open_weeks(db, school):
    holidays.add_holiday(
        school_id=school.id,
        user_id=None,
        starts_on=date(2025, 12, 1),
        ends_on=date(2025, 12, 5),
        name="Winter break",
        name_ne="जाडो बिदा",
        closed=True,
    )
    holidays.add_holiday(
        school_id=school.id,
        user_id=None,
        starts_on=date(2025, 12, 8),
        ends_on=date(2025, 12, 12),
        name="Exam week",
        name_ne=None,
        closed=False,
    )
    db.session.commit()
    school_days = days.school_days_between(school.id, date(2025, 11, 30), date(2025, 12, 13))
    assert school_days == [
        date(2025, 11, 30),  # Sunday
        date(2025, 12, 7),  # Saturday 6th is the weekly holiday
        date(2025, 12, 8),
        date(2025, 12, 9),
        date(2025, 12, 10),
        date(2025, 12, 11),
        date(2025, 12, 12),
    ]
    mark = days.holiday_on(school.id, date(2025, 12, 3))
    assert mark.label("ne") == "जाडो बिदा" and mark.label("en") == "Winter break"
    assert days.holiday_on(school.id, date(2025, 12, 9)) is None  # exams: school is open


@pytest.mark.parametrize(
    "given, message",
    [
        ({"starts_on": None}, "Enter the first day."),
        ({"ends_on": date(2025, 11, 1)}, "The last day is before the first."),
        ({"ends_on": date(2027, 1, 1)}, "A range can be at most a year long."),
        ({"name": " ", "name_ne": ""}, "Give the day a name, in English or Nepali."),
    ],
)
def test_bad_entries_are_refused_with_a_reason(db, school, english, given, message):
    values = {"starts_on": date(2025, 12, 1), "ends_on": None, "name": "Teej"}
    values |= {"name_ne": None, "closed": True} | given
    with pytest.raises(holidays.HolidayError) as error:
        holidays.add_holiday(school_id=school.id, user_id=None, **values)
    assert str(error.value) == message


def test_csv_round_trip_with_bs_dates(db, school):
    data = (
        "Start,End,Name,Name_NE,Closed\n2082-05-10,,Teej,तीज,yes\n२०८२-०८-२०,2082-08-22,Exams,,no\n"
    )
    report = calendar_csv.import_csv(
        school_id=school.id, data=data.encode("utf-8-sig"), user_id=None
    )
    db.session.commit()
    assert report.ok and report.added == 2
    rows = entries(db, school)
    assert [(h.starts_on, h.ends_on, h.closed) for h in rows] == [
        (date(2025, 8, 26), date(2025, 8, 26), True),
        (date(2025, 12, 6), date(2025, 12, 8), False),
    ]
    exported = calendar_csv.export_csv(school.id, date(2025, 4, 14), date(2026, 4, 13))
    assert "2025-08-26,2025-08-26,2082-05-10,2082-05-10,Teej,तीज,yes,no" in exported
    again = calendar_csv.import_csv(school_id=school.id, data=exported.encode(), user_id=None)
    assert again.ok and again.added == 0 and again.unchanged == 2


def test_a_name_a_spreadsheet_would_run_is_exported_as_text_and_read_back_as_it_was(
    db, school, english
):
    data = 'start,name,name_ne,closed\n2025-12-01,=HYPERLINK("x"),@तीज,yes\n'.encode()
    assert calendar_csv.import_csv(school_id=school.id, data=data, user_id=None).added == 1
    db.session.commit()
    exported = calendar_csv.export_csv(school.id, date(2025, 4, 14), date(2026, 4, 13))
    assert exported.startswith("\ufeffstart,")  # the BOM: Excel reads Nepali as UTF-8
    assert ',"\'=HYPERLINK(""x"")",\'@तीज,yes,' in exported
    again = calendar_csv.import_csv(school_id=school.id, data=exported.encode(), user_id=None)
    assert again.ok and again.added == 0 and again.unchanged == 1
    [holiday] = entries(db, school)
    assert (holiday.name, holiday.name_ne) == ('=HYPERLINK("x")', "@तीज")


def test_a_csv_with_a_bad_row_imports_nothing(db, school, english):
    data = b"start,end,name\n2025-12-01,,Fine\nnot a date,,Bad\n2025-12-05,2025-12-01,Backwards\n"
    report = calendar_csv.import_csv(school_id=school.id, data=data, user_id=None)
    assert report.errors == [
        (3, "“not a date” is not a date such as 2025-10-20."),
        (4, "The last day is before the first."),
    ]
    assert entries(db, school) == []


def test_every_prefilled_name_has_nepali(db):
    for year in (2082, 2083):
        found = for_bs_year(year)
        assert found and all(h.name_ne and h.name for h in found)
        assert not any("ाे" in h.name_ne for h in found)
