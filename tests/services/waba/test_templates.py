"""The shipped templates, made and followed through Meta's API: submitted once (a second sync
submits nothing), approved by Meta's webhook and then sent; a rejected one raises an alert
and is not sent; one Meta re-categorises as MARKETING raises an alert and stops."""

import html

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Alert, Delivery, Template
from portal.services.delivery.reasons import NO_TEMPLATE
from portal.services.waba.template_sync import sync_templates
from portal.services.wording import template_texts
from portal.services.wording.templates import forget_cached
from portal.web.broadcast_labels import alert_text
from portal.whatsapp import template_requests
from portal.whatsapp.errors import GraphError
from portal.whatsapp.management import GraphManagement
from tests.conftest import META_TOKEN
from tests.factories import (
    ClassFactory,
    GuardianFactory,
    SchoolFactory,
    StudentFactory,
    StudentGuardianFactory,
)
from tests.helpers import make_broadcast, start
from tests.services.waba.conftest import APP_ID, WABA, fixture

ORDER = [(t.name, t.meta_language) for t in template_texts.all_shipped()]  # Nepali first
SHIPPED = set(ORDER)


@pytest.fixture
def school(db):
    """A school with its WhatsApp Business Account; parents reading Nepali and English,
    neither inside their 24-hour window."""
    school = SchoolFactory(waba_id=WABA, template_fallback_language="en")
    cls = ClassFactory(school=school, grade=5, section="A")
    for roll, lang in ((1, "ne"), (2, "en")):
        student = StudentFactory(school_class=cls, roll=roll, name=f"Child {roll}")
        guardian = GuardianFactory(school=school, language=lang, name=f"Parent {lang}")
        StudentGuardianFactory(student=student, guardian=guardian, school_id=school.id)
    return school


def rows(school) -> dict[tuple[str, str], Template]:
    db.session.expire_all()
    found = db.session.scalars(sa.select(Template).where(Template.school_id == school.id))
    return {(row.purpose, row.language): row for row in found}


def review(post_webhook, school, name, language, example, **value):
    """Meta's webhook about one template (its example, with this template's name and id)."""
    row = next(r for r in rows(school).values() if r.meta_name == name)
    body = fixture(
        example,
        entry_id=WABA,
        message_template_id=int(row.meta_id),
        message_template_name=name,
        message_template_language=language,
        **value,
    )
    post_webhook(body)
    forget_cached()


def approve_all(post_webhook, school):
    """Meta approves every template, Nepali readers' first (each approval lets the parents
    waiting for it go at once)."""
    for name, lang in ORDER:
        review(post_webhook, school, name, lang, "template_status_update_approved.json")


def test_a_sync_submits_every_shipped_template_once_and_a_second_submits_nothing(
    db, school, meta, graph
):
    report = sync_templates(school=school, graph=graph)
    db.session.commit()
    assert set(report.submitted) == SHIPPED and report.failed == []
    assert meta.stats()["templates_created"] == len(SHIPPED)
    carrier = meta.accounts.templates[(WABA, "sandesh_notice_ne", "en")]
    assert carrier["category"] == "UTILITY" and carrier["status"] == "PENDING"
    body, buttons = carrier["components"]
    assert body["text"] == template_texts.CARRIER_BODY
    [example] = body["example"]["body_text_named_params"]
    assert example["param_name"] == "message" and "तिहारका कारण" in example["example"]
    assert buttons == {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "बुझें"}]}
    english = meta.accounts.templates[(WABA, "sandesh_notice", "en")]["components"]
    assert [b["text"] for b in english[1]["buttons"]] == ["Seen"]
    # The photo and PDF notices' media header: a sample of each uploaded once, its handle
    # the header's example (Meta refuses a media header without one).
    uploads = {u["type"]: (h, u) for h, u in meta.accounts.handles.items()}
    assert set(uploads) == {"image/jpeg", "application/pdf"} and len(meta.accounts.handles) == 2
    assert all(u["app_id"] == APP_ID for _h, u in uploads.values())
    assert uploads["image/jpeg"][1]["body"][:3] == b"\xff\xd8\xff"  # a JPEG
    assert uploads["application/pdf"][1]["body"].startswith(b"%PDF-")
    for name, lang, mime in (
        ("sandesh_notice_image", "en", "image/jpeg"),
        ("sandesh_notice_image_ne", "en", "image/jpeg"),
        ("sandesh_notice_document_ne", "en", "application/pdf"),
    ):
        header = meta.accounts.templates[(WABA, name, lang)]["components"][0]
        media_format = "IMAGE" if mime == "image/jpeg" else "DOCUMENT"
        assert header == {
            "type": "HEADER",
            "format": media_format,
            "example": {"header_handle": [uploads[mime][0]]},
        }
    found = rows(school)
    assert len(found) == len(SHIPPED) and all(
        r.status == "PENDING" and r.meta_id for r in found.values()
    )
    assert not any(r.approved for r in found.values())  # nothing is sent before Meta approves
    again = sync_templates(school=school, graph=graph)
    db.session.commit()
    assert again.submitted == [] and set(again.found) == SHIPPED
    assert meta.stats()["templates_created"] == len(SHIPPED)
    assert len(meta.accounts.handles) == 2  # nothing to submit: no sample uploaded again


MEDIA = {(t.name, t.meta_language) for t in template_texts.all_shipped() if t.header}


def test_without_the_app_id_the_photo_and_pdf_templates_wait_with_what_to_do(db, school, meta):
    report = sync_templates(school=school, graph=GraphManagement(meta.url))
    db.session.commit()
    assert MEDIA and set(report.submitted) == SHIPPED - MEDIA
    assert {(name, lang) for name, lang, _why in report.failed} == MEDIA
    assert all("WHATSAPP_APP_ID" in why for _n, _l, why in report.failed)
    assert meta.accounts.handles == {}
    later = sync_templates(school=school, graph=GraphManagement(meta.url, app_id=APP_ID))
    db.session.commit()
    assert set(later.submitted) == MEDIA and later.failed == []  # set it, sync again: done


def test_meta_refuses_a_media_header_without_an_uploaded_sample(meta, graph):
    def definition(header=None):
        return template_requests.template_definition(
            name="sandesh_notice_image",
            language="en",
            body="Notice: {{message}} thanks",
            examples={"message": "x"},
            header=header,
        )

    bare = definition()
    no_example = bare | {"components": [{"type": "HEADER", "format": "IMAGE"}, *bare["components"]]}
    for refused in (definition(("IMAGE", "4::never-uploaded")), no_example):
        with pytest.raises(GraphError) as refusal:
            graph.create_template(waba_id=WABA, token=META_TOKEN, definition=refused)
        assert "header_handle" in refusal.value.explanation()
    data = b"\xff\xd8\xff" + b"0" * 97
    handle = graph.upload_sample(token=META_TOKEN, data=data, mime="image/jpeg", filename="a.jpg")
    assert meta.accounts.handles[handle]["body"] == data
    taken = graph.create_template(
        waba_id=WABA, token=META_TOKEN, definition=definition(("IMAGE", handle))
    )
    assert taken["status"] == "PENDING"


def test_a_sample_upload_meta_refuses_is_reported_for_each_template_that_needed_it(
    db, school, meta, graph, monkeypatch
):
    calls = []

    def refuse(**kwargs):
        calls.append(kwargs["mime"])
        raise GraphError(code=100, http_status=400, message="(#100) Invalid file type")

    monkeypatch.setattr(graph, "upload_sample", refuse)
    report = sync_templates(school=school, graph=graph)
    db.session.commit()
    assert sorted(calls) == ["application/pdf", "image/jpeg"]  # once a format, not a template
    assert {(name, lang) for name, lang, _why in report.failed} == MEDIA
    assert all("Invalid file type" in why for _n, _l, why in report.failed)
    assert set(report.submitted) == SHIPPED - MEDIA


def test_parents_wait_until_meta_approves_by_webhook_then_get_the_templates(
    db, school, meta, graph, post_webhook
):
    sync_templates(school=school, graph=graph)
    db.session.commit()
    broadcast = make_broadcast(school, ["5A"])
    start(broadcast)
    waiting = db.session.scalars(
        sa.select(Delivery).where(Delivery.broadcast_id == broadcast.id)
    ).all()
    assert {(d.status, d.error_reason) for d in waiting} == {("pending", NO_TEMPLATE)}
    assert meta.messages() == []
    (missing, *_) = db.session.scalars(sa.select(Alert).where(Alert.action == "template_missing"))
    assert "wait" in alert_text(missing)
    approve_all(post_webhook, school)  # the webhook wakes them: they go at once
    assert all(r.approved and r.status == "APPROVED" for r in rows(school).values())
    assert db.session.scalars(sa.select(Alert).where(Alert.resolved_at.is_(None))).all() == []
    sent = {m["to"]: m for m in meta.messages()}
    nepali, english = (sent[g.phone.lstrip("+")] for g in _guardians(school))
    assert (nepali["template"], nepali["language"]) == ("sandesh_notice_ne", "en")
    assert "भोलि विद्यालय बन्द छ" in nepali["params"]["message"]
    assert (english["template"], english["language"]) == ("sandesh_notice", "en")
    assert english["params"]["message"] == "School is closed tomorrow."
    ids = {d.guardian_id: d.id for d in _deliveries(broadcast)}
    assert nepali["quick_replies"] == [f"seen:{ids[_guardians(school)[0].id]}"]


def test_a_rejected_template_raises_an_alert_and_its_parents_get_the_fallback(
    db, school, meta, graph, post_webhook, portal, login_as
):
    sync_templates(school=school, graph=graph)
    db.session.commit()
    approve_all(post_webhook, school)
    review(
        post_webhook,
        school,
        "sandesh_notice_ne",
        "en",
        "template_status_update_rejected.json",
        message_template_category="UTILITY",
    )
    row = rows(school)[("notice", "ne")]
    assert (row.status, row.approved) == ("REJECTED", False)
    assert row.reason.startswith("INVALID_FORMAT — Your template has parameters")
    login_as("admin", language="en")
    dashboard = html.unescape(portal.get("/").get_data(as_text=True))
    assert (
        "Meta rejected the template sandesh_notice_ne for Nepali readers (INVALID_FORMAT"
        in dashboard
    )
    assert "Parents get the fallback language meanwhile." in dashboard
    start(make_broadcast(school, ["5A"]))
    nepali = meta.messages(to=_guardians(school)[0].phone)
    assert [(m["template"], m["language"]) for m in nepali] == [("sandesh_notice", "en")]


def test_a_template_meta_makes_marketing_raises_an_alert_and_is_no_longer_sent(
    db, school, meta, graph, post_webhook
):
    sync_templates(school=school, graph=graph)
    db.session.commit()
    approve_all(post_webhook, school)
    value = {"message_template_name": "sandesh_notice", "message_template_language": "en"}
    row_id = rows(school)[("notice", "en")].meta_id
    post_webhook(
        fixture(
            "template_category_update_impending.json",
            entry_id=WABA,
            message_template_id=int(row_id),
            **value,
        )
    )
    assert rows(school)[("notice", "en")].approved  # announced for tomorrow: still sent today
    (soon,) = db.session.scalars(sa.select(Alert).where(Alert.action == "template_recategorising"))
    assert "will make the template sandesh_notice" in alert_text(soon)
    post_webhook(
        fixture(
            "template_category_update_marketing.json",
            entry_id=WABA,
            message_template_id=int(row_id),
            **value,
        )
    )
    row = rows(school)[("notice", "en")]
    assert (row.category, row.approved) == ("MARKETING", False)
    (alert,) = db.session.scalars(sa.select(Alert).where(Alert.action == "template_marketing"))
    assert "Sandesh sends only Utility templates" in alert_text(alert)
    broadcast = make_broadcast(school, ["5A"])
    start(broadcast)
    english = next(d for d in _deliveries(broadcast) if d.guardian.language == "en")
    assert (english.status, english.error_reason) == ("pending", NO_TEMPLATE)  # waits, not failed
    assert meta.messages(to=english.guardian.phone) == []


def test_meta_writes_the_language_with_a_hyphen_and_sandesh_still_finds_the_template(
    db, school, meta, graph, post_webhook
):
    sync_templates(school=school, graph=graph)
    db.session.commit()
    row = rows(school)[("notice", "en")]
    # the webhook reference's example writes `en-US`; an `en_US` template is the same one
    row.meta_language, row.meta_name = "en_US", "order_confirmation"
    db.session.commit()
    post_webhook(
        fixture("template_status_update_approved.json", entry_id=WABA, message_template_id=1)
    )
    assert rows(school)[("notice", "en")].approved


def _guardians(school):
    from portal.models import Guardian

    query = (
        sa.select(Guardian)
        .where(Guardian.school_id == school.id)
        .order_by(Guardian.language.desc())
    )
    return db.session.scalars(query).all()


def _deliveries(broadcast):
    return db.session.scalars(
        sa.select(Delivery).where(Delivery.broadcast_id == broadcast.id)
    ).all()
