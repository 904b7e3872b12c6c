"""What Meta tells us: raw webhook events, statuses and inbound messages."""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.models.broadcast import Broadcast
    from portal.models.media import MediaFile
    from portal.models.roster import Guardian, Teacher


class EventStatus(StrEnum):
    """Where a stored webhook event stands."""

    PENDING = "pending"
    PROCESSING = "processing"  # held by a worker until lease_until
    PROCESSED = "processed"
    FAILED = "failed"  # some item failed (each recorded in `error`); the rest were applied


# The events the drain takes in order: pending and not waiting for a retry.
QUEUED = f"status = '{EventStatus.PENDING}' AND retry_at IS NULL"
# The events the sweeper and the failures page look for among the rest: held by a worker,
# failed, or waiting for a retry (not the queued ones, nor the processed, which are most).
UNSETTLED = (
    f"status IN ('{EventStatus.PROCESSING}', '{EventStatus.FAILED}')"
    f" OR (status = '{EventStatus.PENDING}' AND retry_at IS NOT NULL)"
)


class WebhookEvent(db.Model):
    """A webhook POST exactly as received (raw bytes), stored before Meta gets its 200."""

    __tablename__ = "webhook_events"
    # The drain takes the oldest queued events again and again while they keep arriving: an
    # index of just those, in id order, so it reads no more than it takes. On PostgreSQL the
    # other leaves them out, so that the planner cannot read them from it instead (sorting
    # every pending version it keeps until vacuum), and holds no processed event either;
    # SQLite changes rows in place, and could not prove the OR to use it.
    __table_args__ = (
        sa.Index(
            "ix_webhook_events_queue",
            "id",
            postgresql_where=sa.text(QUEUED),
            sqlite_where=sa.text(QUEUED),
        ),
        sa.Index(
            "ix_webhook_events_work",
            "status",
            "lease_until",
            postgresql_where=sa.text(UNSETTLED),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[bytes] = mapped_column(sa.LargeBinary)
    source: Mapped[str] = mapped_column(sa.String(16), default="meta")  # or "sandbox"
    status: Mapped[str] = mapped_column(
        sa.Enum(*EventStatus, name="webhook_event_status", native_enum=False),
        default=EventStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when an item failed and the event waits to be tried again (pending until then).
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What failed, item by item: the error's class and the item's place, never its content.
    error: Mapped[str | None] = mapped_column(sa.Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StatusEvent(db.Model):
    """One status Meta reported for a wamid; kept even when the wamid is not known yet."""

    __tablename__ = "status_events"
    __table_args__ = (sa.UniqueConstraint("wamid", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    wamid: Mapped[str] = mapped_column(sa.String(128))
    status: Mapped[str] = mapped_column(sa.String(16))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivery_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deliveries.id"), index=True)
    callback_data: Mapped[str | None] = mapped_column(sa.String(512))
    error_code: Mapped[int | None]
    error_title: Mapped[str | None] = mapped_column(sa.String(300))
    # `pricing` as the status carried it (Meta puts it on one status of a message only).
    pricing: Mapped[dict | None] = mapped_column(sa.JSON)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboundMessage(db.Model):
    """A message someone sent to a school's number; unique wamid, so a retry adds nothing."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    phone_number_id: Mapped[str] = mapped_column(sa.String(64))
    wamid: Mapped[str] = mapped_column(sa.String(128), unique=True)
    sender: Mapped[str | None] = mapped_column(sa.String(32))
    wa_id: Mapped[str | None] = mapped_column(sa.String(64))
    user_id: Mapped[str | None] = mapped_column(sa.String(128))
    profile_name: Mapped[str | None] = mapped_column(sa.String(200))
    type: Mapped[str] = mapped_column(sa.String(32))
    text: Mapped[str | None] = mapped_column(sa.Text)
    # A tapped button: the reply button's id, or a template quick reply's payload.
    button_id: Mapped[str | None] = mapped_column(sa.String(256))
    # A system message's change of identifiers: {"kind", "new_wa_id", "new_user_id", ...}.
    system: Mapped[dict | None] = mapped_column(sa.JSON)
    context_wamid: Mapped[str | None] = mapped_column(sa.String(128))
    # A photo or document: what the webhook said of it (id, mime_type, sha256, filename,
    # url), the file once downloaded, or why it was refused; a teacher's photo sent without
    # a caption waits for the next text as its caption.
    media_ref: Mapped[dict | None] = mapped_column(sa.JSON)
    media_file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("media_files.id"))
    media_error: Mapped[str | None] = mapped_column(sa.String(300))
    awaits_caption: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who wrote (set when it is acted on) and, for parents' replies, the school's inbox.
    route: Mapped[str | None] = mapped_column(sa.String(16))  # teacher, guardian, unknown
    teacher_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teachers.id"))
    guardian_id: Mapped[int | None] = mapped_column(sa.ForeignKey("guardians.id"), index=True)
    broadcast_id: Mapped[int | None] = mapped_column(sa.ForeignKey("broadcasts.id"))
    in_inbox: Mapped[bool] = mapped_column(default=False)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    guardian: Mapped["Guardian | None"] = relationship()
    teacher: Mapped["Teacher | None"] = relationship()
    broadcast: Mapped["Broadcast | None"] = relationship()
    media_file: Mapped["MediaFile | None"] = relationship()


class SandboxMessage(db.Model):
    """What the sandbox transport would have sent (or a simulated phone wrote)."""

    __tablename__ = "sandbox_messages"
    __table_args__ = (sa.Index("ix_sandbox_messages_phone", "phone_number_id", "peer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_number_id: Mapped[str] = mapped_column(sa.String(64))
    peer: Mapped[str] = mapped_column(sa.String(32))  # the other phone, E.164 digits
    direction: Mapped[str] = mapped_column(sa.String(3))  # "out" (to the phone) or "in"
    kind: Mapped[str] = mapped_column(sa.String(16))  # "text" or "template"
    body: Mapped[str] = mapped_column(sa.Text, default="")
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    wamid: Mapped[str | None] = mapped_column(sa.String(128), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SandboxTemplate(db.Model):
    """A template the sandbox's stand-in for Meta holds for a WhatsApp Business Account:
    submitted, then approved (or rejected) after a short review, as Meta would."""

    __tablename__ = "sandbox_templates"
    __table_args__ = (sa.UniqueConstraint("waba_id", "name", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    waba_id: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(512))
    language: Mapped[str] = mapped_column(sa.String(16))
    category: Mapped[str] = mapped_column(sa.String(24))
    status: Mapped[str] = mapped_column(sa.String(24))
    components: Mapped[list] = mapped_column(sa.JSON, default=list)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
