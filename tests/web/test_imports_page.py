"""The roster import page: upload, check or import, and a per-line report of every problem."""

import io

import pytest
import sqlalchemy as sa

from portal.models import AuditLog, Guardian, Student, utcnow
from tests.factories import UserFactory
from tests.helpers import FIXTURES as HELPER_FIXTURES

FIXTURES = HELPER_FIXTURES / "csv"


def upload(name: str, data: bytes | None = None, **fields) -> dict:
    data = (FIXTURES / name).read_bytes() if data is None else data
    return {"file": (io.BytesIO(data), name), **fields}


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_form_explains_the_file_and_offers_check_or_import(admin_portal):
    response = admin_portal.get("/imports/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    assert 'name="csrf_token"' in page
    assert ">Check only</button>" in page and ">Import</button>" in page
    assert "<code>phone</code>" in page and "<code>student_ne</code>" in page
    assert 'href="/imports/sample.csv"' in page


def test_a_good_file_is_imported_and_counted(db, admin_portal, admin):
    response = admin_portal.post("/imports/", upload("good.csv", save="y"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Imported 7 rows from good.csv." in page
    assert 'href="/students/"' in page
    assert '<th scope="row">Students</th><td class="num">6</td>' in page
    assert count(db, Student) == 6 and count(db, Guardian) == 6
    entry = db.session.scalar(sa.select(AuditLog))
    assert (entry.action, entry.user_id, entry.school_id) == (
        "roster.import",
        admin.id,
        admin.school_id,
    )


def test_importing_the_same_file_again_changes_nothing(db, admin_portal):
    admin_portal.post("/imports/", upload("good.csv", save="y"))
    page = admin_portal.post("/imports/", upload("good.csv", save="y")).get_data(as_text=True)
    counts = '<td class="num">0</td><td class="num">0</td><td class="num">6</td>'
    assert f'<th scope="row">Students</th>{counts}' in page
    assert count(db, Student) == 6


def test_without_the_import_button_nothing_is_written(db, admin_portal):
    response = admin_portal.post("/imports/", upload("good.csv"))
    assert "All 7 rows of good.csv are good." in response.get_data(as_text=True)
    assert count(db, Student) == 0


def test_check_only_reports_and_writes_nothing(db, admin_portal):
    response = admin_portal.post("/imports/", upload("good.csv", check="y"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "All 7 rows of good.csv are good." in page
    assert "Nothing has been imported yet" in page and "What the import will do" in page
    assert count(db, Student) == 0 and count(db, AuditLog) == 0


def test_a_bad_file_imports_nothing_and_lists_every_bad_line(db, admin_portal):
    response = admin_portal.post("/imports/", upload("bad.csv", save="y"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was imported." in page
    assert "7 lines of bad.csv have problems" in page
    assert '<td class="num">3</td><td><code>class</code></td>' in page
    assert "“5Z9” is not a class name like 5A, 10B, ५क, 5, LKG or UKG B." in page
    assert "“01-4412345” is a landline; WhatsApp needs a mobile number." in page
    assert "This phone number belongs to “Sita Sharma” on line 2." in page
    assert count(db, Student) == 0 and count(db, AuditLog) == 0


def test_the_report_is_in_the_users_language(db, portal, school):
    nepali = UserFactory(school=school, role="staff", language="ne")
    portal.login(nepali)
    page = portal.post("/imports/", upload("bad.csv", save="y")).get_data(as_text=True)
    assert '<html lang="ne">' in page
    assert '<td class="num">३</td>' in page and '<td class="num">९</td>' in page
    assert "कक्षा ५क को रोल नं. १" in page  # Nepali words, digits and class names


def test_a_file_that_is_not_utf8_is_explained(db, admin_portal):
    page = admin_portal.post("/imports/", upload("latin1.csv", save="y")).get_data(as_text=True)
    assert "The file is not UTF-8 text" in page


def test_a_long_report_is_cut_to_keep_the_page_small(db, admin_portal):
    rows = "".join(f"5A,{n},Student {n},Guardian {n},12345,ne\n" for n in range(1, 301))
    data = ("class,roll,student,guardian,phone,language\n" + rows).encode()
    response = admin_portal.post("/imports/", upload("many.csv", data, save="y"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Showing the first 200 of 300 problems." in page
    assert page.count('<tr><td class="num">') == 200


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"save": "y"}, "Choose the CSV file to import."),
        ({"file": (io.BytesIO(b"PK\x03\x04"), "roster.xlsx"), "save": "y"}, "Choose a .csv file"),
    ],
)
def test_a_missing_or_wrong_kind_of_file_is_refused(db, admin_portal, fields, message):
    response = admin_portal.post("/imports/", fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_a_file_over_5_mb_is_refused(db, admin_portal):
    body = b"--x\r\n" + b"a" * (5 * 1024 * 1024) + b"\r\n--x--\r\n"
    response = admin_portal.client.post(
        "/imports/", data=body, content_type="multipart/form-data; boundary=x"
    )
    assert response.status_code == 413
    assert "The file is too large" in response.get_data(as_text=True)
    assert count(db, Student) == 0


def test_staff_may_import(db, portal, school):
    portal.login(UserFactory(school=school, role="staff"))
    assert portal.post("/imports/", upload("good.csv", save="y")).status_code == 200
    assert count(db, Student) == 6


@pytest.mark.parametrize("method, url", [("get", "/imports/"), ("post", "/imports/"),
                                         ("get", "/imports/sample.csv")])  # fmt: skip
def test_teachers_get_403(db, portal, school, method, url):
    portal.login(UserFactory(school=school, role="teacher"))
    response = getattr(portal, method)(
        url, **({"data": upload("good.csv")} if method == "post" else {})
    )
    assert response.status_code == 403
    assert count(db, Student) == 0


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/imports/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_upload_without_csrf_token_is_refused(db, admin_portal):
    response = admin_portal.client.post(
        "/imports/", data=upload("good.csv", save="y"), headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    assert count(db, Student) == 0


def test_the_sample_file_downloads_and_imports_cleanly(db, admin_portal):
    response = admin_portal.get("/imports/sample.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    sample = response.data
    assert sample.startswith("\ufeffclass,roll,student".encode())
    page = admin_portal.post("/imports/", upload("sample.csv", sample, save="y"))
    assert page.status_code == 200 and count(db, Student) == 2


def test_the_report_says_whose_language_was_kept(db, admin_portal):
    row = b"class,roll,student,guardian,phone,language\n5A,1,Asha Rai,Sita Rai,9841234567,en\n"
    admin_portal.post("/imports/", upload("roster.csv", row, save="y"))
    guardian = db.session.scalars(sa.select(Guardian)).one()
    guardian.language, guardian.language_chosen_at = "ne", utcnow()  # replied NEPALI
    db.session.commit()
    page = admin_portal.post("/imports/", upload("roster.csv", row, save="y"))
    text = page.get_data(as_text=True)
    assert "1 guardian chose their language by replying on WhatsApp" in text
    assert "never changes a guardian's opt-out" in text
    db.session.expire_all()
    assert guardian.language == "ne"
