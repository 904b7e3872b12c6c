"""The tenant: a school with its WhatsApp business number, its WhatsApp Business Account and
the business portfolio whose messaging limit it shares."""

from datetime import date, datetime, time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import Timestamps, UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.models.roster import Student


# Meta's starting messaging limit for a new business portfolio (messaging-limits page).
DEFAULT_TIER = "TIER_250"


class Portfolio(db.Model):
    """A Meta business portfolio that several schools share: they share its messaging limit.
    A school outside any portfolio row is a portfolio of its own."""

    __tablename__ = "portfolios"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class School(Timestamps, db.Model):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_ne: Mapped[str | None] = mapped_column(sa.String(200))
    phone_number_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # The WhatsApp Business Account the number belongs to (templates live there).
    waba_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    portfolio_id: Mapped[int | None] = mapped_column(sa.ForeignKey("portfolios.id"), index=True)
    # The portfolio's messaging limit as Meta last reported it (TIER_250, TIER_2K, ...), and
    # what Meta says of the number (display name, quality rating).
    messaging_tier: Mapped[str] = mapped_column(
        sa.String(24), default=DEFAULT_TIER, server_default=DEFAULT_TIER
    )
    messaging_tier_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    quality_rating: Mapped[str | None] = mapped_column(sa.String(16))
    display_phone_number: Mapped[str | None] = mapped_column(sa.String(32))
    verified_name: Mapped[str | None] = mapped_column(sa.String(200))
    # What the school pays Meta per message, by pricing category (in `currency`).
    prices: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")
    currency: Mapped[str] = mapped_column(sa.String(3), default="NPR", server_default="NPR")
    # Fernet token of the school's Graph API access token (see services/secrets.py).
    access_token_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(default=True)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Quiet hours in Nepal time: non-urgent sends wait until they end.
    quiet_start: Mapped[time] = mapped_column(sa.Time, default=time(21, 0))
    quiet_end: Mapped[time] = mapped_column(sa.Time, default=time(6, 0))
    template_fallback_language: Mapped[str] = mapped_column(sa.String(8), default="en")
    # A notice too long for one template: every part at once ("all"), or the opening and
    # the rest once the parent replies MORE ("more": fewer paid templates).
    long_notice_form: Mapped[str] = mapped_column(sa.String(8), default="all", server_default="all")
    # Teachers' WhatsApp commands: preview and wait for YES, and whom they may message.
    require_confirmation: Mapped[bool] = mapped_column(default=True)
    teachers_may_target_any: Mapped[bool] = mapped_column(default=False)
    # Non-urgent notices collected into one message per guardian at this Nepal time (None:
    # each goes on its own), and at most this many non-urgent messages a guardian a day.
    digest_at: Mapped[time | None] = mapped_column(sa.Time)
    daily_cap: Mapped[int | None]
    # The class teacher and the admins are told after this many school days absent in a row.
    absence_alert_days: Mapped[int] = mapped_column(default=3, server_default="3")
    # Lower limits than Meta's for attachments (None: Meta's, 5 MB a photo, 100 MB a PDF).
    max_image_bytes: Mapped[int | None]
    max_document_bytes: Mapped[int | None]
    # Reports: the share of guardians a broadcast should reach within 5 minutes (percent).
    reach_target: Mapped[int] = mapped_column(default=97, server_default="97")
    # The weekly summary on WhatsApp: to whom (one of the school's teachers, the principal
    # usually), on which Nepal weekday (0 Monday .. 6 Sunday) and time; the Nepal date of
    # the last one queued, so each week gets one.
    summary_teacher_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(
            "teachers.id",
            ondelete="SET NULL",
            use_alter=True,  # teachers belong to schools: the tables refer to each other
            name="fk_schools_summary_teacher_id_teachers",
        )
    )
    summary_weekday: Mapped[int] = mapped_column(sa.SmallInteger, default=6, server_default="6")
    summary_at: Mapped[time] = mapped_column(sa.Time, default=time(8, 0), server_default="08:00:00")
    summary_sent_on: Mapped[date | None]
    # Set when Meta reports a quality, policy, token or payment problem: sending stops.
    sending_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_reason: Mapped[str | None] = mapped_column(sa.String(300))

    portfolio: Mapped["Portfolio | None"] = relationship()

    def display_name(self, locale: str) -> str:
        """The school's name in the reader's language, falling back to the English one."""
        return self.name_ne if locale == "ne" and self.name_ne else self.name

    def __repr__(self) -> str:
        return f"<School {self.slug}>"


class Alert(db.Model):
    """Something a school's admins must act on (a paused number, a misconfigured template)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    code: Mapped[int | None]
    # What happened: "paused", "failed" (a Meta error code), or a template's trouble
    # ("template_rejected", "template_paused", "template_disabled", "template_marketing", ...).
    action: Mapped[str] = mapped_column(sa.String(32))
    details: Mapped[str] = mapped_column(sa.Text, default="")
    # For template alerts: the template's name, language, Meta's reason.
    data: Mapped[dict | None] = mapped_column(sa.JSON)
    # A student absent several school days in a row ("absent_streak"): who, and since when.
    student_id: Mapped[int | None] = mapped_column(sa.ForeignKey("students.id"))
    since_on: Mapped[date | None]

    student: Mapped["Student | None"] = relationship()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
