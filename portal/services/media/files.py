"""Files as a school keeps them: checked and prepared (`inspect`), stored once per school
and content (a second upload of the same photo finds the first), read back for the portal
and for uploads to Meta."""

import hashlib

import sqlalchemy as sa

from portal.extensions import db
from portal.models import MediaFile, School
from portal.services.common import clock, dialects
from portal.services.media import inspect
from portal.services.media.storage import current_storage


def limits(school: School) -> tuple[int, int]:
    """(photo, document) limits in bytes: Meta's, or the school's lower ones."""
    image = min(school.max_image_bytes or inspect.IMAGE_LIMIT, inspect.IMAGE_LIMIT)
    document = min(school.max_document_bytes or inspect.DOCUMENT_LIMIT, inspect.DOCUMENT_LIMIT)
    return image, document


def accept(
    *, school: School, data: bytes, filename: str | None, declared: str | None, source: str
) -> MediaFile:
    """Check, prepare and keep a file for a school (once: the same content gives the same
    row); raises MediaRefused, in which case nothing is stored."""
    prepared = inspect.prepare(data, filename=filename, declared=declared, limits=limits(school))
    return keep(school=school, prepared=prepared, source=source)


def keep(*, school: School, prepared: inspect.Prepared, source: str) -> MediaFile:
    """Store prepared bytes (and thumbnail) and the school's row for them, once."""
    storage = current_storage()
    sha = hashlib.sha256(prepared.data).hexdigest()
    storage.put(sha, prepared.data, content_type=prepared.mime_type)
    thumb_sha = None
    if prepared.thumb is not None:
        thumb_sha = hashlib.sha256(prepared.thumb).hexdigest()
        storage.put(thumb_sha, prepared.thumb, content_type="image/jpeg")
    values = {
        "school_id": school.id,
        "sha256": sha,
        "kind": prepared.kind,
        "mime_type": prepared.mime_type,
        "filename": prepared.filename,
        "size": len(prepared.data),
        "original_size": prepared.original_size,
        "width": prepared.width,
        "height": prepared.height,
        "pages": prepared.pages,
        "thumb_sha256": thumb_sha,
        "source": source,
        "created_at": clock.now(),
    }
    db.session.execute(
        dialects.insert(MediaFile)
        .values(values)
        .on_conflict_do_nothing(index_elements=["school_id", "sha256"])
    )
    return db.session.scalars(
        sa.select(MediaFile).where(MediaFile.school_id == school.id, MediaFile.sha256 == sha)
    ).one()


def read(media: MediaFile, *, thumb: bool = False) -> bytes:
    """The bytes of a file (or of its thumbnail)."""
    return current_storage().get(media.thumb_sha256 if thumb else media.sha256)


def of_school(school_id: int, media_id: int) -> MediaFile | None:
    """A school's file by id (None for another school's: a guessed id finds nothing)."""
    return db.session.scalar(
        sa.select(MediaFile).where(MediaFile.id == media_id, MediaFile.school_id == school_id)
    )
