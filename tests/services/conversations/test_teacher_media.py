"""A teacher sends the exam routine as a photo or PDF from WhatsApp: the caption is the
command, the file is downloaded from the Graph API at once, the preview names it, YES sends it
to every guardian of the class with one upload; an uncaptioned photo asks for the classes;
files that cannot go are refused in the teacher's language and nothing is sent or kept."""

import json

import pytest
import sqlalchemy as sa

from portal.models import Broadcast, InboundMessage, MediaBlob, MediaFile
from portal.services.common import clock
from portal.whatsapp.signature import sign
from tests import media_samples
from tests.factories import TeacherFactory
from tests.services.conversations.conftest import SECRET, inbound_body

_counter = iter(range(1, 10**9))


@pytest.fixture
def teacher(db, roster):
    classes = [roster["classes"]["5A"], roster["classes"]["5B"]]
    return TeacherFactory(school=roster["school"], language="en", classes=classes)


@pytest.fixture(autouse=True)
def no_pair_gap(monkeypatch):
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)


@pytest.fixture
def send_file(client, phones):
    """Post a media message from `sender` as Meta would: the file waits in the fake Graph
    API under a media id, and the webhook carries its id, type, base64 sha256 and caption
    (Meta's "Image messages webhook reference" and "Document messages webhook reference")."""

    def send(
        school,
        sender,
        data,
        mime_type,
        *,
        kind="image",
        caption=None,
        filename=None,
        with_url=False,
        **lies,
    ):
        stored = phones.fake.media.add(data, mime_type, filename=filename, **lies)
        doc = json.loads(inbound_body(school, sender, "x"))
        message = doc["entry"][0]["changes"][0]["value"]["messages"][0]
        del message["text"]
        message["id"] = f"wamid.media{next(_counter)}"
        message["type"] = kind
        message[kind] = phones.fake.media.webhook_object(stored, caption=caption, with_url=with_url)
        body = json.dumps(doc).encode()
        response = client.post(
            "/webhooks/whatsapp",
            data=body,
            headers={"X-Hub-Signature-256": sign(body, SECRET), "Content-Type": "application/json"},
        )
        assert response.status_code == 200
        return stored

    return send


def replies_to(phones, teacher):
    return [m["body"] for m in phones.to(teacher.phone)]


def counts(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_captioned_photo_is_previewed_with_its_name_and_size_then_yes_sends_it_to_the_class(
    db, roster, phones, teacher, say, send_file
):
    g = roster["guardians"]
    g["one"].last_inbound_at = clock.now()
    db.session.commit()
    send_file(
        roster["school"],
        teacher.phone,
        media_samples.photo(),
        "image/jpeg",
        caption="5A: Exam routine for next week || अर्को हप्ताको परीक्षा तालिका",
    )
    assert phones.fake.media.downloads  # fetched at once
    [preview] = replies_to(phones, teacher)
    assert "Preview #1" in preview and "Parents: 3" in preview
    assert "Attached: photo “photo.jpg”," in preview and "KB" in preview
    assert "Exam routine for next week" in preview
    assert not phones.fake.messages(to=g["one"].phone)
    say(roster["school"], teacher.phone, "YES")
    assert "Sending #1" in replies_to(phones, teacher)[-1]
    assert len(phones.fake.media.uploads) == 1  # one upload for the whole broadcast
    [inside] = phones.fake.messages(to=g["one"].phone)
    assert inside["type"] == "image" and "Exam routine for next week" in inside["body"]
    assert "अर्को हप्ताको" not in inside["body"]
    [outside] = phones.fake.messages(to=g["both"].phone)
    assert outside["template"] == "sandesh_notice_image_ne"  # Nepali, carried
    assert "अर्को हप्ताको परीक्षा तालिका" in outside["params"]["message"]
    assert "Exam routine" not in outside["params"]["message"]
    media_ids = {m["media"]["id"] for m in phones.fake.messages() if m["media"]}
    assert media_ids == {phones.fake.media.uploads[0]["id"]}
    assert phones.fake.messages(to=g["sixth"].phone) == []
    assert counts(db, MediaFile) == 1


def test_a_pdf_preview_names_the_file_its_pages_and_size(
    db, roster, phones, teacher, say, send_file
):
    send_file(
        roster["school"],
        teacher.phone,
        media_samples.pdf(pages=3),
        "application/pdf",
        kind="document",
        filename="Exam routine.pdf",
        caption="5B: Exam routine",
        with_url=True,
    )
    [preview] = replies_to(phones, teacher)
    assert "Attached: PDF “Exam routine.pdf”, 3 pages," in preview
    say(roster["school"], teacher.phone, "YES")
    sent = [m for m in phones.fake.messages() if m["media"]]
    assert len(sent) == 2
    assert {m["media"]["kind"] for m in sent} == {"document"}
    assert {m["media"]["filename"] for m in sent} == {"Exam routine.pdf"}
    assert len(phones.fake.media.uploads) == 1


def test_a_photo_without_caption_asks_for_the_classes_and_the_next_text_is_its_caption(
    db, roster, phones, teacher, say, send_file
):
    send_file(roster["school"], teacher.phone, media_samples.small_photo(), "image/jpeg")
    [ask] = replies_to(phones, teacher)
    assert "Which classes is it for?" in ask and "5A: Exam routine" in ask
    assert counts(db, Broadcast) == 0
    say(roster["school"], teacher.phone, "5A: Sports day photos")
    preview = replies_to(phones, teacher)[-1]
    assert "Attached: photo" in preview and "Sports day photos" in preview
    say(roster["school"], teacher.phone, "YES")
    sent = phones.fake.messages(to=roster["guardians"]["one"].phone)
    assert len(sent) == 1 and sent[0]["media"]["kind"] == "image"
    broadcast = db.session.scalars(sa.select(Broadcast)).one()
    assert broadcast.media_file_id is not None and broadcast.body_en == "Sports day photos"


def test_a_text_long_after_an_uncaptioned_photo_is_a_notice_of_its_own(
    db, roster, phones, teacher, say, send_file, frozen_clock
):
    send_file(roster["school"], teacher.phone, media_samples.small_photo(), "image/jpeg")
    frozen_clock.advance(minutes=11)
    say(roster["school"], teacher.phone, "5A: Bring umbrellas")
    broadcast = db.session.scalars(sa.select(Broadcast)).one()
    assert broadcast.media_file_id is None
    assert "Attached" not in replies_to(phones, teacher)[-1]


@pytest.mark.parametrize(
    ("data", "mime_type", "kind", "reason"),
    [
        (media_samples.exe_named_jpg(), "image/jpeg", "image", "not what its type says"),
        (media_samples.corrupt_jpeg(), "image/jpeg", "image", "the file is damaged"),
        (media_samples.pdf(script=True), "application/pdf", "document", "contains a script"),
        (media_samples.pdf_with_launch(), "application/pdf", "document", "automatic action"),
        (b"PK\x03\x04" + b"\0" * 300, "application/zip", "document", "Only photos"),
    ],
    ids=["exe-as-jpeg", "corrupt-jpeg", "pdf-javascript", "pdf-launch", "zip"],
)
def test_a_bad_file_is_refused_clearly_and_nothing_is_sent_or_kept(
    db, roster, phones, teacher, say, send_file, data, mime_type, kind, reason
):
    send_file(
        roster["school"],
        teacher.phone,
        data,
        mime_type,
        kind=kind,
        filename="routine.pdf" if kind == "document" else None,
        caption="5A: Routine",
    )
    [reply] = replies_to(phones, teacher)
    assert reason in reply and "Nothing was sent." in reply
    assert counts(db, Broadcast) == 0
    assert counts(db, MediaFile) == 0 and counts(db, MediaBlob) == 0
    say(roster["school"], teacher.phone, "YES")  # there is nothing to confirm
    assert not [m for m in phones.fake.messages() if m["recipient"] != teacher.phone[1:]]


def test_a_photo_too_large_for_the_school_is_refused_before_it_is_downloaded(
    db, roster, phones, teacher, send_file
):
    roster["school"].max_image_bytes = 1024 * 1024
    db.session.commit()
    send_file(
        roster["school"], teacher.phone, media_samples.photo(), "image/jpeg", caption="5A: Routine"
    )
    [reply] = replies_to(phones, teacher)
    assert "at most 1 MB can be sent" in reply
    assert phones.fake.media.downloads == []


def test_a_200_mb_video_a_voice_note_and_a_sticker_are_refused_without_downloading(
    db, roster, phones, teacher, send_file
):
    send_file(
        roster["school"],
        teacher.phone,
        b"\0" * 1000,
        "video/mp4",
        kind="video",
        caption="5A: Sports day",
        declared_size=200 * 1024 * 1024,
    )
    send_file(roster["school"], teacher.phone, b"OggS" + b"\0" * 100, "audio/ogg", kind="audio")
    send_file(roster["school"], teacher.phone, b"RIFF" + b"\0" * 100, "image/webp", kind="sticker")
    answers = replies_to(phones, teacher)
    assert len(answers) == 3
    assert all("only a photo or a PDF" in a and "Nothing was sent." in a for a in answers)
    assert phones.fake.media.downloads == []
    assert counts(db, MediaFile) == 0


def test_a_checksum_that_does_not_match_is_refused(db, roster, phones, teacher, send_file):
    stored = send_file(
        roster["school"],
        teacher.phone,
        media_samples.small_photo(),
        "image/jpeg",
        caption="5A: Routine",
        declared_sha256="0" * 64,
    )
    assert stored.media_id
    # the webhook's own base64 checksum matched the bytes: only the endpoint's hex lied,
    # and the webhook's wins; a webhook whose checksum lies is refused
    [reply] = replies_to(phones, teacher)
    assert "Preview" in reply


def test_the_teachers_nepali_refusal_is_in_nepali(db, roster, phones, teacher, send_file):
    teacher.language = "ne"
    db.session.commit()
    send_file(roster["school"], teacher.phone, b"OggS" + b"\0" * 100, "audio/ogg", kind="audio")
    [reply] = replies_to(phones, teacher)
    assert "केही पनि पठाइएन" in reply


def test_an_inbound_photo_of_a_parent_is_kept_for_the_inbox(db, roster, phones, send_file):
    parent = roster["guardians"]["one"]
    send_file(
        roster["school"],
        parent.phone,
        media_samples.small_photo(),
        "image/jpeg",
        caption="Signed slip",
    )
    message = db.session.scalars(sa.select(InboundMessage)).one()
    assert message.in_inbox and message.text == "Signed slip"
    assert message.media_file.kind == "image" and message.media_file.source == "guardian"


def test_the_inbox_shows_a_parents_photo_and_a_voice_note_is_named(
    db, roster, phones, send_file, login_as, portal
):
    parent = roster["guardians"]["one"]
    send_file(
        roster["school"],
        parent.phone,
        media_samples.small_photo(),
        "image/jpeg",
        caption="Signed slip",
    )
    send_file(roster["school"], parent.phone, b"OggS" + b"\0" * 100, "audio/ogg", kind="audio")
    login_as("admin", school=roster["school"])
    page = portal.get("/inbox/").get_data(as_text=True)
    media = db.session.scalars(sa.select(MediaFile)).one()
    assert f'src="/media/{media.id}/thumb"' in page and "Signed slip" in page
    assert "voice note, sticker or video" in page


def test_a_download_whose_task_was_lost_is_fetched_by_the_sweeper(
    db, roster, phones, teacher, send_file, monkeypatch, frozen_clock
):
    from portal.tasks.sweeper import sweep

    with monkeypatch.context() as patch:
        patch.setattr("portal.tasks.events.start_confirmed", lambda: None)  # a lost wake-up
        send_file(
            roster["school"],
            teacher.phone,
            media_samples.small_photo(),
            "image/jpeg",
            caption="5A: Routine",
        )
    assert replies_to(phones, teacher) == [] and phones.fake.media.downloads == []
    frozen_clock.advance(minutes=2)
    assert sweep.call_local()["files_fetched"] == 0  # not yet: its task may still be running
    frozen_clock.advance(minutes=4)
    assert sweep.call_local()["files_fetched"] == 1
    assert "Attached: photo" in replies_to(phones, teacher)[-1]
    assert sweep.call_local()["files_fetched"] == 0  # kept now: nothing more to fetch
