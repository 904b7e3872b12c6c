"""The calendar and recurring broadcast pages, as an admin uses them."""

from datetime import date

import sqlalchemy as sa

from portal.models import Holiday, RecurringSchedule
from portal.services.calendar import holidays


def test_the_calendar_shows_a_bs_month_with_ad_dates_and_holidays(
    db, roster, login_as, portal, frozen_clock
):
    login_as("admin", school=roster["school"], language="en")
    portal.post("/calendar/prefill", {"year": "2082", "month": "2082-07"})
    page = portal.get("/calendar/?month=2082-07").get_data(as_text=True)
    assert "Kartik 2082" in page and "Oct 2025" in page and "Nov 2025" in page
    assert "Laxmi Pooja" in page and "Bhai Tika" in page and "pre-filled" in page


def test_adding_a_range_in_bs_dates(db, roster, login_as, portal, frozen_clock):
    login_as("admin", school=roster["school"], language="en")
    response = portal.post(
        "/calendar/",
        {
            "starts_on": "2082-08-15",
            "ends_on": "२०८२-०८-१७",
            "name": "Winter break",
            "name_ne": "जाडो बिदा",
            "closed": "y",
        },
    )
    assert response.status_code == 302
    holiday = db.session.scalar(sa.select(Holiday))
    assert (holiday.starts_on, holiday.ends_on) == (date(2025, 12, 1), date(2025, 12, 3))
    page = portal.get("/calendar/?month=2082-08").get_data(as_text=True)
    assert "Winter break" in page
    bad = portal.post("/calendar/", {"starts_on": "2082-13-01", "name": "X"})
    assert bad.status_code == 422 and "There is no such date: 2082-13-01." in bad.get_data(
        as_text=True
    )


def test_csv_import_reports_bad_lines_and_imports_nothing(
    db, roster, login_as, portal, frozen_clock
):
    import io

    login_as("admin", school=roster["school"], language="en")
    data = b"start,name\n2025-12-01,Fine\n2025-13-01,Bad\n"
    response = portal.post(
        "/calendar/import",
        {"file": (io.BytesIO(data), "days.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Line 3: There is no such date: 2025-13-01." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Holiday)) == 0


def test_a_weekly_schedule_previewed_then_started(db, roster, login_as, portal, frozen_clock):
    login_as("admin", school=roster["school"], language="en")
    holidays.add_holiday(
        school_id=roster["school"].id,
        user_id=None,
        starts_on=date(2025, 12, 7),
        ends_on=None,
        name="Local festival",
        name_ne="स्थानीय पर्व",
        closed=True,
    )
    db.session.commit()
    form = {
        "targets": ["5A"],
        "kind": "notice",
        "body_en": "Library day on {weekday}.",
        "every": "week",
        "weekdays": ["6"],
        "at": "07:00",
        "on_holiday": "skip",
        "starts_on": "2082-08-07",
    }
    preview = portal.post("/schedules/new", form | {"action": "preview"}, htmx=True)
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "every Sunday at 07:00; not on holidays" in text
    assert "Skipped: 7 Dec 2025 · 21 Mangsir 2082 (Local festival)" in text
    assert "Library day on Sunday." in text
    assert db.session.scalar(sa.select(RecurringSchedule)) is None  # a preview keeps nothing
    saved = portal.post("/schedules/new", form | {"action": "save"})
    assert saved.status_code == 302
    page = portal.get(saved.headers["Location"]).get_data(as_text=True)
    assert "30 Nov 2025 · 14 Mangsir 2082, 07:00" in page and "14 Dec 2025" in page
    assert "Skipped: 7 Dec 2025" in page
    schedule = db.session.scalar(sa.select(RecurringSchedule))
    portal.post(f"/schedules/{schedule.id}/pause")
    db.session.refresh(schedule)
    assert schedule.status == "paused"


def test_a_schedule_without_weekdays_is_refused(db, roster, login_as, portal, frozen_clock):
    login_as("admin", school=roster["school"], language="en")
    form = {
        "targets": ["5A"],
        "kind": "notice",
        "body_en": "x",
        "every": "week",
        "at": "07:00",
        "on_holiday": "skip",
    }
    response = portal.post("/schedules/new", form | {"action": "save"})
    assert response.status_code == 422
    assert "Choose at least one day of the week." in response.get_data(as_text=True)


def test_a_year_the_calendar_does_not_know_is_not_found(db, roster, login_as, portal):
    login_as("admin", school=roster["school"], language="en")
    assert portal.get("/calendar/5000.csv").status_code == 404
    assert portal.get("/calendar/2100.csv").status_code == 404
    assert portal.post("/calendar/prefill", {"year": "5000"}).status_code == 404
    assert portal.get("/calendar/2082.csv").status_code == 200
