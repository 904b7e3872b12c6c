"""Guardians: search by name or any writing of a phone number, the guardian page, editing."""

import re

import pytest
import sqlalchemy as sa

from portal.models import AuditLog, Guardian, utcnow
from tests.factories import ClassFactory, GuardianFactory, StudentFactory, StudentGuardianFactory


def _audit(db, action):
    db.session.expire_all()
    return db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action)).all()


@pytest.fixture
def family(db, school):
    """Maya (+9779841234567, Asha's mother in 5A) and Ram (+9779851112222, opted out)."""
    asha = StudentFactory(
        school_class=ClassFactory(school=school, grade=5, section="A"), name="Asha Gurung"
    )
    maya = GuardianFactory(school=school, name="Maya Gurung", phone="+9779841234567")
    StudentGuardianFactory(student=asha, guardian=maya)
    ram = GuardianFactory(
        school=school, name="Ram Thapa", phone="+9779851112222", opted_out_at=utcnow()
    )
    return {"maya": maya, "ram": ram, "asha": asha}


def _text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    "q",
    [
        "maya",
        "9841234567",
        "984-123-4567",
        "+977 984 1234567",
        "00977 9841234567",
        "९८४१२३४५६७",
        "98412",
    ],
)
def test_search_finds_a_guardian_by_name_or_phone_however_written(admin_portal, family, q):
    page = _text(admin_portal.get("/guardians/", query_string={"q": q}))
    assert "Maya Gurung" in page
    assert "Ram Thapa" not in page


def test_list_shows_phone_language_and_children(login_as, portal, family):
    login_as("teacher")
    page = _text(portal.get("/guardians/"))
    assert "984-1234567" in page and "Nepali" in page
    assert "Asha Gurung" in page and "5A" in page


def test_search_as_you_type_returns_only_the_rows(admin_portal, family):
    response = admin_portal.get("/guardians/?q=ram", htmx=True)
    fragment = _text(response)
    assert "<html" not in fragment and "Ram Thapa" in fragment and "Maya" not in fragment
    page = _text(admin_portal.get("/guardians/?q=ram"))
    assert "<html" in page and '<div id="guardian-rows"' in page
    assert 'hx-target="#guardian-rows"' in page


def test_opted_out_filter(admin_portal, family):
    page = _text(admin_portal.get("/guardians/?status=opted_out"))
    assert "Ram Thapa" in page and "Maya Gurung" not in page


def test_pages_of_guardians(admin_portal, school):
    for n in range(27):
        GuardianFactory(school=school, name=f"Parent {n:02d}")
    first = _text(admin_portal.get("/guardians/"))
    assert first.count("Parent ") == 25 and "Page 1 of 2" in first
    second = _text(admin_portal.get("/guardians/?page=2", htmx=True))
    assert second.count("Parent ") == 2 and "<html" not in second


def test_guardian_page_shows_number_language_opt_out_and_children(login_as, portal, family):
    login_as("teacher")
    maya = _text(portal.get(f"/guardians/{family['maya'].id}"))
    assert "984-1234567" in maya and "+9779841234567" in maya
    assert "Asha Gurung" in maya and "5A" in maya
    assert "receives notices" in maya and "Edit" not in maya
    ram = _text(portal.get(f"/guardians/{family['ram'].id}"))
    assert "opted out" in ram and "START" in ram


def test_edit_form_offers_languages_as_words(admin_portal, family):
    page = _text(admin_portal.get(f"/guardians/{family['maya'].id}/edit"))
    assert '<option selected value="ne">Nepali</option>' in page
    assert '<option value="both">Nepali and English</option>' in page


def test_an_invalid_phone_is_explained_next_to_the_field(admin_portal, family, db):
    maya = family["maya"]
    response = admin_portal.post(
        f"/guardians/{maya.id}/edit", {"name": "Maya Gurung", "phone": "98412", "language": "en"}
    )
    page = _text(response)
    assert response.status_code == 422
    error = re.search(r'<p class="error" id="phone-error">([^<]*)</p>', page).group(1)
    assert "has too few or too many digits" in error
    assert 'value="98412"' in page
    db.session.refresh(maya)
    assert (maya.phone, maya.language) == ("+9779841234567", "ne")
    assert _audit(db, "guardian.update") == []


def test_another_guardians_number_is_a_field_error(admin_portal, family, db):
    maya = family["maya"]
    response = admin_portal.post(
        f"/guardians/{maya.id}/edit",
        {"name": "Maya Gurung", "phone": "9851112222", "language": "ne"},
    )
    assert response.status_code == 422
    assert "Ram Thapa, another guardian, already has this number." in _text(response)
    db.session.refresh(maya)
    assert maya.phone == "+9779841234567"


def test_a_new_number_is_saved_audited_and_shown(admin_portal, family, db):
    maya = family["maya"]
    response = admin_portal.post(
        f"/guardians/{maya.id}/edit",
        {"name": "Maya Gurung", "phone": "९८६ १२३ ४५६७", "language": "both"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/guardians/{maya.id}"
    page = _text(admin_portal.get(response.headers["Location"]))
    assert "986-1234567" in page and "Nepali and English" in page
    assert _audit(db, "guardian.update")[0].changes == {
        "phone": ["+9779841234567", "+9779861234567"],
        "language": ["ne", "both"],
    }


def test_keeping_the_same_number_is_fine(admin_portal, family, db):
    maya = family["maya"]
    response = admin_portal.post(
        f"/guardians/{maya.id}/edit",
        {"name": "Maya G.", "phone": "+9779841234567", "language": "ne"},
    )
    assert response.status_code == 302
    assert _audit(db, "guardian.update")[0].changes == {"name": ["Maya Gurung", "Maya G."]}


def test_deactivate_and_reactivate(admin_portal, family, db):
    maya = family["maya"]
    admin_portal.post(f"/guardians/{maya.id}/deactivate")
    assert "Maya" not in _text(admin_portal.get("/guardians/"))
    assert "Maya" in _text(admin_portal.get("/guardians/?status=inactive"))
    admin_portal.post(f"/guardians/{maya.id}/reactivate")
    db.session.refresh(maya)
    assert maya.active
    assert len(_audit(db, "guardian.deactivate")) == len(_audit(db, "guardian.reactivate")) == 1


def test_teachers_cannot_change_guardians(login_as, portal, family, db):
    maya = family["maya"]
    login_as("teacher")
    data = {"name": "X", "phone": "9861234567", "language": "en"}
    refused = [
        portal.get(f"/guardians/{maya.id}/edit"),
        portal.post(f"/guardians/{maya.id}/edit", data),
        portal.post(f"/guardians/{maya.id}/deactivate"),
        portal.post(f"/guardians/{maya.id}/reactivate"),
    ]
    assert [r.status_code for r in refused] == [403] * 4
    db.session.refresh(maya)
    assert (maya.name, maya.active) == ("Maya Gurung", True)


def test_nepali_readers_see_devanagari_phone_digits(login_as, portal, family):
    login_as("staff", language="ne")
    assert "९८४-१२३४५६७" in _text(portal.get(f"/guardians/{family['maya'].id}"))


def test_guardian_numbers_stay_unique_per_school_only(admin_portal, family, db):
    from tests.factories import SchoolFactory

    GuardianFactory(school=SchoolFactory(), phone="+9779861234567")
    response = admin_portal.post(
        f"/guardians/{family['maya'].id}/edit",
        {"name": "Maya Gurung", "phone": "9861234567", "language": "ne"},
    )
    assert response.status_code == 302
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Guardian)
            .where(Guardian.phone == "+9779861234567")
        )
        == 2
    )
