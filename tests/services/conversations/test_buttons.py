"""Buttons: a teacher's preview comes with YES and NO (हो / होइन) tied to its number, so a tap
on an older preview confirms that one, once; a long preview sends its sample first. Notices
carry Seen (बुझें): a tap marks that delivery acknowledged, once however often it comes,
answered with nothing, and shown in the teacher's STATUS and the API's counts."""

import pytest
import sqlalchemy as sa

from portal.models import Broadcast, Delivery, InboundMessage
from portal.services.broadcasting import delivery_counts
from portal.services.common import clock
from tests.factories import TeacherFactory


@pytest.fixture
def teacher(db, roster):
    classes = [roster["classes"]["5A"], roster["classes"]["5B"]]
    return TeacherFactory(school=roster["school"], language="en", classes=classes)


@pytest.fixture(autouse=True)
def no_pair_gap(monkeypatch):
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)


def drafts(db):
    return db.session.scalars(sa.select(Broadcast).order_by(Broadcast.id)).all()


def test_a_preview_arrives_with_yes_and_no_buttons_tied_to_its_number(
    db, roster, phones, teacher, say
):
    say(roster["school"], teacher.phone, "5A: Sports day on Friday.")
    [preview] = phones.to(teacher.phone)
    (draft,) = drafts(db)
    assert preview["kind"] == "interactive" and f"Preview #{draft.id}" in preview["body"]
    assert preview["buttons"] == [
        {"id": f"yes:{draft.id}", "title": "YES"},
        {"id": f"no:{draft.id}", "title": "NO"},
    ]


def test_a_nepali_teacher_gets_ho_and_hoina(db, roster, phones, say):
    nepali = TeacherFactory(
        school=roster["school"], language="ne", classes=[roster["classes"]["5A"]]
    )
    say(roster["school"], nepali.phone, "५क: शुक्रबार खेलकुद दिवस।")
    [preview] = phones.to(nepali.phone)
    assert [b["title"] for b in preview["buttons"]] == ["हो", "होइन"]


def test_yes_by_button_on_an_older_preview_sends_that_one_once(db, roster, phones, teacher, say):
    say(roster["school"], teacher.phone, "5A: First notice.")
    say(roster["school"], teacher.phone, "5B: Second notice.")
    older, newer = drafts(db)
    say(roster["school"], teacher.phone, "YES", tap=("reply", f"yes:{older.id}"))
    db.session.expire_all()
    assert (older.status, newer.status) != ("draft", "draft")
    assert older.status in ("sending", "completed") and newer.status == "draft"
    assert f"Sending #{older.id} now" in phones.to(teacher.phone)[-1]["body"]
    sent = {g: len(phones.to(p.phone)) for g, p in roster["guardians"].items()}
    # the tap comes again (Meta's retry is one thing; the teacher tapping again another)
    say(roster["school"], teacher.phone, "YES", tap=("reply", f"yes:{older.id}"))
    assert {g: len(phones.to(p.phone)) for g, p in roster["guardians"].items()} == sent
    assert (
        "is no longer waiting" in phones.to(teacher.phone)[-1]["body"]
        or "already" in (phones.to(teacher.phone)[-1]["body"])
    )
    say(roster["school"], teacher.phone, "NO", tap=("reply", f"no:{newer.id}"))
    db.session.expire_all()
    assert newer.status == "cancelled"


def test_a_preview_too_long_for_buttons_sends_what_parents_see_first(
    db, roster, phones, teacher, say
):
    say(roster["school"], teacher.phone, "5A: " + "Exam timetable, room and bus details. " * 30)
    first, second = phones.to(teacher.phone)
    assert first["kind"] == "text" and first["body"].startswith("Parents will see:")
    assert second["kind"] == "interactive" and len(second["body"]) <= 1024
    assert "Parents will see the message above." in second["body"]
    assert [b["title"] for b in second["buttons"]] == ["YES", "NO"]


def test_a_seen_tap_is_counted_once_and_answered_with_nothing(db, roster, phones, teacher, say):
    one = roster["guardians"]["one"]
    one.last_inbound_at = clock.now()  # inside the window: an interactive Seen button
    db.session.commit()
    say(roster["school"], teacher.phone, "5A: Parents' meeting on Friday.")
    say(roster["school"], teacher.phone, "YES")
    [notice] = phones.to(one.phone)
    delivery = db.session.scalar(sa.select(Delivery).where(Delivery.guardian_id == one.id))
    assert notice["buttons"] == [{"id": f"seen:{delivery.id}", "title": "Seen"}]
    tap = {"tap": ("reply", f"seen:{delivery.id}"), "context": notice["wamid"]}
    body = say(roster["school"], one.phone, "Seen", wamid="wamid.seen1", **tap)
    say(roster["school"], one.phone, "Seen", wamid="wamid.seen2", **tap)  # tapped again
    _post_again(say, body)  # and Meta redelivers the first
    db.session.expire_all()
    assert delivery.acknowledged_at is not None
    counts = delivery_counts.of_broadcast(delivery.broadcast_id)
    assert counts["acknowledged"] == 1
    assert len(phones.to(one.phone)) == 1  # no reply to a tap
    taps = db.session.scalars(sa.select(InboundMessage).where(InboundMessage.guardian_id == one.id))
    assert not any(m.in_inbox for m in taps)
    say(roster["school"], teacher.phone, f"STATUS {delivery.broadcast_id}")
    assert "seen 1" in phones.to(teacher.phone)[-1]["body"]


def synced(school, db):
    """The school's notice templates as a sync records them: approved, with their Seen
    quick reply as Meta holds it."""
    from portal.services.wording import template_texts, templates

    for lang in ("ne", "en"):
        shipped = template_texts.shipped("notice", lang)
        row = templates.new_row(school, shipped)
        row.approved, row.status, row.category = True, "APPROVED", "UTILITY"
        row.buttons = list(shipped.buttons)
    db.session.commit()


def test_a_quick_reply_tap_on_a_template_acknowledges_it(db, roster, phones, teacher, say):
    synced(roster["school"], db)
    say(roster["school"], teacher.phone, "5A: Holiday tomorrow.")
    say(roster["school"], teacher.phone, "YES")
    triple = roster["guardians"]["triple"]
    [notice] = phones.to(triple.phone)
    assert notice["kind"] == "template" and notice["template"] == "sandesh_notice_ne"
    [payload] = notice["quick_replies"]
    say(roster["school"], triple.phone, "बुझें", tap=("quick_reply", payload), context=notice["wamid"])
    delivery = db.session.scalar(sa.select(Delivery).where(Delivery.guardian_id == triple.id))
    assert delivery.acknowledged_at is not None


def test_a_tap_on_a_hand_made_template_without_a_payload_finds_its_message(
    db, roster, phones, teacher, say
):
    say(roster["school"], teacher.phone, "5A: Holiday tomorrow.")
    say(roster["school"], teacher.phone, "YES")
    one = roster["guardians"]["one"]
    [notice] = phones.to(one.phone)
    # Meta sends a quick reply's label as its payload when none was set
    say(roster["school"], one.phone, "Seen", tap=("quick_reply", "Seen"), context=notice["wamid"])
    delivery = db.session.scalar(sa.select(Delivery).where(Delivery.guardian_id == one.id))
    assert delivery.acknowledged_at is not None


def _post_again(say, body: bytes) -> None:
    """Post exactly these bytes again (Meta's at-least-once delivery)."""
    from flask import current_app

    from portal.whatsapp.signature import sign

    client = current_app.test_client()
    headers = {
        "X-Hub-Signature-256": sign(body, "test-app-secret"),
        "Content-Type": "application/json",
    }
    assert client.post("/webhooks/whatsapp", data=body, headers=headers).status_code == 200
