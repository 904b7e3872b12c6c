"""The compose page takes one photo or PDF: a photo (WebP, HEIC … made JPEG, resized, its
GPS and camera data gone) shows a small preview and is sent with the text; the broadcast's
page and list show its thumbnail; a bad file is refused in the reader's language with nothing
kept; the files are the school's own."""

import io

import pytest
import sqlalchemy as sa
from PIL import Image

from portal.models import Broadcast, MediaBlob, MediaFile
from tests import media_samples
from tests.factories import (
    ClassFactory,
    GuardianFactory,
    SchoolFactory,
    StudentFactory,
    StudentGuardianFactory,
    UserFactory,
)


@pytest.fixture
def roster(db, school):
    cls = ClassFactory(school=school, grade=5, section="A")
    student = StudentFactory(school_class=cls, roll=1, name="Asha", name_ne=None)
    StudentGuardianFactory(
        student=student, guardian=GuardianFactory(school=school, name="Maya", language="en")
    )
    return cls


def _form(**values) -> dict:
    form = {
        "targets": ["5A"],
        "kind": "notice",
        "body_en": "Exam routine",
        "body_ne": "",
        "action": "preview",
    }
    return form | values


def _upload(data: bytes, name: str, mime: str):
    return (io.BytesIO(data), name, mime)


def post(portal, fields: dict):
    """POST the compose form as a browser does, multipart, built in memory (the test
    client's own encoder spools a large file to a temporary file it never closes)."""
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    values = MultiDict()
    for name, value in (fields | {"csrf_token": portal.csrf_token()}).items():
        if isinstance(value, tuple):
            value = FileStorage(value[0], filename=value[1], content_type=value[2])
        for one in value if isinstance(value, list) else [value]:
            values.add(name, one)
    boundary, body = encode_multipart(values)
    return portal.client.post(
        "/broadcasts/new", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_heic_photo_is_previewed_small_then_sent_with_the_text(admin_portal, roster, db):
    response = admin_portal.post(
        "/broadcasts/new",
        _form(attachment=_upload(media_samples.heic_photo(), "IMG_0042.HEIC", "image/heic")),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    media = db.session.scalars(sa.select(MediaFile)).one()
    assert media.mime_type == "image/jpeg" and media.filename == "IMG_0042.jpg"
    assert f'src="/media/{media.id}/thumb"' in page
    assert f'name="media_file_id" value="{media.id}"' in page
    assert "IMG_0042.jpg" in page
    assert count(db, Broadcast) == 0
    thumb = admin_portal.get(f"/media/{media.id}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.get_data())).size) <= 240
    # Send: the form carries the kept file's id, not its bytes again
    sent = post(admin_portal, _form(action="send", media_file_id=str(media.id)))
    assert sent.status_code == 302
    broadcast = db.session.scalars(sa.select(Broadcast)).one()
    assert broadcast.media_file_id == media.id
    show = admin_portal.get(f"/broadcasts/{broadcast.id}").get_data(as_text=True)
    assert f'src="/media/{media.id}/thumb"' in show and "Exam routine" in show
    listing = admin_portal.get("/broadcasts/").get_data(as_text=True)
    assert f'src="/media/{media.id}/thumb/small"' in listing  # a row's photo is 40 px high
    assert count(db, MediaFile) == 1


def test_the_photo_parents_get_is_small_upright_and_without_gps_or_camera(admin_portal, roster, db):
    camera = media_samples.photo()
    assert len(camera) > 4 * 1024 * 1024
    post(admin_portal, _form(attachment=_upload(camera, "IMG_1.jpg", "image/jpeg")))
    media = db.session.scalars(sa.select(MediaFile)).one()
    response = admin_portal.get(f"/media/{media.id}")
    data = response.get_data()
    assert response.mimetype == "image/jpeg"
    assert 100 * 1024 < len(data) <= 300 * 1024  # what a parent on 2G downloads
    picture = Image.open(io.BytesIO(data))
    assert picture.size == (1200, 1600)  # turned upright (EXIF orientation 6), then resized
    assert dict(picture.getexif()) == {}  # no GPS, no camera, no orientation left
    assert b"Galaxy" not in data and b"Samsung" not in data
    assert media.original_size == len(camera)


def test_a_pdf_shows_its_name_and_pages_on_the_broadcast_page(admin_portal, roster, db):
    response = post(
        admin_portal,
        _form(
            action="send",
            attachment=_upload(media_samples.pdf(2), "Routine.pdf", "application/pdf"),
        ),
    )
    assert response.status_code == 302
    broadcast = db.session.scalars(sa.select(Broadcast)).one()
    show = admin_portal.get(f"/broadcasts/{broadcast.id}").get_data(as_text=True)
    assert "Routine.pdf" in show and "2 pages" in show
    download = admin_portal.get(f"/media/{broadcast.media_file_id}")
    assert download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]


@pytest.mark.parametrize(
    ("data", "name", "mime", "reason"),
    [
        (media_samples.pdf(script=True), "routine.pdf", "application/pdf", "contains a script"),
        (media_samples.exe_named_jpg(), "photo.jpg", "image/jpeg", "not what its type says"),
        (media_samples.corrupt_jpeg(), "photo.jpg", "image/jpeg", "the file is damaged"),
        (b"\x00\x00\x00\x18ftypmp42" + b"\0" * 200, "clip.mp4", "video/mp4", "Only photos"),
    ],
    ids=["pdf-script", "exe-as-jpeg", "corrupt", "video"],
)
def test_a_bad_file_is_refused_on_the_form_and_nothing_is_kept(
    admin_portal, roster, db, english, data, name, mime, reason
):
    response = post(admin_portal, _form(action="send", attachment=_upload(data, name, mime)))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert reason in page
    assert count(db, Broadcast) == 0 and count(db, MediaFile) == 0 and count(db, MediaBlob) == 0


def test_a_school_may_lower_the_limit_and_the_message_says_it(admin_portal, roster, school, db):
    school.max_document_bytes = 500
    db.session.commit()
    response = post(
        admin_portal,
        _form(attachment=_upload(media_samples.pdf(2), "Routine.pdf", "application/pdf")),
    )
    assert response.status_code == 422
    assert "at most 1 KB can be sent" in response.get_data(as_text=True)


def test_the_refusal_is_in_nepali_for_a_nepali_reader(admin_portal, roster, db, admin):
    admin.language = "ne"
    db.session.commit()
    response = post(
        admin_portal,
        _form(attachment=_upload(media_samples.pdf(script=True), "a.pdf", "application/pdf")),
    )
    assert response.status_code == 422
    assert "स्क्रिप्ट" in response.get_data(as_text=True)


def test_another_school_s_file_is_a_404(portal, roster, db, school):
    admin_portal_media = MediaFile  # the file belongs to `school`
    from portal.services.media import files

    media = files.accept(
        school=school,
        data=media_samples.small_photo(),
        filename="a.jpg",
        declared="image/jpeg",
        source="portal",
    )
    db.session.commit()
    other = UserFactory(school=SchoolFactory(), role="admin")
    portal.login(other)
    assert admin_portal_media is MediaFile
    assert portal.get(f"/media/{media.id}").status_code == 404
    assert portal.get(f"/media/{media.id}/thumb").status_code == 404
    sent = post(portal, _form(action="send", media_file_id=str(media.id)))
    assert sent.status_code in (302, 422)
    assert db.session.scalars(sa.select(Broadcast.media_file_id)).all() in ([], [None])
