"""The inbox: parents' replies, arriving through the signed webhook, handled by the office."""

import pytest
import sqlalchemy as sa

from portal.models import AuditLog, Delivery, InboundMessage
from portal.services.delivery.sending import sender_number
from portal.tasks.delivery import start_broadcast
from portal.whatsapp.sandbox import SandboxTransport
from portal.whatsapp.signature import sign
from tests.factories import (
    ClassFactory,
    GuardianFactory,
    SchoolFactory,
    StudentFactory,
    StudentGuardianFactory,
    UserFactory,
)
from tests.helpers import make_broadcast


@pytest.fixture
def family(school):
    """Sita Sharma, mother of Aarav (5A) and Bina (6B)."""
    sita = GuardianFactory(school=school, name="Sita Sharma", phone="+9779841000111")
    for grade, section, name in ((5, "A", "Aarav Sharma"), (6, "B", "Bina Sharma")):
        cls = ClassFactory(school=school, grade=grade, section=section)
        StudentGuardianFactory(student=StudentFactory(school_class=cls, name=name), guardian=sita)
    return sita


def write(client, school, phone: str, text: str, *, context: str | None = None) -> None:
    """What a parent's phone sends, signed as Meta signs it and posted to the webhook."""
    body = SandboxTransport().inbound_webhook(
        phone_number_id=sender_number(school), sender=phone, text=text, context_wamid=context
    )
    headers = {"X-Hub-Signature-256": sign(body, "test-app-secret")}
    response = client.post("/webhooks/whatsapp", data=body, headers=headers)
    assert response.status_code == 200


def only_reply(db) -> InboundMessage:
    db.session.expire_all()
    return db.session.scalars(sa.select(InboundMessage).where(InboundMessage.in_inbox)).one()


def test_a_parents_reply_appears_with_the_guardian_and_children(admin_portal, school, family):
    write(admin_portal.client, school, family.phone, "Is there school on Friday?\nThank you")

    page = admin_portal.get("/inbox/").get_data(as_text=True)

    assert "Is there school on Friday?\nThank you" in page
    assert "Sita Sharma" in page and f'href="/guardians/{family.id}"' in page
    assert "Aarav Sharma (5A)" in page and "Bina Sharma (6B)" in page
    assert "984-1000111" in page  # the number as people write it
    assert "Not handled: 1" in page and "Mark as handled" in page


def test_keywords_and_strangers_do_not_reach_the_inbox(admin_portal, school, family):
    write(admin_portal.client, school, family.phone, "STOP")
    write(admin_portal.client, school, "+9779800000999", "hello?")

    page = admin_portal.get("/inbox/?show=all").get_data(as_text=True)

    assert "No replies from parents yet." in page and "hello?" not in page


def test_a_reply_to_a_notice_links_the_broadcast(db, admin_portal, school, family):
    broadcast = make_broadcast(school, ["5A"], body_en="Sports day is on Friday.")
    start_broadcast.call_local(broadcast.id)
    wamid = db.session.scalar(sa.select(Delivery.wamid).where(Delivery.guardian_id == family.id))
    assert wamid

    write(admin_portal.client, school, family.phone, "Which uniform?", context=wamid)

    assert only_reply(db).broadcast_id == broadcast.id
    page = admin_portal.get("/inbox/").get_data(as_text=True)
    assert "In reply to:" in page
    assert f'href="/broadcasts/{broadcast.id}"' in page and "Sports day is on Friday." in page


def test_mark_as_handled_without_javascript(db, admin_portal, admin, school, family):
    write(admin_portal.client, school, family.phone, "My son is ill today.")
    message = only_reply(db)

    response = admin_portal.post(f"/inbox/{message.id}/handle")

    assert response.status_code == 302 and response.headers["Location"] == "/inbox/"
    handled = only_reply(db)
    assert handled.handled_at is not None and handled.handled_by_user_id == admin.id
    entry = db.session.scalars(sa.select(AuditLog)).one()
    assert (entry.action, entry.target_type, entry.target_id) == (
        "inbox.handle",
        "InboundMessage",
        message.id,
    )
    assert entry.changes == {"handled": [False, True]}
    unhandled = admin_portal.get("/inbox/").get_data(as_text=True)
    assert "My son is ill today." not in unhandled and "Every reply has been handled." in unhandled
    everything = admin_portal.get("/inbox/?show=all").get_data(as_text=True)
    assert "My son is ill today." in everything
    assert f"by {admin.name}" in everything and "Not handled: 0" in everything


def test_mark_as_handled_with_htmx_swaps_only_that_reply(db, login_as, portal, school, family):
    staff = login_as("staff")
    write(portal.client, school, family.phone, "Can we meet the teacher?")
    message = only_reply(db)

    response = portal.post(f"/inbox/{message.id}/handle", htmx=True)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<li class="reply handled" id="reply-{message.id}">')
    assert "<html" not in html and "Mark as handled" not in html
    assert f"by {staff.name}" in html and "Can we meet the teacher?" in html


def test_handling_twice_changes_nothing(db, admin_portal, school, family):
    write(admin_portal.client, school, family.phone, "Thanks")
    message = only_reply(db)
    admin_portal.post(f"/inbox/{message.id}/handle")
    first = only_reply(db).handled_at

    admin_portal.post(f"/inbox/{message.id}/handle")

    assert only_reply(db).handled_at == first
    assert db.session.scalar(sa.select(sa.func.count(AuditLog.id))) == 1


def test_newest_first_and_paginated(app, admin_portal, school, family):
    for n in range(app.config["PAGE_SIZE"] + 2):
        write(admin_portal.client, school, family.phone, f"Question number {n:02d}")

    first = admin_portal.get("/inbox/").get_data(as_text=True)
    second = admin_portal.get("/inbox/?page=2", htmx=True).get_data(as_text=True)

    last = app.config["PAGE_SIZE"] + 1
    assert first.index(f"Question number {last:02d}") < first.index("Question number 20")
    assert "Question number 00" not in first and "Page 1 of 2" in first
    assert "Question number 00" in second and "Question number 01" in second
    assert "<html" not in second


def test_a_teacher_reads_the_inbox_but_cannot_mark(db, login_as, portal, school, family):
    write(portal.client, school, family.phone, "When are the exams?")
    message = only_reply(db)
    login_as("teacher")

    page = portal.get("/inbox/").get_data(as_text=True)
    assert "When are the exams?" in page and "Mark as handled" not in page
    assert portal.post(f"/inbox/{message.id}/handle").status_code == 403
    assert only_reply(db).handled_at is None


def test_another_schools_reply_is_not_found(db, portal, school, family):
    write(portal.client, school, family.phone, "Private question")
    message = only_reply(db)
    portal.login(UserFactory(school=SchoolFactory(), role="admin"))

    assert "Private question" not in portal.get("/inbox/?show=all").get_data(as_text=True)
    assert portal.post(f"/inbox/{message.id}/handle").status_code == 404
    assert only_reply(db).handled_at is None


def test_the_inbox_is_in_the_navigation(admin_portal):
    page = admin_portal.get("/").get_data(as_text=True)
    assert 'href="/inbox/"' in page


def test_marking_needs_the_forms_csrf_token(db, admin_portal, school, family):
    write(admin_portal.client, school, family.phone, "Hello")
    message = only_reply(db)
    assert admin_portal.client.post(f"/inbox/{message.id}/handle").status_code == 400
    assert only_reply(db).handled_at is None
