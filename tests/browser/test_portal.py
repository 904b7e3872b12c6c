"""The portal in a real browser: sign in, change language, search as you type, edit a
guardian; with no JavaScript errors and no Content-Security-Policy violations."""

import time

import pytest
from playwright.sync_api import expect

from portal.services.common.phones import display_phone
from tests.factories import ClassFactory, GuardianFactory, StudentFactory

pytestmark = pytest.mark.browser


def test_the_watch_catches_a_csp_violation(page, problems):
    page.goto("/login")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = true'; document.body.append(s); }"
    )
    deadline = time.monotonic() + 5
    while not any(p.startswith("CSP violation") for p in problems):
        assert time.monotonic() < deadline, "the inline script was not reported"
        page.wait_for_timeout(50)
    assert page.evaluate("window.injected") is None  # CSP really blocked it
    problems.clear()


def test_sign_in_and_switch_to_nepali(page, sign_in, admin):
    sign_in(admin)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Dashboard")).to_be_visible()

    page.get_by_role("button", name="नेपाली").click()

    expect(page.locator("html")).to_have_attribute("lang", "ne")
    expect(page.get_by_role("button", name="English")).to_be_visible()
    expect(page.locator("main")).to_contain_text(admin.school.name_ne)


def test_search_students_as_you_type(app, page, sign_in, admin, school):
    five_a = ClassFactory(school=school, grade=5, section="A")
    StudentFactory.create_batch(30, school_class=five_a)
    StudentFactory(school_class=five_a, name="Sunita Tamang", name_ne="सुनिता तामाङ")
    sign_in(admin)
    page.goto("/students")
    rows = page.locator("#student-rows tbody tr")
    expect(rows).to_have_count(app.config["PAGE_SIZE"])
    page.evaluate("window.sameDocument = true")

    page.locator("input[name=q]").press_sequentially("sunita", delay=40)

    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Sunita Tamang")
    assert page.evaluate("window.sameDocument"), "the page was reloaded, not updated in place"


def test_edit_a_guardians_phone(page, sign_in, admin, school):
    guardian = GuardianFactory(school=school, name="Kamala Shrestha", phone="+9779841000001")
    sign_in(admin)
    page.goto(f"/guardians/{guardian.id}/edit")
    phone = page.locator("input[name=phone]")
    expect(page.locator("input[name=name]")).to_have_value("Kamala Shrestha")
    expect(page.locator("select[name=language]")).to_have_value("ne")

    phone.fill("12345")
    phone.press("Enter")
    expect(phone).to_have_attribute("aria-invalid", "true")
    error = page.locator(f"#{phone.get_attribute('aria-describedby')}")
    expect(error).to_contain_text("“12345” has too few or too many digits.")

    phone.fill("984-1234567")
    phone.press("Enter")
    page.wait_for_url(f"**/guardians/{guardian.id}")
    expect(page.locator("main")).to_contain_text(display_phone("+9779841234567"))
    expect(page.locator("main")).to_contain_text("Kamala Shrestha")


def test_a_second_tap_while_a_page_loads_replaces_it(page, sign_in, admin):
    sign_in(admin)
    nav = page.get_by_role("navigation", name="Main")
    held, ended = [], []
    page.route("**/students/", lambda route: held.append(route))
    page.on("requestfinished", lambda request: ended.append(request.url))
    page.on("requestfailed", lambda request: ended.append(request.url))

    nav.get_by_role("link", name="Students").click()
    deadline = time.monotonic() + 5
    while not held:  # the Students answer is on its way, slowly
        assert time.monotonic() < deadline, "the Students request was not sent"
        page.wait_for_timeout(20)
    nav.get_by_role("link", name="Guardians").click()
    expect(page.locator("h1")).to_have_text("Guardians")

    held[0].continue_()  # now the Students answer arrives, after the Guardians one
    deadline = time.monotonic() + 5
    while not any(url.endswith("/students/") for url in ended):
        assert time.monotonic() < deadline, "the Students request never ended"
        page.wait_for_timeout(20)
    page.wait_for_timeout(300)
    expect(page.locator("h1")).to_have_text("Guardians")
    assert page.url.endswith("/guardians/")
