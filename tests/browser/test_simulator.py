"""The phone simulator in a real browser: play a teacher who sends a notice and confirms it,
then the parent who receives it; parents' keywords and messages arriving while one watches;
the YES/NO buttons under a preview and Seen under a notice, tapped."""

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.services.waba import template_sync
from portal.services.waba.sandbox import SandboxGraph
from portal.tasks.delivery import start_broadcast
from portal.tasks.sandbox import review_templates
from tests.factories import (
    ClassFactory,
    GuardianFactory,
    StudentFactory,
    StudentGuardianFactory,
    TeacherFactory,
)
from tests.helpers import make_broadcast

pytestmark = pytest.mark.browser


@pytest.fixture
def five_a(school):
    """Class 5A with its teacher (English) and two children with their mothers."""
    cls = ClassFactory(school=school, grade=5, section="A")
    TeacherFactory(
        school=school, name="Ram Adhikari", phone="+9779851000101", language="en", classes=[cls]
    )
    for n, (child, mother) in enumerate(
        (("Aarav Sharma", "Sita Sharma"), ("Bina Thapa", "Gita Thapa")), start=1
    ):
        StudentGuardianFactory(
            student=StudentFactory(school_class=cls, name=child, roll=n),
            guardian=GuardianFactory(
                school=school, name=mother, phone=f"+977984100020{n}", language="en"
            ),
        )
    return cls


def open_phone(page, phone: str) -> None:
    """Choose a person on the simulator's first page, as an admin would."""
    page.goto("/")
    page.get_by_role("link", name="Phone simulator").click()
    page.get_by_label("A teacher or a guardian").select_option(phone)
    page.get_by_role("button", name="Open").first.click()
    page.wait_for_url(f"**/simulator/{phone.lstrip('+')}")


def test_a_teacher_sends_a_notice_and_a_parent_receives_it(page, sign_in, admin, five_a):
    sign_in(admin)
    open_phone(page, "+9779851000101")
    chat = page.locator("#chat")
    expect(page.locator(".phone-head")).to_contain_text("Ram Adhikari")

    page.get_by_label("Message").fill("5A: Tomorrow school is closed.")
    page.get_by_role("button", name="Send").click()

    expect(chat.locator(".msg.in .said")).to_have_text("5A: Tomorrow school is closed.")
    preview = chat.locator(".msg.out").last
    expect(preview).to_contain_text("Tomorrow school is closed.")
    expect(preview).to_contain_text("YES")

    page.get_by_role("button", name="YES", exact=True).click()
    expect(chat.locator(".msg.in .said").last).to_have_text("YES")

    open_phone(page, "+9779841000201")
    expect(page.locator(".phone-head")).to_contain_text("Sita Sharma")
    expect(page.locator("#chat .msg.out")).to_contain_text("Tomorrow school is closed.")


def test_a_parent_replies_stop_and_sees_the_confirmation(page, sign_in, admin, five_a):
    sign_in(admin)
    open_phone(page, "+9779841000202")
    expect(page.locator("#chat")).to_contain_text("No messages yet.")
    page.evaluate("window.sameDocument = true")

    page.get_by_role("button", name="STOP", exact=True).click()

    chat = page.locator("#chat")
    expect(chat.locator(".msg.in .said")).to_have_text("STOP")
    expect(chat.locator(".msg.out")).to_contain_text("You will no longer receive messages")
    expect(page.locator(".phone-head")).to_contain_text("opted out")
    assert page.evaluate("window.sameDocument"), "the page was reloaded, not updated in place"


def test_a_notice_appears_while_the_conversation_is_open(page, sign_in, admin, school, five_a):
    sign_in(admin)
    open_phone(page, "+9779841000201")
    expect(page.locator("#chat")).to_contain_text("No messages yet.")
    page.evaluate("window.sameDocument = true")

    notice = make_broadcast(school, ["5A"], body_en="Parents' meeting on *Friday*.")
    start_broadcast.call_local(notice.id)

    message = page.locator("#chat .msg.out")
    expect(message).to_contain_text("Parents' meeting on Friday.")
    expect(message.locator("strong")).to_have_text("Friday")
    assert page.evaluate("window.sameDocument"), "the page was reloaded, not updated in place"


def test_an_unknown_number_typed_in(page, sign_in, admin, five_a):
    sign_in(admin)
    page.goto("/simulator/")
    page.get_by_label("Or type any number").fill("980-0000555")
    page.get_by_role("button", name="Open").last.click()
    page.wait_for_url("**/simulator/9779800000555")

    page.get_by_label("Message").fill("Namaste, is this the school?")
    page.get_by_role("button", name="Send").click()

    chat = page.locator("#chat")
    expect(chat.locator(".msg.in .said")).to_have_text("Namaste, is this the school?")
    expect(chat.locator(".msg.out")).to_contain_text("This number is not registered with")
    expect(page.get_by_label("Message")).to_have_value("")


def test_two_notices_and_yes_with_the_older_s_number_sends_that_one(
    page, sign_in, admin, school, five_a, monkeypatch
):
    from portal.extensions import db
    from portal.models import Broadcast

    # the school's replies to one teacher follow each other within seconds here
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)
    five_b = ClassFactory(school=school, grade=5, section="B")
    TeacherFactory(
        school=school, name="Hari Rai", phone="+9779851000102", language="en",
        classes=[five_a, five_b],
    )  # fmt: skip
    StudentGuardianFactory(
        student=StudentFactory(school_class=five_b, name="Chiran KC", roll=1),
        guardian=GuardianFactory(school=school, name="Maya KC", phone="+9779841000301"),
    )
    sign_in(admin)
    open_phone(page, "+9779851000102")
    chat = page.locator("#chat")
    for text in ("5A: Picnic on Friday.", "5B: Exams start on Sunday."):
        page.get_by_label("Message").fill(text)
        page.get_by_role("button", name="Send").click()
        expect(chat.locator(".msg.in .said").last).to_have_text(text)
    db.session.expire_all()
    older, newer = db.session.query(Broadcast).order_by(Broadcast.id).all()
    expect(chat.locator(".msg.out").last).to_contain_text(f"Preview #{newer.id}")

    page.get_by_role("button", name="YES", exact=True).click()  # a plain YES: which one?
    expect(chat.locator(".msg.out").last).to_contain_text("You have 2 previews waiting")
    page.get_by_label("Message").fill(f"YES {older.id}")
    page.get_by_role("button", name="Send").click()
    expect(chat.locator(".msg.out").last).to_contain_text(f"Sending #{older.id} now")

    open_phone(page, "+9779841000201")  # a 5A mother: the picnic, once
    expect(page.locator("#chat .msg.out")).to_have_count(1)
    expect(page.locator("#chat .msg.out")).to_contain_text("Picnic on Friday.")
    open_phone(page, "+9779841000301")  # the 5B mother: nothing yet
    expect(page.locator("#chat")).to_contain_text("No messages yet.")


@pytest.fixture
def synced(app, school, monkeypatch):
    """The school's templates submitted to the sandbox's Meta and approved, as in the demo."""
    monkeypatch.setitem(app.config, "SANDBOX_TEMPLATE_REVIEW_SECONDS", 0)
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)
    school.waba_id = "102290129340398"
    template_sync.sync_templates(school=school, graph=SandboxGraph())
    db.session.commit()
    review_templates.call_local()
    return school


def test_buttons_a_teacher_taps_yes_and_a_parent_taps_seen(page, sign_in, admin, synced, five_a):
    sign_in(admin)
    open_phone(page, "+9779851000101")
    page.get_by_label("Message").fill("5A: Sports day on Friday.")
    page.get_by_role("button", name="Send").click()

    preview = page.locator("#chat .msg.out").last
    expect(preview).to_contain_text("Sports day on Friday.")
    expect(preview.get_by_role("button", name="Tap YES")).to_have_text("YES")
    expect(preview.get_by_role("button", name="Tap NO")).to_have_text("NO")
    page.evaluate("window.sameDocument = true")
    preview.get_by_role("button", name="Tap YES").click()
    chat = page.locator("#chat")
    expect(chat.locator(".msg.in .said").last).to_have_text("↩ YES")
    expect(chat.locator(".msg.out").last).to_contain_text("Sending #")
    assert page.evaluate("window.sameDocument"), "the page was reloaded, not updated in place"

    open_phone(page, "+9779841000201")
    notice = page.locator("#chat .msg.out").last
    expect(notice).to_contain_text("Sports day on Friday.")
    notice.get_by_role("button", name="Tap Seen").click()
    expect(page.locator("#chat .msg.in .said").last).to_have_text("↩ Seen")
    expect(page.locator("#chat .msg.out")).to_have_count(1)  # a tap on Seen is not answered
