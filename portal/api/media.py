"""/api/v1/media: a photo or PDF uploaded for the school's broadcasts (multipart `file`),
checked, prepared and kept once (the same file twice gives the same id); a broadcast names
it with `media_id`, or carries the file itself in a multipart POST /api/v1/broadcasts."""

from flask import Blueprint, g, request
from flask_babel import lazy_gettext as _l

from portal.api.auth import error
from portal.extensions import db
from portal.models import MediaFile
from portal.services.broadcasting.broadcasts import BroadcastError
from portal.services.media import files, inspect
from portal.services.media.refusals import MediaRefused

bp = Blueprint("media", __name__, url_prefix="/media")
UPLOAD_LIMIT = inspect.DOCUMENT_LIMIT + 1024 * 1024
MULTIPART = "multipart/form-data"


def media_out(media: MediaFile | None) -> dict | None:
    """A file as the API shows it."""
    if media is None:
        return None
    return {
        "id": media.id,
        "kind": media.kind,
        "mime_type": media.mime_type,
        "filename": media.filename,
        "size": media.size,
        "original_size": media.original_size,
        "width": media.width,
        "height": media.height,
        "pages": media.pages,
        "sha256": media.sha256,
    }


def allow_upload() -> None:
    """A multipart request may carry a file as large as Meta takes."""
    if request.mimetype == MULTIPART:
        request.max_content_length = UPLOAD_LIMIT


@bp.post("")
def create():
    """Keep a file for later broadcasts: 201 with its id, 422 with the reason if refused."""
    allow_upload()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return error(400, "bad_request", "Send the file as multipart/form-data, field `file`.")
    try:
        media = _accept(upload)
    except MediaRefused as refusal:
        return error(422, refusal.code, str(refusal), fields={"file": [str(refusal)]})
    db.session.commit()
    return media_out(media), 201


def _accept(upload) -> MediaFile:
    with upload.stream:
        data = upload.read()
    return files.accept(
        school=g.api_school,
        data=data,
        filename=upload.filename,
        declared=upload.mimetype,
        source="api",
    )


def form_payload() -> dict:
    """A multipart POST /api/v1/broadcasts as the JSON it stands for; its `file` (if any)
    kept, its id as `media_id`. Raises MediaRefused."""
    form = request.form
    payload = {
        key: form.get(key) for key in ("body_en", "body_ne", "kind", "subject", "scheduled_at")
    }
    payload = {key: value for key, value in payload.items() if value not in (None, "")}
    targets = form.getlist("targets")
    payload["targets"] = [t.strip() for item in targets for t in item.split(",") if t.strip()]
    if form.get("media_id"):
        payload["media_id"] = form.get("media_id")
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        payload["media_id"] = _accept(upload).id
    return payload


def school_media_id(media_id: int | None) -> int | None:
    """A `media_id` checked to be the school's own file; raises BroadcastError."""
    if media_id is None:
        return None
    if files.of_school(g.api_school.id, media_id) is None:
        raise BroadcastError(_l("There is no file with that media_id."), "media_id")
    return media_id
