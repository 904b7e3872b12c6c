"""Files as a school keeps them: what a photo becomes (upright, small, no metadata), which
PDFs are refused, limits, and the storage behind them (database, or an S3-compatible
bucket) keeping each content once."""

import io

import pytest
import sqlalchemy as sa
from PIL import Image

from portal.models import MediaBlob
from portal.services.media import files, inspect, pdfs
from portal.services.media.refusals import MediaRefused
from portal.services.media.storage import DatabaseStorage, S3Storage
from tests import media_samples

LIMITS = (inspect.IMAGE_LIMIT, inspect.DOCUMENT_LIMIT)


def prepare(data, declared="image/jpeg", name="x.jpg", limits=LIMITS):
    return inspect.prepare(data, filename=name, declared=declared, limits=limits)


def test_a_camera_photo_becomes_a_small_upright_jpeg_without_metadata():
    camera = media_samples.photo()
    assert b"Galaxy A14" in camera  # the camera wrote its model, and GPS
    ready = prepare(camera, name="IMG_20251123.JPG")
    picture = Image.open(io.BytesIO(ready.data))
    assert ready.mime_type == "image/jpeg" and picture.format == "JPEG"
    assert (ready.width, ready.height) == picture.size == (1200, 1600)
    assert len(ready.data) <= inspect.TARGET_BYTES < len(camera) / 10
    assert dict(picture.getexif()) == {} and b"Galaxy" not in ready.data
    assert ready.filename == "IMG_20251123.jpg" and ready.original_size == len(camera)
    assert max(Image.open(io.BytesIO(ready.thumb)).size) == inspect.THUMB_SIDE


@pytest.mark.parametrize(
    ("make", "declared"),
    [
        (lambda: media_samples.small_photo("WEBP"), "image/webp"),
        (media_samples.heic_photo, "image/heic"),
        (lambda: media_samples.small_photo("PNG", (2000, 1500)), "image/png"),
        (lambda: media_samples.small_photo("BMP"), "image/bmp"),
    ],
    ids=["webp", "heic", "large-png", "bmp"],
)
def test_other_kinds_of_photo_are_made_jpeg(make, declared):
    ready = prepare(make(), declared, name="photo.webp")
    assert ready.mime_type == "image/jpeg" and ready.filename == "photo.jpg"
    assert Image.open(io.BytesIO(ready.data)).format == "JPEG"


def test_a_screenshot_of_text_stays_a_small_png():
    ready = prepare(media_samples.png_screenshot(), "image/png", "notice.png")
    assert ready.mime_type == "image/png" and ready.filename == "notice.png"


def test_a_file_of_unknown_type_is_read_for_what_it_is():
    assert prepare(media_samples.pdf(2), "application/octet-stream", "r").kind == "document"
    assert prepare(media_samples.small_photo(), None, "r").kind == "image"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (media_samples.pdf(script=True), "pdf_script"),
        (media_samples.pdf_with_launch(), "pdf_script"),
        (
            media_samples.pdf(1).replace(b"/Type /Catalog", b"/Type /Catalog /AA << >>"),
            "pdf_script",
        ),
        (
            media_samples.pdf(1).replace(b"/Type /Catalog", b"/Type /Catalog /J#61vaScript 1"),
            "pdf_script",
        ),
        (b"%PDF-1.7\n" + b"garbage" * 50, "corrupt_pdf"),
    ],
    ids=["javascript", "launch", "additional-actions", "escaped-name", "corrupt"],
)
def test_pdfs_with_scripts_or_damage_are_refused(data, code):
    with pytest.raises(MediaRefused) as refused:
        pdfs.check(data)
    assert refused.value.code == code


def test_an_open_action_that_only_opens_a_page_is_fine():
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, NameObject, NumberObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    writer._root_object[NameObject("/OpenAction")] = ArrayObject(
        [page.indirect_reference, NameObject("/Fit")]
    )
    out = io.BytesIO()
    writer.write(out)
    assert pdfs.check(out.getvalue()) == 1
    assert NumberObject(1)  # (pypdf's generic objects make such files)


def test_limits_are_metas_or_the_schools_lower_ones(db, school, english):
    assert files.limits(school) == (5 * 1024 * 1024, 100 * 1024 * 1024)
    school.max_image_bytes, school.max_document_bytes = 10**9, 2 * 1024 * 1024
    assert files.limits(school) == (5 * 1024 * 1024, 2 * 1024 * 1024)
    school.max_image_bytes = 1024 * 1024
    with pytest.raises(MediaRefused) as refused:
        files.accept(
            school=school,
            data=media_samples.photo(),
            filename="a.jpg",
            declared="image/jpeg",
            source="portal",
        )
    assert "at most 1 MB can be sent" in str(refused.value)


def test_the_database_storage_keeps_each_content_once(db, school):
    storage = DatabaseStorage()
    storage.put("ab" * 32, b"bytes", content_type="image/jpeg")
    storage.put("ab" * 32, b"bytes", content_type="image/jpeg")
    db.session.commit()
    assert storage.get("ab" * 32) == b"bytes"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MediaBlob)) == 1
    with pytest.raises(KeyError):
        storage.get("cd" * 32)


class FakeS3:
    """The calls S3Storage makes of a boto3 S3 client, on a dict."""

    class exceptions:  # noqa: N801 (boto3's name)
        class ClientError(Exception):
            pass

        class NoSuchKey(ClientError):
            pass

    def __init__(self):
        self.objects, self.puts = {}, 0

    def head_object(self, *, Bucket, Key):  # noqa: N803
        if (Bucket, Key) not in self.objects:
            raise self.exceptions.ClientError("404")
        return {}

    def put_object(self, *, Bucket, Key, Body, ContentType):  # noqa: N803
        self.objects[Bucket, Key] = (Body, ContentType)
        self.puts += 1

    def get_object(self, *, Bucket, Key):  # noqa: N803
        if (Bucket, Key) not in self.objects:
            raise self.exceptions.NoSuchKey(Key)
        return {"Body": io.BytesIO(self.objects[Bucket, Key][0])}


def test_an_s3_bucket_keeps_each_content_once_under_its_sha256(db, school, app):
    client = FakeS3()
    app.extensions["sandesh.media_storage"] = S3Storage("school-files", client=client)
    data = media_samples.small_photo()
    try:
        first = files.accept(
            school=school,
            data=data,
            filename="a.jpg",
            declared="image/jpeg",
            source="portal",
        )
        again = files.accept(
            school=school,
            data=data,
            filename="b.jpg",
            declared="image/jpeg",
            source="portal",
        )
        db.session.commit()
        assert first.id == again.id and client.puts == 2  # the photo and its thumbnail
        assert ("school-files", f"sandesh/media/{first.sha256}") in client.objects
        assert (
            files.read(first) == client.objects["school-files", f"sandesh/media/{first.sha256}"][0]
        )
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MediaBlob)) == 0
    finally:
        app.extensions.pop("sandesh.media_storage")
