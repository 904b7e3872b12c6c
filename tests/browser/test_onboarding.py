"""The operator's onboarding page in a real browser, against the fake Graph API: add a school
from the Schools page and see Sandesh check each step with Meta (token, number, limit,
templates submitted, webhook); a refused token shows Meta's error, and once fixed the check
passes; a second school joins the first's portfolio and the page says they share a limit."""

import pytest
from playwright.sync_api import expect

from portal.services.wording import template_texts
from tests.conftest import META_TOKEN, WABA
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

NUMBER = "106540352242922"
SHIPPED = len(template_texts.all_shipped())


@pytest.fixture
def operator(db):
    return UserFactory(role="operator", school=None)


def add_school(page, *, slug, name, number, token, portfolio=None, new_portfolio=None):
    """Fill the onboarding form as the operator would, from the Schools page, where the
    operator's home page leads. (Clicking "Schools" there as well would race two boosted
    navigations: the page could end on either while the address bar shows the other.)"""
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Schools")
    page.get_by_role("link", name="Add a school").click()
    expect(page.locator("h1")).to_have_text("Add a school")
    page.get_by_label("Short name (in web addresses)").fill(slug)
    page.get_by_label("School name in English").fill(name)
    page.get_by_label("WhatsApp phone number ID").fill(number)
    page.get_by_label("WhatsApp Business Account ID").fill(WABA)
    page.get_by_label("Access token").fill(token)
    if portfolio:
        page.get_by_label("Business portfolio").select_option(label=portfolio)
    if new_portfolio:
        page.get_by_label("New portfolio's name").fill(new_portfolio)
    page.get_by_role("button", name="Add and check with Meta").click()
    # Adding checks the setup with Meta: several calls and every template submitted, which
    # on a machine running both suites at once can take longer than expect's 5 seconds.
    expect(page.locator("h1")).to_have_text(name, timeout=30_000)


def test_the_operator_adds_a_school_and_sees_each_step_checked_with_meta(
    page, sign_in, operator, meta
):
    meta.configure(
        numbers={
            NUMBER: {
                "display_phone_number": "+977 1-4412345",
                "verified_name": "Shree Janata School",
                "quality_rating": "GREEN",
            }
        }
    )
    sign_in(operator)
    add_school(
        page,
        slug="janata",
        name="Shree Janata Secondary School",
        number=NUMBER,
        token=META_TOKEN,
        portfolio="A new portfolio, named below",
        new_portfolio="Janata group",
    )
    expect(page.locator("h1")).to_have_text("Shree Janata Secondary School")
    steps = page.locator("ol.steps")
    expect(steps.locator("#step-token")).to_have_class("step ok")
    expect(steps.locator("#step-number")).to_contain_text(
        "+977 1-4412345, shown as “Shree Janata School”; quality rating GREEN."
    )
    expect(steps.locator("#step-limit")).to_contain_text("250 parents a day")
    expect(steps.locator("#step-templates")).to_contain_text(f"Submitted {SHIPPED},")
    expect(steps.locator("#step-webhook")).to_contain_text("/webhooks/whatsapp")
    expect(page.locator("main")).not_to_contain_text(META_TOKEN)
    assert meta.stats()["templates_created"] == SHIPPED

    page.get_by_role("button", name="Check with Meta again").click()
    expect(page.locator("#step-templates")).to_contain_text(
        f"Submitted 0, already at Meta {SHIPPED},"
    )
    assert meta.stats()["templates_created"] == SHIPPED


def test_a_refused_token_shows_metas_error_and_a_second_school_shares_the_portfolio(
    page, sign_in, operator, meta
):
    meta.configure(numbers={NUMBER: {}, "106540352242923": {}})
    sign_in(operator)
    add_school(
        page,
        slug="janata",
        name="Shree Janata Secondary School",
        number=NUMBER,
        token="EAAG-not-metas",
        new_portfolio="Janata group",
        portfolio="A new portfolio, named below",
    )
    token = page.locator("#step-token")
    expect(token).to_have_class("step bad")
    expect(token).to_contain_text("190")
    expect(page.locator("#step-templates")).to_contain_text("Not checked")
    assert meta.stats()["templates_created"] == 0

    add_school(
        page,
        slug="janata-2",
        name="Janata Primary School",
        number="106540352242923",
        token=META_TOKEN,
        portfolio="Janata group",
    )
    expect(page.locator("#step-templates")).to_have_class("step ok")
    expect(page.locator("main")).to_contain_text(
        "Shares its messaging limit with: Shree Janata Secondary School"
    )
