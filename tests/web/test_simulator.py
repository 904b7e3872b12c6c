"""The phone simulator: a person played from the portal writes through the real webhook and
sees the school's answers, in sandbox mode only and for admins only."""

import re

import pytest
import sqlalchemy as sa

from portal.models import Delivery, Guardian, InboundMessage, SandboxMessage, WebhookEvent
from portal.services.waba import template_sync
from portal.services.waba.sandbox import SandboxGraph
from portal.services.wording import template_texts
from portal.tasks.delivery import start_broadcast
from portal.tasks.sandbox import review_templates, sandbox_status
from tests.conftest import Portal
from tests.factories import (
    ClassFactory,
    GuardianFactory,
    SchoolFactory,
    StudentFactory,
    StudentGuardianFactory,
    TeacherFactory,
    UserFactory,
)
from tests.helpers import make_broadcast

SITA = "9779841000222"  # a guardian of 5A, English
STRANGER = "9779800000777"


@pytest.fixture
def sita(school):
    five_a = ClassFactory(school=school, grade=5, section="A")
    guardian = GuardianFactory(school=school, name="Sita Sharma", phone="+" + SITA, language="en")
    StudentGuardianFactory(
        student=StudentFactory(school_class=five_a, name="Aarav Sharma"), guardian=guardian
    )
    return guardian


def conversation(portal, phone: str) -> str:
    response = portal.get(f"/simulator/{phone}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def bubbles(html: str, direction: str) -> list[str]:
    """The texts of the messages in one direction, as shown."""
    pattern = rf'<li class="msg {direction}">.*?<span class="said">(.*?)</span>'
    return re.findall(pattern, html, flags=re.S)


def test_a_guardian_sends_stop_and_sees_the_confirmation(db, admin_portal, sita):
    response = admin_portal.post(f"/simulator/{SITA}", {"text": "STOP"})

    assert response.status_code == 302 and response.headers["Location"] == f"/simulator/{SITA}"
    db.session.expire_all()
    assert db.session.get(Guardian, sita.id).opted_out_at is not None
    event = db.session.scalars(sa.select(WebhookEvent)).one()
    assert event.status == "processed"  # it went through the real webhook
    html = conversation(admin_portal, SITA)
    assert bubbles(html, "in") == ["STOP"]
    [confirmation] = bubbles(html, "out")
    assert "You will no longer receive messages" in confirmation and "START" in confirmation
    assert "Sita Sharma" in html and "Aarav Sharma (5A)" in html and "opted out" in html


def test_with_htmx_sending_returns_the_phone_with_the_answer(admin_portal, sita):
    response = admin_portal.post(f"/simulator/{SITA}", {"text": "Is Friday a holiday?"}, htmx=True)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="phone"') and "<html" not in html
    assert bubbles(html, "in") == ["Is Friday a holiday?"]
    [ack] = bubbles(html, "out")
    assert "has received your message" in ack
    assert (
        '<textarea id="text" name="text"' in html and "Is Friday a holiday?</textarea>" not in html
    )


def test_a_teacher_sends_a_notice_confirms_it_and_the_parent_receives_it(db, admin_portal, sita):
    five_a = sita.links[0].student.school_class
    TeacherFactory(school=sita.school, phone="+9779851000001", language="en", classes=[five_a])
    teacher = "9779851000001"

    admin_portal.post(f"/simulator/{teacher}", {"text": "5A: Tomorrow school is closed."})

    [preview] = bubbles(conversation(admin_portal, teacher), "out")
    assert "Tomorrow school is closed." in preview and "Reply YES to send" in preview
    assert bubbles(conversation(admin_portal, SITA), "out") == []
    admin_portal.post(f"/simulator/{teacher}", {"text": "YES"})
    [notice] = bubbles(conversation(admin_portal, SITA), "out")
    assert "Tomorrow school is closed." in notice and "Aarav Sharma (5A)" in notice


def test_an_unknown_number_gets_one_bilingual_reply_a_day(db, admin_portal, school):
    admin_portal.post(f"/simulator/{STRANGER}", {"text": "Hello"})
    admin_portal.post(f"/simulator/{STRANGER}", {"text": "Hello again?"})

    html = conversation(admin_portal, STRANGER)
    assert bubbles(html, "in") == ["Hello", "Hello again?"]
    [reply] = bubbles(html, "out")
    assert "This number is not registered with" in reply
    assert re.search("[\u0900-\u097f]", reply), "the reply has no Nepali"
    assert "Unknown number" in html and "Not registered with the school" in html
    count = sa.select(sa.func.count(SandboxMessage.id)).where(SandboxMessage.direction == "out")
    assert db.session.scalar(count) == 1


def test_a_guardians_reply_to_a_notice_reaches_the_inbox_with_it(db, admin_portal, school, sita):
    broadcast = make_broadcast(school, ["5A"], body_en="Sports day is on *Friday*.")
    start_broadcast.call_local(broadcast.id)
    html = conversation(admin_portal, SITA)
    assert "Template sandesh_notice" in html  # outside the 24-hour window: as parents read it
    assert "Notice from Shree Test School" in html and "for Aarav Sharma (5A):" in html
    assert "Sports day is on <strong>Friday</strong>." in html
    notice = db.session.scalar(sa.select(SandboxMessage).where(SandboxMessage.peer == SITA))
    assert f'href="/simulator/{SITA}?reply_to={notice.id}"' in html

    replying = conversation(admin_portal, f"{SITA}?reply_to={notice.id}")
    assert "Replying to:" in replying and f'name="reply_to" value="{notice.id}"' in replying
    admin_portal.post(f"/simulator/{SITA}", {"text": "Which uniform?", "reply_to": notice.id})

    message = db.session.scalars(sa.select(InboundMessage)).one()
    assert message.in_inbox and message.broadcast_id == broadcast.id
    assert f'href="/broadcasts/{broadcast.id}"' in admin_portal.get("/inbox/").get_data(True)


def test_ticks_follow_the_delivery_status(db, admin_portal, school, sita):
    start_broadcast.call_local(make_broadcast(school, ["5A"]).id)
    delivery = db.session.scalars(sa.select(Delivery)).one()
    assert '<span class="vh">Waiting</span>' in conversation(admin_portal, SITA)

    for status, ticks in (
        ("sent", '<span class="ticks sent" aria-hidden="true">✓</span><span class="vh">Sent'),
        ("delivered", '<span class="ticks delivered" aria-hidden="true">✓✓</span>'),
        ("read", '<span class="ticks read" aria-hidden="true">✓✓</span>'),
    ):
        sandbox_status.call_local(delivery.id, status)  # the sandbox's status webhook
        html = conversation(admin_portal, SITA).replace("\n", "")
        assert ticks in html, status


def test_the_polled_fragment_is_small_and_204_while_nothing_changes(db, admin_portal, school, sita):
    start_broadcast.call_local(
        make_broadcast(school, ["5A"], body_en="Exams start Sunday. " * 8).id
    )
    for n in range(8):
        admin_portal.post(f"/simulator/{SITA}", {"text": f"Question {n}: what should we bring?"})
    html = conversation(admin_portal, SITA)
    seen = re.search(r'hx-get="(/simulator/\d+/chat\?seen=\w+)"', html).group(1)

    unchanged = admin_portal.get(seen, htmx=True)
    assert unchanged.status_code == 204 and unchanged.data == b""

    admin_portal.post(f"/simulator/{SITA}", {"text": "One more"})
    fragment = admin_portal.get(seen, htmx=True)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "One more" in body
    assert body.lstrip().startswith('<div id="chat"') and 'hx-trigger="every 2s"' in body
    assert len(fragment.data) < 8 * 1024, f"{len(fragment.data)} bytes"


def test_message_text_is_escaped_and_keeps_its_lines(admin_portal, school):
    admin_portal.post(f"/simulator/{STRANGER}", {"text": "<b>hi</b>\nsecond line"})
    html = conversation(admin_portal, STRANGER)
    assert '<span class="said">&lt;b&gt;hi&lt;/b&gt;\nsecond line</span>' in html


def test_an_empty_message_is_refused(admin_portal, sita):
    response = admin_portal.post(f"/simulator/{SITA}", {"text": "   "})
    assert response.status_code == 422
    assert "Write a message first." in response.get_data(as_text=True)
    too_long = admin_portal.post(f"/simulator/{SITA}", {"text": "x" * 4097})
    assert too_long.status_code == 422
    assert "WhatsApp allows at most 4,096 characters." in too_long.get_data(as_text=True)


def test_a_webhook_refusal_is_shown(app, admin_portal, sita, monkeypatch):
    monkeypatch.setitem(app.config, "WHATSAPP_APP_SECRET", "")
    response = admin_portal.post(f"/simulator/{SITA}", {"text": "Hello"})
    assert response.status_code == 502
    assert "The webhook did not accept the message (HTTP 401)." in response.get_data(True)


def test_choosing_a_person_lists_teachers_first_then_guardians_by_class(admin_portal, school, sita):
    TeacherFactory(school=school, name="Ram Adhikari", phone="+9779851000001")
    html = admin_portal.get("/simulator/").get_data(as_text=True)
    teacher = html.index('<option value="+9779851000001">Ram Adhikari')
    assert teacher < html.index('<optgroup label="Guardians of 5A">')
    assert '<option value="+9779841000222">Sita Sharma (Aarav Sharma)' in html

    chosen = admin_portal.get("/simulator/?phone=%2B9779851000001")
    assert chosen.headers["Location"] == "/simulator/9779851000001"
    teacher_page = conversation(admin_portal, "9779851000001")
    for word in ("HELP", "YES", "NO"):
        assert f'<button name="text" value="{word}">' in teacher_page
    guardian_page = conversation(admin_portal, SITA)
    for word in ("STOP", "START", "NEPALI", "ENGLISH"):
        assert f'<button name="text" value="{word}">' in guardian_page


def test_any_number_can_be_typed(admin_portal, school):
    typed = admin_portal.get("/simulator/?phone=980-0000777")
    assert typed.status_code == 302 and typed.headers["Location"] == f"/simulator/{STRANGER}"
    wrong = admin_portal.get("/simulator/?phone=12345")
    assert wrong.status_code == 422
    assert "has too few or too many digits" in wrong.get_data(as_text=True)
    assert admin_portal.get("/simulator/not-a-number").status_code == 404


def test_another_schools_messages_are_not_shown(app, admin_portal, school, sita):
    admin_portal.post(f"/simulator/{SITA}", {"text": "Private question"})
    other = Portal(app.test_client())
    other.login(UserFactory(school=SchoolFactory(), role="admin"))
    html = conversation(other, SITA)
    assert "Private question" not in html and "Sita Sharma" not in html


@pytest.mark.parametrize("role", ["staff", "teacher"])
def test_only_admins(login_as, portal, role):
    login_as(role)
    assert portal.get("/simulator/").status_code == 403
    assert portal.get(f"/simulator/{SITA}").status_code == 403
    assert portal.get(f"/simulator/{SITA}/chat").status_code == 403
    assert portal.post(f"/simulator/{SITA}", {"text": "STOP"}).status_code == 403
    assert "Phone simulator" not in portal.get("/").get_data(as_text=True)


def test_not_found_with_the_cloud_api(app, admin_portal, monkeypatch):
    assert "Phone simulator" in admin_portal.get("/").get_data(as_text=True)
    monkeypatch.setitem(app.config, "WHATSAPP_TRANSPORT", "cloud")
    assert admin_portal.get("/simulator/").status_code == 404
    assert admin_portal.get(f"/simulator/{SITA}").status_code == 404
    assert admin_portal.post(f"/simulator/{SITA}", {"text": "STOP"}).status_code == 404
    assert "Phone simulator" not in admin_portal.get("/").get_data(as_text=True)


def test_sending_needs_the_forms_csrf_token(db, admin_portal, sita):
    response = admin_portal.client.post(f"/simulator/{SITA}", data={"text": "STOP"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(SandboxMessage.id))) == 0


@pytest.fixture
def no_pair_gap(monkeypatch):
    """Answers to one phone a moment apart go at once (the pair gap is tested elsewhere)."""
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)


@pytest.fixture
def synced(db, app, school, monkeypatch):
    """The school's templates submitted to the sandbox's Meta and approved by its webhook,
    as the demo does (only synced templates carry the Seen button)."""
    monkeypatch.setitem(app.config, "SANDBOX_TEMPLATE_REVIEW_SECONDS", 0)
    school.waba_id = "102290129340398"
    template_sync.sync_templates(school=school, graph=SandboxGraph())
    db.session.commit()
    assert review_templates.call_local() == len(template_texts.all_shipped())
    return school


def tap(portal, phone: str, title: str):
    """Tap the button with this title under the newest message that has it."""
    html = conversation(portal, phone)
    forms = re.findall(
        r'<form method="post" action="/simulator/\d+/tap".*?name="message_id" value="(\d+)">'
        r"(.*?)</form>",
        html,
        flags=re.S,
    )
    for message_id, buttons in reversed(forms):
        titles = re.findall(r'<button name="index" value="(\d+)"[^>]*>([^<]*)</button>', buttons)
        for index, shown in titles:
            if shown == title:
                return portal.post(
                    f"/simulator/{phone}/tap", {"message_id": message_id, "index": index}
                )
    raise AssertionError(f"no {title} button in {html}")


def buttons_shown(html: str) -> list[str]:
    return re.findall(
        r'<button name="index" value="\d+" aria-label="Tap [^"]*">([^<]*)</button>', html
    )


def test_a_teacher_taps_yes_under_the_preview_and_the_parent_taps_seen(
    db, admin_portal, synced, sita, no_pair_gap
):
    five_a = sita.links[0].student.school_class
    TeacherFactory(school=sita.school, phone="+9779851000001", language="en", classes=[five_a])
    teacher = "9779851000001"
    admin_portal.post(f"/simulator/{teacher}", {"text": "5A: Tomorrow school is closed."})
    assert buttons_shown(conversation(admin_portal, teacher)) == ["YES", "NO"]

    assert tap(admin_portal, teacher, "YES").status_code == 302
    teacher_sees = conversation(admin_portal, teacher)
    assert bubbles(teacher_sees, "in")[-1] == "↩ YES"
    assert bubbles(teacher_sees, "out")[-1].startswith("Sending #1 now")
    html = conversation(admin_portal, SITA)
    [notice] = bubbles(html, "out")
    assert "Tomorrow school is closed." in notice and buttons_shown(html) == ["Seen"]
    [delivery] = db.session.scalars(sa.select(Delivery).where(Delivery.guardian_id == sita.id))
    assert delivery.acknowledged_at is None

    tap(admin_portal, SITA, "Seen")
    db.session.expire_all()
    assert db.session.get(Delivery, delivery.id).acknowledged_at is not None
    html = conversation(admin_portal, SITA)
    assert bubbles(html, "in") == ["↩ Seen"] and len(bubbles(html, "out")) == 1  # no answer
    tap(admin_portal, SITA, "Seen")  # a second tap counts nothing twice and is not answered
    assert len(bubbles(conversation(admin_portal, SITA), "out")) == 1


def test_a_tap_on_no_under_the_preview_discards_it(db, admin_portal, sita, no_pair_gap):
    five_a = sita.links[0].student.school_class
    TeacherFactory(school=sita.school, phone="+9779851000001", language="en", classes=[five_a])
    teacher = "9779851000001"
    admin_portal.post(f"/simulator/{teacher}", {"text": "5A: Tomorrow school is closed."})
    tap(admin_portal, teacher, "NO")
    assert bubbles(conversation(admin_portal, SITA), "out") == []
    assert (
        bubbles(conversation(admin_portal, teacher), "out")[-1] == "Discarded #1. Nothing was sent."
    )


def test_playing_meta_raising_the_limit_goes_through_the_webhook(db, admin_portal, school):
    school.waba_id, school.messaging_tier = "102290129340398", "TIER_250"
    db.session.commit()
    page = admin_portal.get("/simulator/").get_data(as_text=True)
    assert "This school's limit: 250 parents a day" in page
    response = admin_portal.post("/simulator/limit", {"tier": "TIER_2K"})
    assert response.status_code == 302
    page = admin_portal.get("/simulator/").get_data(as_text=True)
    assert "Meta raised the limit: 2,000 parents a day" in page
    db.session.expire_all()
    assert db.session.get(type(school), school.id).messaging_tier == "TIER_2K"
    event = db.session.scalars(sa.select(WebhookEvent)).one()
    assert event.status == "processed"
    assert admin_portal.post("/simulator/limit", {"tier": "TIER_50"}).status_code == 404
