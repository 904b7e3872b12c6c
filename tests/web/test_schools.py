"""The operator's list of schools."""

import pytest

from tests.factories import ClassFactory, GuardianFactory, SchoolFactory, StudentFactory


def test_operator_sees_every_school_with_counts_and_whatsapp_state(login_as, portal, db):
    ready = SchoolFactory(name="Ready School", phone_number_id="1234567890")
    SchoolFactory(name="New School", phone_number_id=None)
    school_class = ClassFactory(school=ready)
    StudentFactory(school_class=school_class)
    StudentFactory(school_class=school_class)
    StudentFactory(school_class=school_class, active=False)
    GuardianFactory(school=ready)
    login_as("operator")
    page = portal.get("/schools/").get_data(as_text=True)
    ready_row = page[page.index("Ready School") :].split("</tr>")[0]
    new_row = page[page.index("New School") :].split("</tr>")[0]
    assert '<td class="num">2</td><td class="num">1</td>' in ready_row
    assert "configured" in ready_row and "not configured" not in ready_row
    assert "not configured" in new_row and '<td class="num">0</td>' in new_row


def test_operators_land_on_the_schools_page(login_as, portal):
    login_as("operator")
    response = portal.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/schools/"


@pytest.mark.parametrize("role", ["admin", "staff", "teacher"])
def test_school_users_are_refused(login_as, portal, role):
    login_as(role)
    assert portal.get("/schools/").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/schools/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_operators_have_no_school_pages(login_as, portal):
    login_as("operator")
    assert portal.get("/students/").status_code == 403
