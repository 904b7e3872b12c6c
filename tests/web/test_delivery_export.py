"""A broadcast's deliveries as a spreadsheet, from the portal and the API: one row per
guardian with the values the broadcast's page shows, UTF-8 with a BOM, streamed in batches,
and no cell a spreadsheet would run as a formula."""

import csv
import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from portal.models import Delivery
from portal.services.accounts.tokens import create_api_token
from portal.services.broadcasting import delivery_export
from portal.services.common.spreadsheet import safe_cell
from tests.factories import (
    ClassFactory,
    GuardianFactory,
    SchoolFactory,
    StudentFactory,
    StudentGuardianFactory,
)
from tests.helpers import make_broadcast, start

HEADER = [
    "Guardian",
    "Phone or WhatsApp user ID",
    "Language",
    "Children and classes",
    "Status",
    "Seen",
    "Sent",
    "Delivered",
    "Read",
    "Seen at",
    "Failed",
    "Reason",
]
AT = datetime(2026, 12, 1, 4, 15, tzinfo=UTC)  # 10:00 in Nepal
NAMES = ['=HYPERLINK("http://x.example/","click")', "Anita Gurung", "राम शर्मा", "Anita Gurung"]


@pytest.fixture
def sent(db, school):
    """A notice to 5A's four guardians (two of the same name), then what Meta reported."""
    cls = ClassFactory(school=school, grade=5, section="A")
    for roll, (name, lang) in enumerate(zip(NAMES, ("en", "en", "ne", "both")), start=1):
        student = StudentFactory(school_class=cls, roll=roll, name=f"Child {roll}")
        guardian = GuardianFactory(school=school, name=name, language=lang)
        StudentGuardianFactory(student=student, guardian=guardian, school_id=school.id)
    broadcast = make_broadcast(school, ["5A"])
    start(broadcast)
    found = db.session.scalars(sa.select(Delivery).where(Delivery.broadcast_id == broadcast.id))
    by_name = sorted(found, key=lambda d: (d.guardian.name, d.id))
    formula, anita, anita_two, ram = by_name  # "=" sorts before letters, Devanagari after
    formula.status, formula.delivered_at = "delivered", AT
    anita.status, anita.read_at, anita.acknowledged_at = "read", AT, AT
    anita_two.status, anita_two.failed_at = "failed", AT
    anita_two.error_code, anita_two.error_reason = None, "+977 is not on WhatsApp"
    ram.status, ram.error_code, ram.failed_at = "failed", 131026, AT
    for delivery in by_name:
        delivery.accepted_at = AT
    db.session.commit()
    return broadcast, by_name


def _table(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _expected(delivery, status, reason="", seen="") -> list[str]:
    guardian = delivery.guardian
    language = {"en": "English", "ne": "Nepali", "both": "Nepali and English"}[guardian.language]
    roll = NAMES.index(guardian.name) + 1 if guardian.name != "Anita Gurung" else None
    child = f"Child {roll} (5A)" if roll else None
    stamp = "2026-12-01T10:00:00+05:45"
    return [
        guardian.name,
        "'" + guardian.phone,  # "+977…" would be a formula: kept as text
        language,
        child,
        status,
        seen,
        stamp,
        stamp if status == "Delivered" else "",
        stamp if status == "Read" else "",
        stamp if seen else "",
        stamp if status == "Failed" else "",
        reason,
    ]


def test_the_office_downloads_one_row_per_guardian_as_the_page_shows_it(admin_portal, sent):
    broadcast, (formula, anita, anita_two, ram) = sent
    page = admin_portal.get(f"/broadcasts/{broadcast.id}").get_data(as_text=True)
    assert f'href="/broadcasts/{broadcast.id}/deliveries.csv"' in page
    table = _table(admin_portal.get(f"/broadcasts/{broadcast.id}/deliveries.csv"))
    assert table[0] == HEADER and len(table) == 5
    rows = table[1:]
    # The formula is text (a leading quote), and so is a reason starting with "+".
    assert rows[0][0] == "'" + NAMES[0]
    assert rows[0][1:] == _expected(formula, "Delivered")[1:]
    children = {row[0]: row[3] for row in rows}
    assert children["राम शर्मा"] == "Child 3 (5A)"  # Nepali read back as written
    for row, delivery, want in (
        (rows[1], anita, _expected(anita, "Read", seen="yes")),
        (rows[2], anita_two, _expected(anita_two, "Failed", reason="'+977 is not on WhatsApp")),
        (rows[3], ram, _expected(ram, "Failed", reason="Not on WhatsApp, or the app is too old.")),
    ):
        assert row[:3] + row[4:] == want[:3] + want[4:], delivery.guardian.name
    assert {rows[1][3], rows[2][3]} == {"Child 2 (5A)", "Child 4 (5A)"}


def test_a_big_broadcast_streams_in_batches_with_every_guardian_once_in_order(
    admin_portal, sent, monkeypatch
):
    broadcast, by_name = sent
    monkeypatch.setattr(delivery_export, "BATCH", 1)  # a page per guardian, ties included
    response = admin_portal.get(f"/broadcasts/{broadcast.id}/deliveries.csv")
    assert response.is_streamed
    names = [row[0] for row in _table(response)[1:]]
    assert names == ["'" + NAMES[0], "Anita Gurung", "Anita Gurung", "राम शर्मा"]


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+977 984", "'+977 984"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("5A", "5A"),
        ("राम", "राम"),
        ("a=b", "a=b"),
        (None, ""),
        (3, "3"),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_kept_as_text(cell, shown):
    assert safe_cell(cell) == shown


def test_the_api_gives_the_same_file_with_the_schools_token(client, db, sent, english):
    broadcast, _ = sent
    _, token = create_api_token(school=broadcast.school)
    db.session.commit()
    url = f"/api/v1/broadcasts/{broadcast.id}/deliveries.csv"
    assert client.get(url).status_code == 401
    table = _table(client.get(url, headers={"Authorization": f"Bearer {token}"}))
    assert table[0] == HEADER and len(table) == 5
    assert table[1][0] == "'" + NAMES[0]


def test_another_schools_broadcast_is_not_found(admin_portal, client, db, sent):
    other = SchoolFactory()
    cls = ClassFactory(school=other, grade=5, section="A")
    StudentGuardianFactory(student=StudentFactory(school_class=cls), school_id=other.id)
    theirs = make_broadcast(other, ["5A"])
    assert admin_portal.get(f"/broadcasts/{theirs.id}/deliveries.csv").status_code == 404
    broadcast, _ = sent
    _, token = create_api_token(school=broadcast.school)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        client.get(f"/api/v1/broadcasts/{theirs.id}/deliveries.csv", headers=headers).status_code
        == 404
    )


def test_a_nepali_reader_gets_the_columns_and_statuses_in_nepali(portal, login_as, sent):
    broadcast, _ = sent
    login_as("admin", language="ne")
    table = _table(portal.get(f"/broadcasts/{broadcast.id}/deliveries.csv"))
    assert table[0][0] == "अभिभावक" and table[0] != HEADER
    assert table[1][4] != "Delivered" and table[1][2] == "अङ्ग्रेजी"
