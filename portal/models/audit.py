"""The audit trail: every change an admin, a teacher, the API or a command made."""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.models.accounts import ApiToken, User
    from portal.models.roster import Teacher


class Actor(StrEnum):
    """Who made a change."""

    USER = "user"  # someone signed in to the portal (user_id)
    TEACHER = "teacher"  # a teacher on WhatsApp (teacher_id)
    API = "api"  # a program with the school's API token (api_token_id)
    CLI = "cli"  # the command line
    SYSTEM = "system"  # Sandesh itself (an expired draft)


class AuditLog(db.Model):
    """One change made to a school, by whom, with what changed."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    actor: Mapped[str] = mapped_column(sa.String(16), default=Actor.CLI, server_default="cli")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    teacher_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teachers.id"))
    api_token_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_tokens.id"))
    action: Mapped[str] = mapped_column(sa.String(64))
    target_type: Mapped[str] = mapped_column(sa.String(40), default="")
    target_id: Mapped[int | None]
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    user: Mapped["User | None"] = relationship()
    teacher: Mapped["Teacher | None"] = relationship()
    api_token: Mapped["ApiToken | None"] = relationship()
