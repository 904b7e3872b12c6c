"""The operator adds a school and Sandesh checks its setup with Meta, step by step: the token,
the number's display name and quality rating, the messaging limit, the templates submitted,
and the webhook to paste into Meta's app; each step passed, or failed with Meta's own error."""

import html
import re

import sqlalchemy as sa

from portal.models import AuditLog, School, Template
from portal.services.wording import template_texts
from tests.conftest import META_TOKEN, WABA
from tests.factories import SchoolFactory

NUMBER = "106540352242922"
SHIPPED = len(template_texts.all_shipped())  # every purpose, for Nepali and English readers


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _step(page: str, name: str) -> str:
    found = re.search(rf'<li class="step (\w+)" id="step-{name}">(.*?)</li>', page, re.S)
    assert found, f"no step {name}"
    return found[1] + " " + re.sub(r"<[^>]+>", "", found[2])


def _form(**changes):
    form = {
        "slug": "janata",
        "name": "Shree Janata Secondary School",
        "name_ne": "श्री जनता माध्यमिक विद्यालय",
        "phone_number_id": NUMBER,
        "waba_id": WABA,
        "access_token": META_TOKEN,
        "portfolio": "own",
        "new_portfolio": "",
    }
    return form | changes


def test_adding_a_school_checks_each_step_with_meta(db, meta, portal, login_as):
    meta.configure(
        numbers={
            NUMBER: {
                "display_phone_number": "+977 1-4412345",
                "verified_name": "Shree Janata School",
                "quality_rating": "GREEN",
            }
        }
    )
    login_as("operator")
    assert "Add a school" in _text(portal.get("/schools/"))
    response = portal.post("/schools/new", _form())
    page = _text(response)
    assert response.status_code == 200
    assert _step(page, "token").startswith("ok ")
    assert "+977 1-4412345, shown as “Shree Janata School”; quality rating GREEN." in _step(
        page, "number"
    )
    assert "250 parents a day outside their 24-hour window (TIER_250)." in _step(page, "limit")
    assert _step(page, "templates").startswith("ok ") and f"Submitted {SHIPPED}," in page
    webhook = _step(page, "webhook")
    assert "http://localhost/webhooks/whatsapp" in webhook and "test-verify-token" in webhook
    school = db.session.scalar(sa.select(School).where(School.slug == "janata"))
    assert (school.waba_id, school.verified_name, school.messaging_tier) == (
        WABA,
        "Shree Janata School",
        "TIER_250",
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Template)) == SHIPPED
    assert meta.stats()["templates_created"] == SHIPPED
    again = _text(portal.post(f"/schools/{school.id}/check"))
    assert f"Submitted 0, already at Meta {SHIPPED}," in _step(again, "templates")
    assert meta.stats()["templates_created"] == SHIPPED
    actions = [a for (a,) in db.session.execute(sa.select(AuditLog.action))]
    assert "school.create" in actions and "templates.sync" in actions


def test_a_token_meta_refuses_shows_metas_own_error(db, meta, portal, login_as):
    meta.configure(numbers={NUMBER: {"display_phone_number": "+977 1-4412345"}})
    login_as("operator")
    page = _text(portal.post("/schools/new", _form(access_token="EAAG-not-the-token")))
    token = _step(page, "token")
    assert (
        token.startswith("bad ")
        and "(190) Invalid OAuth access token - Cannot parse access token" in token
    )
    assert _step(page, "templates").startswith("todo ")
    assert db.session.scalar(sa.select(School).where(School.slug == "janata")) is not None


def test_an_unknown_number_is_metas_error_too(db, meta, portal, login_as):
    login_as("operator")
    page = _text(portal.post("/schools/new", _form()))
    assert "Object with ID '106540352242922' does not exist" in _step(page, "token")


def test_the_form_refuses_what_cannot_be_a_school(db, meta, portal, login_as):
    SchoolFactory(slug="janata")
    login_as("operator")
    response = portal.post("/schools/new", _form(phone_number_id="not digits"))
    assert response.status_code == 422
    assert "digits only" in _text(response)
    response = portal.post("/schools/new", _form())
    assert response.status_code == 422 and "A school with the slug “janata” exists." in _text(
        response
    )


def test_schools_grouped_in_a_portfolio_share_its_limit(db, meta, portal, login_as):
    first = SchoolFactory(messaging_tier="TIER_2K")
    second = SchoolFactory(messaging_tier="TIER_250")
    login_as("operator")
    portal.post(
        f"/schools/{first.id}/portfolio", {"portfolio": "new", "new_portfolio": "Janata group"}
    )
    page = _text(portal.get(f"/schools/{second.id}"))
    assert "Janata group" in page
    group = re.search(r'<option value="(\d+)">Janata group</option>', page)[1]
    portal.post(f"/schools/{second.id}/portfolio", {"portfolio": group, "new_portfolio": ""})
    db.session.expire_all()
    assert first.portfolio_id == second.portfolio_id is not None
    assert first.messaging_tier == second.messaging_tier == "TIER_250"  # the safe one
    assert "Shares its messaging limit with:" in _text(portal.get(f"/schools/{first.id}"))


def test_school_admins_cannot_add_schools(db, portal, login_as):
    login_as("admin")
    assert portal.get("/schools/new").status_code == 403
    assert portal.post("/schools/new", _form()).status_code == 403
