"""The compose page's attachment: a photo or PDF uploaded with the form (checked, prepared
and kept at once, so a preview and the send that follows upload it only once), or the id of
one kept by an earlier preview."""

from flask import request

from portal.extensions import db
from portal.models import MediaFile, School
from portal.services.media import files, inspect
from portal.services.media.refusals import MediaRefused

UPLOAD_LIMIT = inspect.DOCUMENT_LIMIT + 1024 * 1024  # the largest PDF and the form around it


def allow_upload() -> None:
    """This request may carry a file as large as Meta takes (other requests stay small)."""
    request.max_content_length = UPLOAD_LIMIT


def take(form, school: School) -> MediaFile | None | bool:
    """The form's file, kept (committed: it outlives a preview), or the previewed one by its
    id, or None; False when the file is refused (its reason set on the form)."""
    upload = form.attachment.data
    if upload is not None and getattr(upload, "filename", ""):
        try:
            with upload.stream:  # a large upload is spooled to a file: closed once read
                data = upload.read()
            media = files.accept(
                school=school,
                data=data,
                filename=upload.filename,
                declared=upload.mimetype,
                source="portal",
            )
        except MediaRefused as refusal:
            form.attachment.errors = [*form.attachment.errors, str(refusal)]
            return False
        db.session.commit()
        form.media_file_id.data = str(media.id)
        return media
    kept = (form.media_file_id.data or "").strip()
    if kept.isdigit():
        return files.of_school(school.id, int(kept))
    return None
