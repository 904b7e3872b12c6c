"""Each file uploaded once per sending number: the media id Meta gives is reused for every
guardian while Meta keeps it (30 days; a day's margin here), uploaded again when it has
expired or Meta says it no longer has it. Only one sender uploads a file at a time (a short
claim on its row, committed); the others wait for its id."""

from datetime import timedelta

import sqlalchemy as sa
from flask import g

from portal.extensions import db
from portal.models import MediaFile, MediaUpload
from portal.services.common import clock, dialects
from portal.services.media import files
from portal.whatsapp.errors import TransportError

KEPT = timedelta(days=30) - timedelta(days=1)
CLAIM = timedelta(seconds=90)


class UploadBusy(TransportError):
    """Another sender is uploading this file for this number now: try again shortly."""


def media_id_for(*, media: MediaFile, phone_number_id: str, token: str, transport) -> str:
    """The media id to send this file from this number with, uploading it if needed. Commits
    (the claim must be seen by other senders before the upload starts)."""
    cache = g.setdefault("sandesh_media_ids", {})
    key = (phone_number_id, media.sha256)
    now = clock.now()
    if key in cache and cache[key][1] > now:
        return cache[key][0]
    row_id, media_id, expires_at = _row(phone_number_id, media.sha256)
    if media_id is None or expires_at is None or expires_at <= now:
        media_id, expires_at = _upload(row_id, media, phone_number_id, token, transport)
        if media_id is None:  # another sender uploaded it meanwhile, or is uploading it
            row_id, media_id, expires_at = _row(phone_number_id, media.sha256)
            if media_id is None or expires_at is None or expires_at <= now:
                raise UploadBusy("another sender is uploading this file")
    cache[key] = (media_id, expires_at)
    return media_id


def forget(*, phone_number_id: str, sha256: str, media_id: str) -> None:
    """Meta no longer has this media id: the next send uploads the file again."""
    g.setdefault("sandesh_media_ids", {}).pop((phone_number_id, sha256), None)
    db.session.execute(
        sa.update(MediaUpload)
        .where(
            MediaUpload.phone_number_id == phone_number_id,
            MediaUpload.sha256 == sha256,
            MediaUpload.media_id == media_id,
        )
        .values(media_id=None, expires_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _row(phone_number_id: str, sha256: str):
    """(id, media_id, expires_at) of the upload row, made once."""
    db.session.execute(
        dialects.insert(MediaUpload)
        .values(phone_number_id=phone_number_id, sha256=sha256, uploads=0)
        .on_conflict_do_nothing(index_elements=["phone_number_id", "sha256"])
    )
    db.session.commit()
    return db.session.execute(
        sa.select(MediaUpload.id, MediaUpload.media_id, MediaUpload.expires_at).where(
            MediaUpload.phone_number_id == phone_number_id, MediaUpload.sha256 == sha256
        )
    ).one()


def _upload(row_id: int, media: MediaFile, phone_number_id: str, token: str, transport):
    """Upload under a claim: (media_id, expires_at), or (None, None) when the file needs
    no upload after all or another sender holds the claim."""
    now = clock.now()
    claimed = db.session.execute(
        sa.update(MediaUpload)
        .where(
            MediaUpload.id == row_id,
            sa.or_(MediaUpload.uploading_until.is_(None), MediaUpload.uploading_until < now),
            # still needed: a sender that read the row before another's upload ended
            # must not upload again
            sa.or_(MediaUpload.media_id.is_(None), MediaUpload.expires_at <= now),
        )
        .values(uploading_until=now + CLAIM)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return None, None
    try:
        media_id = transport.upload_media(
            phone_number_id=phone_number_id,
            token=token,
            data=files.read(media),
            mime_type=media.mime_type,
            filename=media.filename,
        )
    except Exception:
        _set(row_id, uploading_until=None)
        raise
    expires_at = clock.now() + KEPT
    _set(
        row_id,
        media_id=media_id,
        uploaded_at=clock.now(),
        expires_at=expires_at,
        uploading_until=None,
        uploads=MediaUpload.uploads + 1,
    )
    return media_id, expires_at


def _set(row_id: int, **values) -> None:
    db.session.execute(
        sa.update(MediaUpload)
        .where(MediaUpload.id == row_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
