"""Broadcasts and their deliveries: one message per guardian, tracked to read."""

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import Timestamps, UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.models.accounts import User
    from portal.models.media import MediaFile
    from portal.models.roster import Guardian, Teacher
    from portal.models.school import School


class Kind(StrEnum):
    """What a broadcast is; the parent's message names it."""

    NOTICE = "notice"
    HOMEWORK = "homework"
    ABSENCE = "absence"
    EVENT = "event"
    EMERGENCY = "emergency"  # never waits for quiet hours
    ATTENDANCE = "attendance"  # a guardian's monthly attendance summary (a recurring kind)


class Source(StrEnum):
    """Where a broadcast was made."""

    PORTAL = "portal"
    API = "api"
    TEACHER = "teacher"
    SCHEDULE = "schedule"


class BroadcastStatus(StrEnum):
    DRAFT = "draft"  # a teacher's, waiting for YES
    SCHEDULED = "scheduled"
    SENDING = "sending"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for a worker (or for its next attempt)
    HELD = "held"  # waiting for the school's daily digest (then its status follows the digest's)
    FOLLOWING = "following"  # a later part of a long message: goes once the part before it has
    SENDING = "sending"  # claimed by a worker until lease_until
    ACCEPTED = "accepted"  # Meta answered 200 with a wamid
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    SKIPPED = "skipped"  # opted out, or otherwise not to be messaged
    CANCELLED = "cancelled"  # the broadcast was cancelled before this one went out


KINDS = tuple(Kind)
# Never held for the school's daily digest nor counted against its daily cap.
URGENT_KINDS = (Kind.EMERGENCY, Kind.ABSENCE)
# A delivery's purpose when it carries a guardian's held notices as one message.
DIGEST = "digest"
DELIVERY_STATUSES = tuple(DeliveryStatus)
# Status webhooks only move a delivery forward along this order.
PROGRESS = {
    DeliveryStatus.PENDING: 0,
    DeliveryStatus.SENDING: 1,
    DeliveryStatus.ACCEPTED: 2,
    DeliveryStatus.SENT: 3,
    DeliveryStatus.DELIVERED: 4,
    DeliveryStatus.READ: 5,
}
FINAL = (DeliveryStatus.FAILED, DeliveryStatus.SKIPPED, DeliveryStatus.CANCELLED)


class Broadcast(Timestamps, db.Model):
    """A message for the parents of some classes, in one or both languages, now or later."""

    __tablename__ = "broadcasts"
    __table_args__ = (
        sa.Index("ix_broadcasts_due", "status", "scheduled_at"),
        sa.Index("ix_broadcasts_school_started", "school_id", "started_at"),  # reports
        # A recurring schedule's occurrence becomes one broadcast, whoever makes it.
        sa.UniqueConstraint("schedule_id", "occurrence_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.Enum(*Kind, name="broadcast_kind", native_enum=False))
    source: Mapped[str] = mapped_column(
        sa.Enum(*Source, name="broadcast_source", native_enum=False)
    )
    status: Mapped[str] = mapped_column(
        sa.Enum(*BroadcastStatus, name="broadcast_status", native_enum=False),
        default=BroadcastStatus.SCHEDULED,
    )
    # Targets as the school writes them: "5A", "5" (a whole grade), "ALL".
    targets: Mapped[list] = mapped_column(sa.JSON, default=list)
    # For absence alerts: only these students' guardians.
    student_ids: Mapped[list | None] = mapped_column(sa.JSON)
    subject: Mapped[str | None] = mapped_column(sa.String(100))
    body_en: Mapped[str | None] = mapped_column(sa.Text)
    body_ne: Mapped[str | None] = mapped_column(sa.Text)
    # A photo or PDF sent with the text (its caption), when there is one.
    media_file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("media_files.id"))
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    author_teacher_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teachers.id"))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the last of its deliveries was made (the senders start on the first part).
    fanned_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Made by a recurring schedule: which, and the day of the occurrence it is.
    schedule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recurring_schedules.id"))
    occurrence_on: Mapped[date | None]
    # A monthly attendance summary's month: {"year", "month", "school_days": [ISO dates]}.
    attendance_month: Mapped[dict | None] = mapped_column(sa.JSON)
    # Reach, recorded when the broadcast completes.
    targeted_count: Mapped[int | None]
    delivered_count: Mapped[int | None]

    school: Mapped["School"] = relationship()
    author_user: Mapped["User | None"] = relationship()
    author_teacher: Mapped["Teacher | None"] = relationship()
    media_file: Mapped["MediaFile | None"] = relationship()
    deliveries: WriteOnlyMapped["Delivery"] = relationship(back_populates="broadcast")

    @property
    def languages(self) -> list[str]:
        return [lang for lang, body in (("ne", self.body_ne), ("en", self.body_en)) if body]

    def __repr__(self) -> str:
        return f"<Broadcast {self.id} {self.kind} {self.status}>"


def _partial(name: str, *columns: str, where: str) -> sa.Index:
    """An index of only the rows meeting `where`, on PostgreSQL and SQLite alike."""
    condition = sa.text(where)
    return sa.Index(name, *columns, postgresql_where=condition, sqlite_where=condition)


class Delivery(db.Model):
    """One message on its way to one person: a guardian's copy of a broadcast (unique per
    pair, so a retried fan-out adds nothing), or a direct reply (`body` and `to_phone` set,
    no broadcast) to a teacher, a parent or an unknown number."""

    __tablename__ = "deliveries"
    # Every message changes its row several times (claimed, accepted, sent, delivered, read),
    # and each change writes every index whose condition the row meets: indexes that serve
    # only some rows are partial, so most changes skip them.
    __table_args__ = (
        sa.UniqueConstraint("broadcast_id", "guardian_id"),
        sa.Index("ix_deliveries_broadcast_status", "broadcast_id", "status"),
        _partial(
            "ix_deliveries_due", "next_attempt_at", where=f"status = '{DeliveryStatus.PENDING}'"
        ),
        _partial(
            "ix_deliveries_queue", "priority", "id", where=f"status = '{DeliveryStatus.PENDING}'"
        ),
        _partial(
            "ix_deliveries_leased", "lease_until", where=f"status = '{DeliveryStatus.SENDING}'"
        ),
        _partial(
            "ix_deliveries_reply_to",
            "to_phone",
            "purpose",
            "created_at",
            where="to_phone IS NOT NULL",
        ),
        _partial("ix_deliveries_digest", "digest_id", where="digest_id IS NOT NULL"),
        _partial("ix_deliveries_first", "first_id", "part", where="first_id IS NOT NULL"),
        _partial(
            "ix_deliveries_held", "next_attempt_at", where=f"status = '{DeliveryStatus.HELD}'"
        ),
        _partial(
            "ix_deliveries_inbound_message_id",
            "inbound_message_id",
            where="inbound_message_id IS NOT NULL",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"))
    broadcast_id: Mapped[int | None] = mapped_column(sa.ForeignKey("broadcasts.id"))
    guardian_id: Mapped[int | None] = mapped_column(sa.ForeignKey("guardians.id"), index=True)
    # Direct replies: the text as it goes, where to, why, and the message it answers.
    to_phone: Mapped[str | None] = mapped_column(sa.String(32))
    body: Mapped[str | None] = mapped_column(sa.Text)
    purpose: Mapped[str | None] = mapped_column(sa.String(32))
    inbound_message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inbound_messages.id"))
    # A held copy of a broadcast: the digest delivery (purpose "digest") that carries it.
    digest_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deliveries.id"))
    # A message too long for one: the first part knows how many there are (`parts`); each
    # later part is a row of its own (`first_id`, `part` 2..n, `body`, status following).
    first_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deliveries.id"))
    part: Mapped[int | None]
    parts: Mapped[int | None]
    student_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[str] = mapped_column(
        sa.Enum(*DeliveryStatus, name="delivery_status", native_enum=False),
        default=DeliveryStatus.PENDING,
    )
    wamid: Mapped[str | None] = mapped_column(sa.String(128), unique=True)
    sent_as: Mapped[str | None] = mapped_column(sa.String(16))  # "text" or "template"
    language: Mapped[str | None] = mapped_column(sa.String(8))
    # Claimed in this order (0: emergencies and direct replies, 1: the rest), and held back by
    # the portfolio's messaging limit until a place frees up (pending all the while).
    priority: Mapped[int] = mapped_column(sa.SmallInteger, default=1, server_default="1")
    waiting: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # A direct reply to someone known only by their business-scoped user id (no phone).
    to_user_id: Mapped[str | None] = mapped_column(sa.String(140))
    # Reply buttons a direct reply carries ([{"id", "title"}]; an interactive message).
    buttons: Mapped[list | None] = mapped_column(sa.JSON)
    # What Meta charged for it (status webhooks' `pricing`), and the parent's Seen tap.
    pricing_category: Mapped[str | None] = mapped_column(sa.String(32))
    pricing_type: Mapped[str | None] = mapped_column(sa.String(32))
    billable: Mapped[bool | None]
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_code: Mapped[int | None]
    error_reason: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    school: Mapped["School"] = relationship()
    broadcast: Mapped["Broadcast | None"] = relationship(back_populates="deliveries")
    guardian: Mapped["Guardian | None"] = relationship()


class Template(db.Model):
    """Which Meta template a school sends for a purpose to parents reading a language, the
    language Meta has it in (Nepali readers get one declared in a language Meta supports,
    carrying the Nepali text in its parameters), and what Meta says of it."""

    __tablename__ = "templates"
    __table_args__ = (sa.UniqueConstraint("school_id", "purpose", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(32))
    language: Mapped[str] = mapped_column(sa.String(8))  # the parents' language
    meta_name: Mapped[str] = mapped_column(sa.String(512))
    # The language code the template is declared in at Meta (None: the same as `language`).
    meta_language: Mapped[str | None] = mapped_column(sa.String(16))
    params: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Its quick-reply buttons' labels, as Meta holds them (a tap is sent back with a payload).
    buttons: Mapped[list | None] = mapped_column(sa.JSON)
    # Usable: Meta approved it as UTILITY (or, for a school without a WhatsApp Business
    # Account id, an admin ticked it).
    approved: Mapped[bool] = mapped_column(default=True)
    # What Meta reported: its id, status (APPROVED, PENDING, REJECTED, PAUSED, ...),
    # category, quality score and the reason of a rejection or pause, and when.
    meta_id: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[str | None] = mapped_column(sa.String(24))
    category: Mapped[str | None] = mapped_column(sa.String(24))
    quality: Mapped[str | None] = mapped_column(sa.String(16))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def declared_language(self) -> str:
        return self.meta_language or self.language


class LimitSlot(db.Model):
    """One person messaged outside their 24-hour window, against a business portfolio's
    messaging limit: Meta counts the unique people a portfolio so messaged in any moving
    24 hours, and returns no error past the limit, so Sandesh counts them itself."""

    __tablename__ = "limit_slots"
    __table_args__ = (
        sa.Index("ix_limit_slots_window", "portfolio_key", "used_at"),
        sa.Index("ix_limit_slots_recipient", "portfolio_key", "recipient"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portfolio_key: Mapped[str] = mapped_column(sa.String(24))  # "p<portfolio>" or "s<school>"
    recipient: Mapped[str] = mapped_column(sa.String(140))  # the `to`: wa_id, number or BSUID
    used_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivery_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deliveries.id"))


class DailyReply(db.Model):
    """The one courtesy reply of a kind a number gets from a school on a Nepal day (a
    stranger's hello, a parent's thanks): its primary key is the rule, so messages that
    arrive together, processed at the same time, still get a single reply."""

    __tablename__ = "daily_replies"

    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), primary_key=True)
    phone: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
