"""Photos and PDFs: each file stored once per school (content-addressed by SHA-256), its
bytes in a storage behind `services/media/storage`, and its upload to each sending number."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow


class MediaKind(StrEnum):
    """What a file is as WhatsApp sends it."""

    IMAGE = "image"
    DOCUMENT = "document"


class MediaFile(db.Model):
    """A photo or PDF a school sent or received: one row per school and content."""

    __tablename__ = "media_files"
    __table_args__ = (sa.UniqueConstraint("school_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))  # hex, of the bytes as stored and sent
    kind: Mapped[str] = mapped_column(sa.Enum(*MediaKind, name="media_kind", native_enum=False))
    mime_type: Mapped[str] = mapped_column(sa.String(100))
    filename: Mapped[str] = mapped_column(sa.String(240))
    size: Mapped[int]  # bytes as stored (after resizing a photo)
    original_size: Mapped[int]  # bytes as given
    width: Mapped[int | None]
    height: Mapped[int | None]
    pages: Mapped[int | None]  # a PDF's page count
    thumb_sha256: Mapped[str | None] = mapped_column(sa.String(64))  # a small JPEG of a photo
    source: Mapped[str] = mapped_column(sa.String(16))  # portal, api, teacher, parent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MediaBlob(db.Model):
    """The bytes of a file in the database (the default storage: it travels with backups)."""

    __tablename__ = "media_blobs"

    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MediaUpload(db.Model):
    """A file uploaded to Meta for one sending number: the media id every guardian's message
    reuses while Meta keeps it (30 days). `uploading_until` is a short claim, so only one
    sender uploads a file while the others wait for its id."""

    __tablename__ = "media_uploads"
    __table_args__ = (sa.UniqueConstraint("phone_number_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_number_id: Mapped[str] = mapped_column(sa.String(64))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    media_id: Mapped[str | None] = mapped_column(sa.String(128))
    uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    uploading_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    uploads: Mapped[int] = mapped_column(default=0)
