"""The reports page and its spreadsheets, from the portal and the API, against the numbers
counted from the rows in tests/report_data.py: the funnel, the period in BS and AD, charts
with text alternatives beside tables, failures and the guardians affected, who read
nothing, the opt-out list; cells a spreadsheet would run are written as text, Nepali opens
as UTF-8 (BOM), another school's data never shows."""

import csv
import io
import re

import pytest

from portal.services.accounts.tokens import create_api_token
from tests import report_data
from tests.factories import UserFactory
from tests.report_data import TODAY, expected

MONTH = ["b1", "b2", "b4"]


@pytest.fixture
def data(db, frozen_clock):
    frozen_clock.nepal(TODAY, 10, 0)
    return report_data.seed()


@pytest.fixture
def office(portal, data):
    portal.login(UserFactory(school=data.school, role="staff", language="en"))
    return portal


def funnel_cells(html: str) -> dict[str, int]:
    table = html[html.index('id="funnel-table"') :]
    table = table[: table.index("</table>")]
    cells = re.findall(r'data-key="(\w+)">([\d,०-९]+)<', table)
    return {key: int(value.replace(",", "")) for key, value in cells}


def rows_of(response) -> list[list[str]]:
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode()), "no byte-order mark"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_the_page_shows_this_bs_months_funnel(office, data):
    response = office.get("/reports/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Mangsir 2083" in html
    assert funnel_cells(html) == {
        k: v for k, v in expected(MONTH, data.sends).items() if k != "prompt"
    }
    # Charts are SVG with a text alternative, and the numbers are in a table beside them.
    assert html.count('<svg class="chart"') >= 2 and 'role="img"' in html
    counted = expected(MONTH, data.sends)
    assert (
        f'<desc id="funnel-d">Targeted: {counted["targeted"]}; Sent: {counted["sent"]}; '
        f"Delivered: {counted['delivered']}; Read: {counted['read']}; "
        f"Seen: {counted['acknowledged']}</desc>"
    ) in html
    assert "<script" not in html.split("</head>", 1)[1]  # no chart library
    assert "Not yours" not in html  # another school's broadcast


def test_switching_the_period(office, data):
    week = office.get("/reports/?period=7").get_data(as_text=True)
    assert funnel_cells(week)["targeted"] == expected(["b4"], data.sends)["targeted"]
    month_bs = office.get("/reports/?calendar=bs&from=2083-08-01&to=2083-08-29")
    assert funnel_cells(month_bs.get_data(as_text=True)) == funnel_cells(
        office.get("/reports/").get_data(as_text=True)
    )
    thirty = office.get("/reports/?calendar=ad&from=2026-11-03&to=2026-12-02")
    assert funnel_cells(thirty.get_data(as_text=True))["targeted"] == 17  # b3 too
    fragment = office.get("/reports/?period=30", htmx=True).get_data(as_text=True)
    assert fragment.strip().startswith('<div id="report"') and "<html" not in fragment


def test_a_period_that_cannot_be_read_is_explained_in_the_readers_language(office, data):
    response = office.get("/reports/?calendar=bs&from=2083-08-32")
    assert response.status_code == 422
    assert "There is no such day: 2083-08-32." in response.get_data(as_text=True)
    office.post("/language", {"lang": "ne", "next": "/reports/"})
    nepali = office.get("/reports/?calendar=bs&from=%3Cb%3E").get_data(as_text=True)
    assert "वर्ष-महिना-गते" in nepali and "<b>" not in nepali.split("error-box")[1][:200]


def test_failures_list_the_guardians_to_contact(office, data):
    html = office.get("/reports/").get_data(as_text=True)
    section = html[html.index('id="failed-guardians"') :]
    assert "Guardian g3" in section and "Guardian g7" in section
    assert "+977 98000 is not on WhatsApp" in section
    rows = rows_of(office.get("/reports/failures.csv?from=2026-11-17&to=2026-12-15"))
    assert rows[0] == [
        "Guardian",
        "Phone or WhatsApp user ID",
        "Reason",
        "Failed messages",
        "Last failed",
    ]
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"Guardian g3", "Guardian g7"}
    assert by_name["Guardian g3"][1] == "'" + data.guardians["g3"].phone  # "+977…" as text
    assert by_name["Guardian g3"][4].endswith("+05:45")
    # A reason starting with "+": a spreadsheet would read it as a formula, so it is text.
    assert by_name["Guardian g7"][2] == "'+977 98000 is not on WhatsApp"


def test_the_broadcasts_table_is_safe_to_open(office, data):
    rows = rows_of(office.get("/reports/broadcasts.csv?from=2026-11-17&to=2026-12-15"))
    header, *lines = rows
    assert header[:5] == ["Broadcast", "Started", "Kind", "Written by", "Title"]
    first = dict(zip(header, lines[0], strict=True))
    assert first["Title"] == "'=cmd|' /C calc'!A0"  # shown as text, never run
    assert first["Targeted"] == "8" and first["Delivered within 5 minutes"] == "3"
    assert first["Median seconds to deliver"] == "60" and first["Below the target"] == "yes"
    assert first["Started"] == "2026-11-20T10:00:00+05:45"
    assert [line[3] for line in lines] == ["Office", "Sita Thapa", "Sita Thapa"]


def test_never_read_and_the_opt_out_list(office, data):
    never = rows_of(office.get("/reports/never-read.csv?from=2026-11-17&to=2026-12-15"))
    assert never[1:] == [["Guardian g5", "'" + data.guardians["g5"].phone, "2", "1"]]
    out = rows_of(office.get("/reports/opt-outs.csv"))
    assert out[0][:3] == ["Guardian", "Phone or WhatsApp user ID", "Opted out"]
    [g6] = out[1:]
    assert g6[0] == "Guardian g6" and g6[2] == "2026-11-21T08:00:00+05:45"
    assert g6[4] == str(data.broadcasts["b1"].id)
    html = office.get("/reports/").get_data(as_text=True)
    assert 'id="before-stop"' in html and "1 stopped, 0 started again." in html


def test_class_and_grade_tables_in_nepali(office, data):
    office.post("/language", {"lang": "ne", "next": "/reports/"})
    rows = rows_of(office.get("/reports/classes.csv?from=2026-11-17&to=2026-12-15"))
    assert rows[0][0] == "कक्षा"
    assert [row[0] for row in rows[1:]] == ["नर्सरी", "१क", "१ख", "५क"]
    grades = rows_of(office.get("/reports/grades.csv"))
    assert [row[0] for row in grades[1:]] == ["नर्सरी", "१", "५"]


@pytest.mark.parametrize("name", ["funnel", "teachers", "kinds", "costs", "subscriptions"])
def test_every_table_downloads(office, data, name):
    response = office.get(f"/reports/{name}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f"report-{name}-2026-11-17-2026-12-15.csv" in response.headers["Content-Disposition"]
    assert len(rows_of(response)) > 1


def test_unknown_tables_and_bad_periods(office, data):
    assert office.get("/reports/passwords.csv").status_code == 404
    bad = office.get("/reports/funnel.csv?from=2026-13-01")
    assert (
        bad.status_code == 400 and bad.get_data(as_text=True) == "There is no such day: 2026-13-01."
    )


def test_the_api_gives_the_schools_own_tables(db, client, data):
    _, token = create_api_token(school=data.school)
    _, theirs = create_api_token(school=data.other)
    db.session.commit()
    url = "/api/v1/reports/failures.csv?from=2083-08-01&to=2083-08-29&calendar=bs"
    rows = rows_of(client.get(url, headers={"Authorization": f"Bearer {token}"}))
    assert {row[0] for row in rows[1:]} == {"Guardian g3", "Guardian g7"}
    other = rows_of(client.get(url, headers={"Authorization": f"Bearer {theirs}"}))
    # Their own failed message, never ours.
    assert len(other) == 2 and not {row[0] for row in other[1:]} & {"Guardian g3", "Guardian g7"}
    assert client.get(url).status_code == 401
    bad = client.get(
        "/api/v1/reports/failures.csv?from=soon", headers={"Authorization": f"Bearer {token}"}
    )
    assert bad.status_code == 400 and bad.json["error"]["code"] == "invalid_period"
    missing = client.get("/api/v1/reports/x.csv", headers={"Authorization": f"Bearer {token}"})
    assert missing.status_code == 404


def test_operators_have_no_school_reports(portal, data):
    portal.login(UserFactory(school=None, role="operator"))
    assert portal.get("/reports/").status_code == 403
    assert portal.get("/reports/funnel.csv").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, data):
    response = client.get("/reports/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_settings_set_the_reach_target_and_the_weekly_summary(db, portal, data):
    portal.login(UserFactory(school=data.school, role="admin", language="en"))
    page = portal.get("/settings/reports").get_data(as_text=True)
    assert "Sita Thapa" in page and "Nobody (no weekly summary)" in page
    form = {
        "reach_target": "९०",
        "summary_teacher_id": str(data.teacher.id),
        "summary_weekday": "6",
        "summary_at": "07:30",
    }
    response = portal.post("/settings/reports", form)
    assert response.status_code == 302
    db.session.expire_all()
    school = db.session.get(type(data.school), data.school.id)
    assert (school.reach_target, school.summary_teacher_id) == (90, data.teacher.id)
    assert school.summary_at.strftime("%H:%M") == "07:30"
    report = portal.get("/reports/").get_data(as_text=True)
    assert "Target: 90.0% of guardians reached within 5 minutes." in report
    bad = portal.post(
        "/settings/reports", form | {"reach_target": "30", "summary_teacher_id": "999"}
    )
    assert bad.status_code == 422
    assert "Choose from 50 to 100 percent." in bad.get_data(as_text=True)
    assert "Not a valid choice" in bad.get_data(as_text=True) or "Choose one" in bad.get_data(
        as_text=True
    )


def test_staff_cannot_change_report_settings(office, data):
    assert office.get("/settings/reports").status_code == 403


def test_teachers_signed_in_to_the_portal_do_not_see_reports(portal, data):
    portal.login(UserFactory(school=data.school, role="teacher", language="en"))
    assert portal.get("/reports/").status_code == 403
    assert 'href="/reports/"' not in portal.get("/").get_data(as_text=True)
