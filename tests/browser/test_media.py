"""A photo notice in a real browser: compose with a photo attached, see its small preview,
send, see the thumbnail on the broadcast's page and the photo on a parent's phone in the
simulator (sandbox: the bytes the sandbox kept)."""

import time

import pytest
from playwright.sync_api import expect

from tests import media_samples
from tests.factories import ClassFactory, GuardianFactory, StudentFactory, StudentGuardianFactory

pytestmark = pytest.mark.browser
SITA = "+9779841000301"


@pytest.fixture
def five_a(school):
    cls = ClassFactory(school=school, grade=5, section="A")
    StudentGuardianFactory(
        student=StudentFactory(school_class=cls, name="Aarav Sharma", roll=1),
        guardian=GuardianFactory(school=school, name="Sita Sharma", phone=SITA, language="en"),
    )
    return cls


def loaded(image, timeout: float = 10) -> bool:
    """Whether the browser fetched and decoded the picture within `timeout` seconds (it is
    visible, sized by its width and height, before its bytes have all arrived)."""
    deadline = time.monotonic() + timeout
    while not image.evaluate("img => img.complete && img.naturalWidth > 0"):
        if time.monotonic() > deadline:
            return False
        image.page.wait_for_timeout(20)
    return True


def test_compose_with_a_photo_preview_send_and_see_it_on_the_parents_phone(
    page, sign_in, admin, five_a
):
    sign_in(admin)
    page.goto("/broadcasts/new")
    page.check('input[name=targets][value="5A"]')
    page.get_by_label("Message in English").fill("Sports day photos")
    page.set_input_files(
        "input[name=attachment]",
        files=[
            {
                "name": "sports-day.jpg",
                "mimeType": "image/jpeg",
                "buffer": media_samples.photo(2400, 1800),
            }
        ],
    )
    page.get_by_role("button", name="Preview").click()
    thumb = page.locator("#preview .attachment img")
    expect(thumb).to_be_visible()
    assert loaded(thumb)
    expect(page.locator("#preview")).to_contain_text("sports-day.jpg")
    expect(page.locator("#preview")).to_contain_text("1 guardian will receive it.")

    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/broadcasts/*")
    shown = page.locator(".attached .attachment img")
    expect(shown).to_be_visible()
    assert loaded(shown)
    expect(page.locator("main")).to_contain_text("Sports day photos")

    page.goto(f"/simulator/{SITA.lstrip('+')}")
    photo = page.locator("#chat .msg.out img.bubble-media")
    expect(photo).to_be_visible()
    assert loaded(photo)
    expect(page.locator("#chat .msg.out")).to_contain_text("Sports day photos")
