"""A recurring broadcast made in a real browser: a weekly schedule, previewed and started,
shows its next occurrences with the school's holiday skipped."""

from datetime import date

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.services.calendar import holidays
from tests.factories import ClassFactory, StudentFactory, StudentGuardianFactory

pytestmark = pytest.mark.browser


def test_a_weekly_schedule_shows_its_next_occurrences_with_a_holiday_skipped(
    page, sign_in, admin, frozen_clock
):
    five_a = ClassFactory(school=admin.school, grade=5, section="A")
    StudentGuardianFactory(student=StudentFactory(school_class=five_a, name="Aarav"))
    holidays.add_holiday(
        school_id=admin.school.id,
        user_id=None,
        starts_on=date(2025, 12, 7),  # a Sunday
        ends_on=None,
        name="Local festival",
        name_ne="स्थानीय पर्व",
        closed=True,
    )
    db.session.commit()
    sign_in(admin)
    page.get_by_role("link", name="Recurring").click()
    page.get_by_role("link", name="New recurring broadcast").click()
    page.get_by_label("5A").check()
    page.get_by_label("Message in English").fill("Library books back on {weekday}.")
    page.get_by_label("Every week, on the days ticked").check()
    page.get_by_label("Sunday").check()
    page.get_by_label("Time (Nepal)").fill("07:00")

    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("every Sunday at 07:00; not on holidays")
    expect(preview).to_contain_text("Skipped: 7 Dec 2025 · 21 Mangsir 2082 (Local festival)")
    expect(preview).to_contain_text("Library books back on Sunday.")

    page.get_by_role("button", name="Start it").click()
    expect(page.locator("main")).to_contain_text("The recurring broadcast is on.")
    occurrences = page.locator("ol.occurrences li")
    expect(occurrences).to_have_count(5)
    expect(occurrences.first).to_have_text("30 Nov 2025 · 14 Mangsir 2082, 07:00")
    expect(occurrences.nth(1)).to_have_text("14 Dec 2025 · 28 Mangsir 2082, 07:00")
    expect(page.locator("ul.skipped")).to_contain_text("Skipped: 7 Dec 2025")
