"""A photo or PDF reaches every guardian of the class once, uploaded once for the whole
broadcast: inside the 24-hour window as an image or document with the caption in the
guardian's language, outside it as the media template; an expired media id is uploaded again."""

import sqlalchemy as sa

from portal.models import Delivery, DeliveryStatus, MediaBlob, MediaFile, MediaUpload
from portal.services.common import clock
from portal.services.media import files
from portal.tasks.delivery import start_broadcast
from tests import media_samples
from tests.helpers import make_broadcast, run_senders


def open_windows(db, roster, *names):
    for name in names or roster["guardians"]:
        roster["guardians"][name].last_inbound_at = clock.now()
    db.session.commit()


def a_photo(school, data=None, name="routine.jpg"):
    media = files.accept(
        school=school,
        data=data or media_samples.photo(1600, 1200),
        filename=name,
        declared="image/jpeg",
        source="portal",
    )
    return media


def send(broadcast) -> None:
    start_broadcast.call_local(broadcast.id)
    for _ in range(20):
        if not run_senders():
            break


def statuses(db):
    return sorted(db.session.scalars(sa.select(Delivery.status)).all())


def test_a_photo_goes_to_every_guardian_as_one_image_message_with_their_language_caption(
    db, roster, graph
):
    open_windows(db, roster)
    photo = a_photo(roster["school"])
    db.session.commit()
    broadcast = make_broadcast(
        roster["school"],
        ["5A"],
        body_en="Exam routine",
        body_ne="परीक्षा तालिका",
        media_file_id=photo.id,
    )
    send(broadcast)
    guardians = roster["guardians"]
    assert len(graph.media.uploads) == 1  # one upload for the whole broadcast
    media_id = graph.media.uploads[0]["id"]
    assert graph.media.uploads[0]["sha256"] == photo.sha256
    for name, lang_words, other in [
        ("one", "Exam routine", "परीक्षा तालिका"),
        ("both", "परीक्षा तालिका", "Exam routine"),
    ]:
        [message] = graph.messages(to=guardians[name].phone)
        assert message["type"] == "image"
        assert message["media"]["id"] == media_id
        assert lang_words in message["body"] and other not in message["body"]
        assert roster["school"].display_name("en" if name == "one" else "ne") in message["body"]
    assert "Reply STOP" in graph.messages(to=guardians["one"].phone)[0]["body"]
    [triple] = graph.messages(to=guardians["triple"].phone)
    assert "Exam routine" in triple["body"] and "परीक्षा तालिका" in triple["body"]
    assert graph.messages(to=guardians["sixth"].phone) == []
    assert statuses(db) == [DeliveryStatus.ACCEPTED] * 3
    assert db.session.scalars(sa.select(Delivery.sent_as)).all() == ["image"] * 3


def test_outside_the_window_the_photo_is_the_header_of_the_notice_image_template(db, roster, graph):
    photo = a_photo(roster["school"])
    db.session.commit()
    broadcast = make_broadcast(roster["school"], ["5A", "5B"], media_file_id=photo.id)
    send(broadcast)
    assert len(graph.media.uploads) == 1
    sent = graph.messages()
    assert len(sent) == 3  # one, both, triple: once each
    assert {m["media"]["kind"] for m in sent} == {"image"}
    assert {m["media"]["id"] for m in sent} == {graph.media.uploads[0]["id"]}
    # Meta has no Nepali templates: Nepali readers get the carrier declared in English.
    assert {m["language"] for m in sent} == {"en"}
    [english] = graph.messages(to=roster["guardians"]["one"].phone)
    assert english["template"] == "sandesh_notice_image"
    assert english["params"]["message"] == "School is closed tomorrow."
    [nepali] = graph.messages(to=roster["guardians"]["both"].phone)
    assert nepali["template"] == "sandesh_notice_image_ne"
    assert set(nepali["params"]) == {"message"}
    assert "भोलि विद्यालय बन्द छ।" in nepali["params"]["message"]
    assert "(५ख)" in nepali["params"]["message"]
    assert "School is closed" not in nepali["params"]["message"]


def test_a_pdf_goes_as_a_document_with_its_name_inside_and_as_the_document_template_outside(
    db, roster, graph
):
    open_windows(db, roster, "one")
    routine = files.accept(
        school=roster["school"],
        data=media_samples.pdf(pages=4),
        filename="Exam routine 2082.pdf",
        declared="application/pdf",
        source="portal",
    )
    db.session.commit()
    assert routine.pages == 4 and routine.kind == "document"
    send(make_broadcast(roster["school"], ["5A"], media_file_id=routine.id))
    assert len(graph.media.uploads) == 1
    assert graph.media.uploads[0]["type"] == "application/pdf"
    [inside] = graph.messages(to=roster["guardians"]["one"].phone)
    assert inside["type"] == "document"
    assert inside["media"]["filename"] == "Exam routine 2082.pdf"
    assert "School is closed tomorrow." in inside["body"]
    [outside] = graph.messages(to=roster["guardians"]["both"].phone)
    assert outside["template"] == "sandesh_notice_document_ne"
    assert outside["media"] == {
        "kind": "document",
        "id": graph.media.uploads[0]["id"],
        "caption": None,
        "filename": "Exam routine 2082.pdf",
    }


def test_the_same_file_twice_is_stored_once_and_uploaded_once_for_both_broadcasts(
    db, roster, graph
):
    data = media_samples.photo(1600, 1200)
    first, second = a_photo(roster["school"], data), a_photo(roster["school"], data, "again.jpg")
    db.session.commit()
    assert first.id == second.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MediaFile)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MediaBlob)) == 2  # + thumb
    send(make_broadcast(roster["school"], ["5A"], media_file_id=first.id))
    send(make_broadcast(roster["school"], ["5B"], media_file_id=second.id))
    assert len(graph.media.uploads) == 1
    assert len(graph.messages()) == 5  # 5A: three guardians; 5B: two


def test_a_media_id_meta_no_longer_has_is_uploaded_again_and_nobody_misses_the_photo(
    db, roster, graph
):
    photo = a_photo(roster["school"])
    db.session.commit()
    send(make_broadcast(roster["school"], ["5A"], media_file_id=photo.id))
    old_id = graph.media.uploads[0]["id"]
    graph.media.expire(old_id)  # Meta dropped it before our 30 days were up
    send(make_broadcast(roster["school"], ["5A"], media_file_id=photo.id))
    assert len(graph.media.uploads) == 2
    new_id = graph.media.uploads[1]["id"]
    later = graph.messages()[3:]
    assert len(later) == 3 and {m["media"]["id"] for m in later} == {new_id}
    assert graph.stats()["errors"] == {"131053": 1}  # one refused send, then the new id
    assert statuses(db) == [DeliveryStatus.ACCEPTED] * 6


def test_after_thirty_days_the_file_is_uploaded_again_before_it_is_sent(
    db, roster, graph, frozen_clock
):
    photo = a_photo(roster["school"])
    db.session.commit()
    send(make_broadcast(roster["school"], ["5A"], media_file_id=photo.id))
    frozen_clock.advance(days=30)
    send(make_broadcast(roster["school"], ["5A"], media_file_id=photo.id))
    assert len(graph.media.uploads) == 2
    assert graph.stats()["errors"] == {}
    upload = db.session.scalars(sa.select(MediaUpload)).one()
    assert upload.uploads == 2 and upload.media_id == graph.media.uploads[1]["id"]


def test_a_long_caption_keeps_its_opening_with_the_photo_and_the_rest_follows_as_text(
    db, roster, graph
):
    open_windows(db, roster, "one")
    text = " ".join(f"Sentence {i} tells parents what to bring on the trip." for i in range(45))
    photo = a_photo(roster["school"])
    db.session.commit()
    send(
        make_broadcast(roster["school"], ["5A"], body_en=text, body_ne=None, media_file_id=photo.id)
    )
    first, *rest = graph.messages(to=roster["guardians"]["one"].phone)
    assert first["type"] == "image" and len(first["body"]) <= 1024
    assert first["body"].startswith("(1/2)")
    assert [m["type"] for m in rest] == ["text"] and rest[0]["body"].startswith("(2/2)")
    words = " ".join(m["body"] for m in (first, *rest))
    assert all(f"Sentence {i} " in words for i in range(45))
