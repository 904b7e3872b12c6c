"""The reports page in Chromium: the charts and the tables beside them show the same
numbers, switching the period swaps the report in place (and the address follows), and a
spreadsheet downloads as UTF-8 with a BOM."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import report_data
from tests.factories import UserFactory
from tests.report_data import TODAY, expected

pytestmark = pytest.mark.browser


@pytest.fixture
def data(db, frozen_clock):
    frozen_clock.nepal(TODAY, 10, 0)
    return report_data.seed()


def table_numbers(page) -> dict[str, int]:
    cells = page.locator("#funnel-table td[data-key]")
    return {
        cells.nth(i).get_attribute("data-key"): int(cells.nth(i).inner_text().replace(",", ""))
        for i in range(cells.count())
    }


def chart_numbers(page) -> dict[str, int]:
    """The funnel chart's bars: each one's count as its label says, and its width."""
    found = {}
    bars = page.locator("svg.chart").first.locator("rect[class^=bar-]:not(.bar-bg)")
    labels = page.locator("svg.chart").first.locator("text")
    for i in range(bars.count()):
        key = bars.nth(i).get_attribute("class").removeprefix("bar-")
        value = labels.nth(2 * i + 1).text_content().split(" · ")[0]
        found[key] = (int(value.replace(",", "")), float(bars.nth(i).get_attribute("width")))
    return found


def agree(page) -> int:
    table, chart = table_numbers(page), chart_numbers(page)
    targeted = table["targeted"]
    for key, (value, width) in chart.items():
        assert value == table[key], key
        assert width == pytest.approx(350 * value / targeted, abs=0.1), key
    return targeted


def test_charts_and_tables_agree_and_the_period_switches(page, sign_in, data):
    sign_in(UserFactory(school=data.school, role="staff", language="en"))
    page.goto("/reports/")
    expect(page.locator("#period")).to_contain_text("Mangsir 2083")
    assert agree(page) == expected(["b1", "b2", "b4"], data.sends)["targeted"]
    page.evaluate("window.sameDocument = true")

    page.get_by_role("link", name="Last 7 days").click()
    expect(page).to_have_url(re.compile(r"period=7"))
    expect(page.locator("#funnel-table td[data-key=targeted]")).to_have_text("3")
    assert agree(page) == 3
    assert page.evaluate("window.sameDocument") is True  # swapped in place, not reloaded

    page.select_option("#calendar", "bs")
    page.fill("#from", "2083-07-20")
    page.fill("#to", "2083-08-16")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"from=2083-07-20"))
    expect(page.locator("#funnel-table td[data-key=targeted]")).to_have_text("17")
    assert agree(page) == 17

    with page.expect_download() as download:
        page.get_by_role("link", name="All broadcasts (spreadsheet)").click()
    raw = Path(download.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Broadcast,Started,Kind,Written by,Title")
    assert len(text.splitlines()) == 1 + 4  # b3, b1, b2, b4
    assert download.value.suggested_filename == "report-broadcasts-2026-11-06-2026-12-02.csv"
