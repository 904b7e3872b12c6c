"""School settings for admins: names, WhatsApp number and token, quiet hours, teachers'
permissions, resuming after a pause, and the WhatsApp templates with their shipped wording."""

import datetime
import html
import re
import unicodedata

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from portal.config import PROJECT_ROOT
from portal.models import Alert, AuditLog, School, Template
from portal.services.broadcasting import broadcasts, dispatch
from portal.services.common import dates
from portal.services.common.secrets import decrypt, encrypt
from portal.services.delivery import alerts
from portal.services.media import files
from portal.services.media.refusals import MediaRefused
from portal.services.wording import template_readme, template_texts, templates
from portal.services.wording.template_texts import DEFAULT_TEMPLATES
from portal.whatsapp.template_requests import META_TEMPLATE_LANGUAGES
from tests import media_samples
from tests.factories import (
    ClassFactory,
    GuardianFactory,
    SchoolFactory,
    StudentFactory,
    StudentGuardianFactory,
)
from tests.helpers import make_broadcast

TOKEN = "EAAG-secret-token-4f9c2b7d1e"
STOP_LINES = {
    "en": "Reply STOP to stop these messages.",
    "ne": "यी सन्देशहरू रोक्न STOP वा बन्द लेखेर जवाफ दिनुहोस्।",
}


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _audit(db, action):
    db.session.expire_all()
    query = sa.select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
    return db.session.scalars(query).all()


def _school(db, school) -> School:
    db.session.expire_all()
    return db.session.get(School, school.id)


def _form(school, **values) -> dict:
    """The settings form as the page fills it for this school, with some values changed."""
    form = {
        "name": school.name,
        "name_ne": school.name_ne or "",
        "phone_number_id": school.phone_number_id or "",
        "access_token": "",
        "quiet_start": school.quiet_start.strftime("%H:%M"),
        "quiet_end": school.quiet_end.strftime("%H:%M"),
        "template_fallback_language": school.template_fallback_language,
        "long_notice_form": school.long_notice_form or "all",
    }
    if school.require_confirmation:
        form["require_confirmation"] = "y"
    if school.teachers_may_target_any:
        form["teachers_may_target_any"] = "y"
    form.update(values)
    return {name: value for name, value in form.items() if value is not None}


def _templates_form(**overrides) -> dict:
    """Every template name as shipped and approved, with some fields changed (None: left out)."""
    form = {}
    for purpose in DEFAULT_TEMPLATES:
        for lang in ("ne", "en"):
            form[f"{purpose}_{lang}_name"] = template_texts.shipped(purpose, lang).name
            form[f"{purpose}_{lang}_approved"] = "y"
    form.update(overrides)
    return {name: value for name, value in form.items() if value is not None}


# The settings page -------------------------------------------------------------------------


def test_admins_find_settings_in_the_nav_and_see_their_school(admin_portal, school):
    page = _text(admin_portal.get("/"))
    assert 'href="/settings/"' in page
    page = _text(admin_portal.get("/settings/"))
    assert school.name in page and school.name_ne in page
    assert f'value="{school.phone_number_id}"' in page
    assert "Access token: not set" in re.sub(r"<[^>]+>", "", page)
    assert "Sending is active." in page


@pytest.mark.parametrize("role", ["staff", "teacher"])
def test_staff_and_teachers_may_not_see_or_change_settings(portal, login_as, school, db, role):
    login_as(role)
    assert 'href="/settings/"' not in _text(portal.get("/"))
    for url in ("/settings/", "/settings/templates"):
        assert portal.get(url).status_code == 403
    for url in ("/settings/", "/settings/templates", "/settings/resume"):
        assert portal.post(url, _form(school, name="Taken Over")).status_code == 403
    assert _school(db, school).name != "Taken Over"
    assert db.session.scalars(sa.select(AuditLog)).all() == []


def test_an_admin_changes_every_setting_and_each_change_is_audited(admin_portal, admin, school, db):
    values = {
        "name": "Shree Jana Jyoti School",
        "name_ne": "श्री जन ज्योति विद्यालय",
        "phone_number_id": "109876543210987",
        "access_token": TOKEN,
        "quiet_start": "22:00",
        "quiet_end": "5:30",
        "require_confirmation": None,
        "teachers_may_target_any": "y",
        "template_fallback_language": "ne",
    }
    before = (school.name, school.name_ne, school.phone_number_id)
    response = admin_portal.post("/settings/", _form(school, **values))
    assert response.status_code == 302 and response.headers["Location"] == "/settings/"
    saved = _school(db, school)
    assert (saved.name, saved.name_ne, saved.phone_number_id) == (
        "Shree Jana Jyoti School",
        "श्री जन ज्योति विद्यालय",
        "109876543210987",
    )
    assert (saved.quiet_start, saved.quiet_end) == (datetime.time(22, 0), datetime.time(5, 30))
    assert (saved.require_confirmation, saved.teachers_may_target_any) == (False, True)
    assert saved.template_fallback_language == "ne"
    assert decrypt(saved.access_token_encrypted) == TOKEN

    (general,) = _audit(db, "settings.update")
    assert general.user_id == admin.id and general.school_id == school.id
    assert general.changes == {
        "name": [before[0], "Shree Jana Jyoti School"],
        "name_ne": [before[1], "श्री जन ज्योति विद्यालय"],
        "quiet_start": ["00:00", "22:00"],
        "quiet_end": ["00:00", "05:30"],
        "require_confirmation": [True, False],
        "teachers_may_target_any": [False, True],
        "template_fallback_language": ["en", "ne"],
    }
    (whatsapp,) = _audit(db, "whatsapp.update")
    assert whatsapp.changes == {
        "phone_number_id": [before[2], "109876543210987"],
        "access_token": [None, "(changed)"],
    }
    page = _text(admin_portal.get("/settings/"))
    assert "Settings saved." in page and "Access token: set" in re.sub(r"<[^>]+>", "", page)
    log = _text(admin_portal.get("/audit/"))
    assert "changed the school's settings" in log
    assert "changed the WhatsApp number or access token" in log
    assert "access token</span>: changed" in log and "(changed)" not in log
    assert "teachers confirm with YES</span>: <del>yes</del> → no" in log
    assert TOKEN not in page and TOKEN not in log


def test_saved_quiet_hours_hold_back_notices_but_not_emergencies(admin_portal, school, db):
    admin_portal.post("/settings/", _form(school, quiet_start="22:00", quiet_end="05:00"))
    saved = _school(db, school)
    late = datetime.datetime(2025, 11, 22, 23, 0, tzinfo=dates.NEPAL)
    assert broadcasts.in_quiet_hours(saved, late)
    assert broadcasts.after_quiet_hours(saved, late, "notice").astimezone(dates.NEPAL).hour == 5
    assert broadcasts.after_quiet_hours(saved, late, "emergency") == late


def test_the_same_start_and_end_means_no_quiet_hours(admin_portal, school, db):
    school.quiet_start = datetime.time(21, 0)
    db.session.commit()
    response = admin_portal.post("/settings/", _form(school, quiet_start="07:00", quiet_end="7:00"))
    assert response.status_code == 302
    saved = _school(db, school)
    assert saved.quiet_start == saved.quiet_end == datetime.time(7, 0)
    late = datetime.datetime(2025, 11, 22, 23, 0, tzinfo=dates.NEPAL)
    assert not broadcasts.in_quiet_hours(saved, late)
    assert "No quiet hours: every message goes out at once." in _text(
        admin_portal.get("/settings/")
    )


def test_times_may_be_typed_in_devanagari_digits(admin_portal, school, db):
    admin_portal.post("/settings/", _form(school, quiet_start="२१:३०", quiet_end="०६:००"))
    saved = _school(db, school)
    assert (saved.quiet_start, saved.quiet_end) == (datetime.time(21, 30), datetime.time(6, 0))


def test_an_admin_lowers_the_largest_photo_and_pdf_and_uploads_are_held_to_it(
    admin_portal, school, db, english
):
    page = _text(admin_portal.get("/settings/"))
    assert "Largest photo, in MB" in page and "Largest PDF, in MB" in page
    admin_portal.post("/settings/", _form(school, max_image_mb="१", max_document_mb="20"))
    saved = _school(db, school)
    assert (saved.max_image_bytes, saved.max_document_bytes) == (1024 * 1024, 20 * 1024 * 1024)
    [row] = _audit(db, "settings.update")
    assert row.changes == {"max_image_mb": [None, 1], "max_document_mb": [None, 20]}
    shown = _text(admin_portal.get("/settings/"))
    assert re.search(r'<input[^>]*name="max_image_mb"[^>]*value="1"', shown)  # shown again
    with pytest.raises(MediaRefused) as refused:
        files.accept(
            school=saved,
            data=media_samples.photo(),
            filename="sports-day.jpg",
            declared="image/jpeg",
            source="portal",
        )
    assert "at most 1 MB can be sent" in str(refused.value)
    admin_portal.post("/settings/", _form(school))  # blank: Meta's limits again
    assert files.limits(_school(db, school)) == (5 * 1024 * 1024, 100 * 1024 * 1024)


@pytest.mark.parametrize(
    ("field", "bad"), [("max_image_mb", "6"), ("max_image_mb", "0"), ("max_document_mb", "101")]
)
def test_a_limit_above_metas_is_a_field_error_and_nothing_is_saved(
    admin_portal, school, db, field, bad
):
    response = admin_portal.post("/settings/", _form(school, name="Changed", **{field: bad}))
    most = "5" if field == "max_image_mb" else "100"
    assert response.status_code == 422
    assert f"Choose from 1 to {most} MB (Meta's limit)." in _text(response)
    saved = _school(db, school)
    assert saved.name == school.name and saved.max_image_bytes is None
    assert saved.max_document_bytes is None


@pytest.mark.parametrize("bad", ["25:00", "21:60", "9pm", "", "21"])
def test_a_bad_quiet_hour_is_a_field_error_and_nothing_is_saved(admin_portal, school, db, bad):
    response = admin_portal.post("/settings/", _form(school, name="Changed Name", quiet_start=bad))
    page = _text(response)
    assert response.status_code == 422
    assert 'id="quiet_start-error"' in page and "Enter a time as HH:MM, such as 21:00." in page
    assert f'value="{bad}"' in page  # what was typed stays in the box
    assert _school(db, school).name == school.name
    assert _audit(db, "settings.update") == []


def test_a_phone_number_id_another_school_uses_is_a_field_error(admin_portal, school, db):
    SchoolFactory(phone_number_id="555000111")
    response = admin_portal.post(
        "/settings/",
        _form(school, name="Changed Name", phone_number_id="555000111", access_token=TOKEN),
    )
    page = _text(response)
    assert response.status_code == 422
    assert 'id="phone_number_id-error"' in page
    assert "Another school already uses this phone number ID." in page
    assert TOKEN not in page  # a typed token is never sent back
    saved = _school(db, school)
    assert (saved.name, saved.access_token_encrypted) == (school.name, None)
    assert _audit(db, "settings.update") == [] and _audit(db, "whatsapp.update") == []


def test_required_names_and_digits_only_number_ids(admin_portal, school, db):
    response = admin_portal.post(
        "/settings/",
        _form(school, name="  ", phone_number_id="12-34", template_fallback_language="fr"),
    )
    page = _text(response)
    assert response.status_code == 422
    assert "Enter the school's name." in page
    assert "Use the number Meta shows: digits only." in page
    assert 'id="template_fallback_language-error"' in page
    assert _school(db, school).name == school.name


# The access token --------------------------------------------------------------------------


def test_the_token_is_encrypted_at_rest(admin_portal, school, db):
    admin_portal.post("/settings/", _form(school, access_token=TOKEN))
    db.session.expire_all()
    stored = db.session.scalar(
        sa.select(School.access_token_encrypted).where(School.id == school.id)
    )
    assert stored and TOKEN not in stored
    assert decrypt(stored) == TOKEN


def test_a_blank_token_keeps_the_current_one(admin_portal, school, db):
    school.access_token_encrypted = encrypt(TOKEN)
    db.session.commit()
    stored = school.access_token_encrypted
    page = _text(admin_portal.get("/settings/"))
    assert TOKEN not in page and stored not in page
    response = admin_portal.post("/settings/", _form(school, access_token=""))
    assert response.status_code == 302
    assert _school(db, school).access_token_encrypted == stored
    assert _audit(db, "whatsapp.update") == []
    assert "Nothing changed." in _text(admin_portal.get("/settings/"))


def test_a_new_token_replaces_the_old_and_the_audit_masks_both(admin_portal, school, db):
    school.access_token_encrypted = encrypt("old-token-value")
    db.session.commit()
    admin_portal.post("/settings/", _form(school, access_token="new-token-value"))
    assert decrypt(_school(db, school).access_token_encrypted) == "new-token-value"
    (entry,) = _audit(db, "whatsapp.update")
    assert entry.changes == {"access_token": ["(set)", "(changed)"]}


def test_the_token_can_be_removed(admin_portal, school, db):
    school.access_token_encrypted = encrypt(TOKEN)
    db.session.commit()
    assert "Remove the access token" in _text(admin_portal.get("/settings/"))
    response = admin_portal.post("/settings/", _form(school, remove_token="y"))
    assert response.status_code == 302
    assert _school(db, school).access_token_encrypted is None
    (entry,) = _audit(db, "whatsapp.update")
    assert entry.changes == {"access_token": ["(set)", "(removed)"]}
    page = re.sub(r"<[^>]+>", "", _text(admin_portal.get("/settings/")))
    assert "Access token: not set" in page and "Remove the access token" not in page


def test_a_new_token_and_removing_it_at_once_is_refused(admin_portal, school, db):
    school.access_token_encrypted = encrypt(TOKEN)
    db.session.commit()
    response = admin_portal.post(
        "/settings/", _form(school, access_token="another-token", remove_token="y")
    )
    assert response.status_code == 422
    assert "Enter a new token or remove the token, not both." in _text(response)
    assert decrypt(_school(db, school).access_token_encrypted) == TOKEN


# Tenancy -----------------------------------------------------------------------------------


def test_another_schools_settings_are_never_shown(admin_portal, school, db):
    other = SchoolFactory(name="Bravo Academy", phone_number_id="999888777")
    other.access_token_encrypted = encrypt("bravo-token")
    other.sending_paused_at = datetime.datetime.now(datetime.UTC)
    other.paused_reason = "131048: bravo is paused"
    db.session.add(
        Template(
            school_id=other.id,
            purpose="notice",
            language="ne",
            meta_name="bravo_notice",
            params=["school", "students", "message"],
            approved=True,
        )
    )
    db.session.commit()
    settings_page = _text(admin_portal.get("/settings/"))
    templates_page = _text(admin_portal.get("/settings/templates"))
    for page in (settings_page, templates_page):
        assert "Bravo Academy" not in page and "999888777" not in page
        assert "bravo" not in page.lower()
    assert "Sending is active." in settings_page
    assert 'value="sandesh_notice"' in templates_page
    admin_portal.post("/settings/", _form(_school(db, school), name="Alpha School"))
    bravo = _school(db, other)
    assert (bravo.name, bravo.phone_number_id) == ("Bravo Academy", "999888777")


# Resuming after a pause --------------------------------------------------------------------


@pytest.fixture
def paused(school, db, recorder):
    """Two guardians waiting for a notice when Meta paused the school (code 131048)."""
    five = ClassFactory(school=school, grade=5, section="A")
    for roll, phone in ((1, "+9779841000001"), (2, "+9779841000002")):
        student = StudentFactory(school_class=five, roll=roll)
        guardian = GuardianFactory(school=school, phone=phone, language="en")
        StudentGuardianFactory(student=student, guardian=guardian)
    broadcast = make_broadcast(school, ["5A"])
    assert dispatch.claim(broadcast.id)
    dispatch.fan_out(broadcast)
    alerts.raise_for(school_id=school.id, code=131048, pause=True, details="spam rate limit")
    db.session.commit()
    return broadcast


def test_resume_sending_clears_the_pause_and_sends_what_waited(
    admin_portal, admin, school, paused, recorder, db
):
    page = _text(admin_portal.get("/settings/"))
    assert "Sending is paused since" in page and "131048: spam rate limit" in page
    assert "Resume sending" in page
    response = admin_portal.post("/settings/resume")
    assert response.status_code == 302 and response.headers["Location"] == "/settings/"
    saved = _school(db, school)
    assert (saved.sending_paused_at, saved.paused_reason) == (None, None)
    assert db.session.scalars(sa.select(Alert).where(Alert.resolved_at.is_(None))).all() == []
    (entry,) = _audit(db, "school.resume_sending")
    assert entry.user_id == admin.id
    assert entry.changes == {"paused_reason": ["131048: spam rate limit", None]}
    assert sorted(m["to"] for m in recorder.sent) == ["9779841000001", "9779841000002"]
    page = _text(admin_portal.get("/settings/"))
    assert "Sending resumed." in page and "Sending is active." in page
    assert "Resume sending" not in page


def test_resuming_a_school_that_is_not_paused_changes_nothing(admin_portal, school, db):
    response = admin_portal.post("/settings/resume", follow_redirects=True)
    assert "Sending is not paused." in _text(response)
    assert _audit(db, "school.resume_sending") == []


# Templates ---------------------------------------------------------------------------------


def test_the_templates_page_shows_the_shipped_names_parameters_and_wording(admin_portal):
    page = _text(admin_portal.get("/settings/templates"))
    assert 'href="/settings/templates"' in _text(admin_portal.get("/settings/"))
    for template in template_texts.all_shipped():
        prefix = f"{template.purpose}_{template.language}"
        assert f'name="{prefix}_name"' in page and f'value="{template.name}"' in page
        assert re.search(rf'checked id="{prefix}_approved"', page)
        assert template.body in page and template.wording in page
        for param in template.wording_params:
            assert "{{" + param + "}}" in page
    assert "Nothing saved yet" in page
    # Meta has no Nepali: Nepali readers get a template declared in English carrying it
    assert (
        "Parents who read Nepali get: <code>sandesh_notice_ne</code> (declared in English,"
        " carrying the Nepali text)" in page
    )
    assert "Parents who read English get: <code>sandesh_notice</code> (declared in English)" in page


def test_saved_template_names_are_what_sending_uses(admin_portal, admin, school, db):
    response = admin_portal.post(
        "/settings/templates",
        _templates_form(
            notice_ne_name="school_notice_ne_v2",
            homework_ne_approved=None,  # Meta has not approved Nepali homework yet
        ),
    )
    assert response.status_code == 302
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Template).where(Template.school_id == school.id)).all()
    assert len(rows) == 2 * len(DEFAULT_TEMPLATES)
    assert {(r.language, tuple(r.params)) for r in rows if r.purpose == "absence"} == {
        ("en", ("school", "students", "date")),
        ("ne", ("message",)),  # the Nepali wording travels in one parameter
    }
    saved = _school(db, school)
    chosen = templates.choose_template(saved, "notice", "ne")
    assert (chosen.name, chosen.language, chosen.reads) == ("school_notice_ne_v2", "en", "ne")
    assert templates.choose_template(saved, "notice", "en")[:3] == ("sandesh_notice", "en", "en")
    # Nepali homework is not approved: Nepali readers get the English one (the fallback)
    assert templates.choose_template(saved, "homework", "ne")[:3] == (
        "sandesh_homework",
        "en",
        "en",
    )
    (entry,) = _audit(db, "templates.update")
    assert entry.user_id == admin.id
    assert entry.changes == {
        "notice.ne.name": ["sandesh_notice_ne", "school_notice_ne_v2"],
        "homework.ne.approved": [True, False],
    }
    page = _text(admin_portal.get("/settings/templates"))
    assert "Templates saved." in page and 'value="school_notice_ne_v2"' in page
    assert not re.search(r'checked id="homework_ne_approved"', page)
    assert (
        "Parents who read Nepali get: <code>sandesh_homework</code> (declared in English)" in page
    )
    assert "fallback" in page
    assert "Nothing saved yet" not in page


def test_saving_unchanged_templates_audits_nothing(admin_portal, school, db):
    admin_portal.post("/settings/templates", _templates_form())
    assert _audit(db, "templates.update") == []
    saved = _school(db, school)
    chosen = templates.choose_template(saved, "absence", "ne")
    assert chosen == ("sandesh_absence_ne", "en", "ne", True, ())


@pytest.mark.parametrize(
    "bad",
    ["Sandesh_Notice", "sandesh-notice", "sandesh notice", "सूचना", "", "a" * 513],
)
def test_an_invalid_template_name_is_refused(admin_portal, school, db, bad):
    response = admin_portal.post(
        "/settings/templates", _templates_form(reminder_en_name=bad, notice_ne_name="fine_name")
    )
    page = _text(response)
    assert response.status_code == 422
    assert 'id="reminder_en_name-error"' in page
    assert 'id="notice_ne_name-error"' not in page
    assert db.session.scalars(sa.select(Template)).all() == []
    assert _audit(db, "templates.update") == []


# The shipped wording -----------------------------------------------------------------------


def _readme_section() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## WhatsApp templates\n")
    end = readme.find("\n## ", start)  # the blank line before the next section
    return readme[start : end if end != -1 else len(readme)]


def test_the_readme_prints_the_templates_exactly_as_the_code_has_them():
    assert _readme_section() == template_readme.readme_section(), (
        "README.md's WhatsApp templates section differs from"
        " portal/services/wording/template_texts.py;"
        " print it again with: .venv/bin/python -m portal.services.wording.template_texts"
    )
    section = _readme_section()
    assert f"```text\n{template_texts.CARRIER_BODY}\n```" in section
    for template in template_texts.all_shipped():
        assert f"```text\n{template.wording}\n```" in section
        assert f"`{template.name}`" in section


@pytest.mark.parametrize(
    "template", template_texts.all_shipped(), ids=lambda t: t.name + t.language
)
def test_each_shipped_template_is_one_meta_would_accept(template):
    used = re.findall(r"\{\{(\w+)\}\}", template.body)
    assert sorted(used) == sorted(template.params)  # each parameter exactly once
    assert re.fullmatch(r"[a-z0-9_]{1,512}", template.name)
    assert not template.body.startswith("{{") and not template.body.endswith("}}")
    assert not re.search(r"\}\}\s*\{\{", template.body)  # no two parameters side by side
    assert len(template.body) <= 1024 and "\t" not in template.body
    assert template.wording.endswith(STOP_LINES[template.language])
    assert all(template.examples.values())
    sample = template.sample()
    assert "{{" not in sample and template_texts.EXAMPLES[template.language]["school"] in sample
    # declared in a language Meta accepts (its supported-languages page has no Nepali)
    assert template.meta_language in META_TEMPLATE_LANGUAGES and "ne" not in META_TEMPLATE_LANGUAGES
    assert template.carries == (template.language == "ne")
    # a quick-reply label is at most 25 characters, words only
    letters = [unicodedata.category(ch)[0] for label in template.buttons for ch in label]
    assert all(0 < len(label) <= 25 for label in template.buttons) and set(letters) <= {"L", "M"}


def test_the_example_dates_are_how_sandesh_writes_dates(app):
    day = datetime.date(2025, 11, 22)
    with app.test_request_context():
        for lang in ("ne", "en"):
            with force_locale(lang):
                assert template_texts.EXAMPLES[lang]["date"] == dates.format_dual_date(day, lang)


def test_the_pages_read_in_nepali_for_a_nepali_admin(portal, login_as, school):
    login_as("admin", language="ne")
    settings_page = _text(portal.get("/settings/"))
    templates_page = _text(portal.get("/settings/templates"))
    assert '<html lang="ne">' in settings_page and '<html lang="ne">' in templates_page
    assert template_texts.shipped("notice", "ne").body in templates_page
    assert "Sending is active." not in settings_page  # translated, not left in English
