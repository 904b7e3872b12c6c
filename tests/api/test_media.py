"""The API takes a photo or PDF: uploaded first (POST /api/v1/media, then `media_id`), or in
the same multipart POST /api/v1/broadcasts; bad files are refused with the reason."""

import io

import pytest
import sqlalchemy as sa

from portal.models import Broadcast, MediaFile, SandboxMessage
from portal.services.accounts.tokens import create_api_token
from tests import media_samples
from tests.factories import SchoolFactory


@pytest.fixture
def token(db, roster):
    _, token = create_api_token(school=roster["school"])
    db.session.commit()
    return token


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def upload(client, token, data, name, mime):
    return client.post(
        "/api/v1/media", headers=auth(token), data={"file": (io.BytesIO(data), name, mime)}
    )


def test_upload_then_broadcast_by_media_id(client, roster, token, db):
    response = upload(client, token, media_samples.pdf(3), "routine.pdf", "application/pdf")
    assert response.status_code == 201, response.json
    kept = response.json
    assert kept["kind"] == "document" and kept["pages"] == 3 and kept["filename"] == "routine.pdf"
    again = upload(client, token, media_samples.pdf(3), "copy.pdf", "application/pdf").json
    assert again["id"] == kept["id"]  # stored once
    body = {"targets": ["5A"], "body_en": "Exam routine", "media_id": kept["id"]}
    created = client.post("/api/v1/broadcasts", headers=auth(token), json=body)
    assert created.status_code == 201, created.json
    assert created.json["media"]["id"] == kept["id"]
    sent = db.session.scalars(sa.select(SandboxMessage)).all()
    assert len(sent) == 3 and {m.payload["media"]["kind"] for m in sent} == {"document"}


def test_a_multipart_broadcast_carries_its_photo(client, roster, token, db):
    data = {
        "targets": "5A,5B",
        "body_en": "Sports day photos",
        "kind": "event",
        "file": (io.BytesIO(media_samples.small_photo("WEBP")), "day.webp", "image/webp"),
    }
    response = client.post("/api/v1/broadcasts", headers=auth(token), data=data)
    assert response.status_code == 201, response.json
    assert response.json["media"]["mime_type"] == "image/jpeg"
    assert response.json["targets"] == ["5A", "5B"]
    assert db.session.scalars(sa.select(Broadcast.media_file_id)).one() is not None


def test_bad_files_are_refused_with_the_reason_and_nothing_is_kept(client, roster, token, db):
    response = upload(client, token, media_samples.pdf(script=True), "a.pdf", "application/pdf")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "pdf_script"
    assert "script" in response.json["error"]["message"]
    bad = client.post(
        "/api/v1/broadcasts",
        headers=auth(token),
        data={
            "targets": "5A",
            "body_en": "x",
            "file": (io.BytesIO(media_samples.corrupt_jpeg()), "a.jpg", "image/jpeg"),
        },
    )
    assert bad.status_code == 422 and bad.json["error"]["code"] == "corrupt_image"
    no_class = client.post(
        "/api/v1/broadcasts",
        headers=auth(token),
        data={
            "targets": "9Z",
            "body_en": "x",
            "file": (io.BytesIO(media_samples.small_photo()), "a.jpg", "image/jpeg"),
        },
    )
    assert no_class.status_code == 422
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MediaFile)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Broadcast)) == 0


def test_another_schools_media_id_is_refused(client, roster, token, db):
    other_school = SchoolFactory()
    _, other = create_api_token(school=other_school)
    db.session.commit()
    kept = upload(client, other, media_samples.small_photo(), "a.jpg", "image/jpeg").json
    body = {"targets": ["5A"], "body_en": "x", "media_id": kept["id"]}
    response = client.post("/api/v1/broadcasts", headers=auth(token), json=body)
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {
        "media_id": ["There is no file with that media_id."]
    }
    assert client.post("/api/v1/media", data={}).status_code == 401
