"""The calendar and recurring broadcast pages, as an admin uses them."""

import re
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


WEEKLY = {
    "targets": ["5A"],
    "kind": "notice",
    "body_en": "Library day on {weekday}.",
    "every": "week",
    "weekdays": ["6"],
    "at": "07:00",
    "on_holiday": "skip",
    "starts_on": "2082-08-07",
}


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
    form = WEEKLY
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


def _weekly(token: str, **values) -> dict:
    return WEEKLY | {"action": "save", "submission": token} | values


def _schedule_page_token(portal) -> str:
    page = portal.get("/schedules/new").get_data(as_text=True)
    found = re.search(r'name="submission" value="([^"]+)"', page)
    assert found, "the page carries no submission id"
    return found.group(1)


def _schedules(db) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(RecurringSchedule))


def test_saving_one_page_twice_makes_one_recurring_broadcast(
    db, roster, login_as, portal, frozen_clock
):
    login_as("admin", school=roster["school"], language="en")
    token = _schedule_page_token(portal)
    first = portal.post("/schedules/new", _weekly(token))
    again = portal.post("/schedules/new", _weekly(token), htmx=True)  # a double tap
    assert _schedules(db) == 1
    assert again.headers["Location"] == first.headers["Location"]
    page = portal.get(again.headers["Location"]).get_data(as_text=True)
    assert "This recurring broadcast was already made from this page; it was not made again." in (
        page
    )
    changed = portal.post("/schedules/new", _weekly(token, at="08:00"))  # Back, edited, Save
    assert changed.status_code == 302 and _schedules(db) == 2
    portal.post("/schedules/new", _weekly(_schedule_page_token(portal)))  # a new page
    assert _schedules(db) == 3


def test_the_second_save_is_told_in_nepali_and_the_edit_page_has_no_id(
    db, roster, login_as, portal, frozen_clock
):
    login_as("admin", school=roster["school"], language="ne")
    form = _weekly(_schedule_page_token(portal))
    saved = portal.post("/schedules/new", form)
    again = portal.post("/schedules/new", form)
    page = portal.get(again.headers["Location"]).get_data(as_text=True)
    assert "यो दोहोरिने सन्देश यही पानाबाट पहिले नै बनाइसकिएको छ; फेरि बनाइएन।" in page
    assert portal.post("/schedules/new", _weekly("")).status_code == 302  # no id: as before
    assert _schedules(db) == 2
    edit = portal.get(saved.headers["Location"] + "/edit").get_data(as_text=True)
    assert "<form" in edit and 'name="submission"' not in edit


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
