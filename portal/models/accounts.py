"""Portal logins and machine access: users, login throttling, API tokens."""

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import LANGUAGES, Timestamps, UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.models.school import School

ROLES = ("operator", "admin", "staff", "teacher")


class User(UserMixin, Timestamps, db.Model):
    """A portal login. Operators have no school; everyone else belongs to exactly one."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    role: Mapped[str] = mapped_column(sa.Enum(*ROLES, name="user_role", native_enum=False))
    language: Mapped[str] = mapped_column(
        sa.Enum(*LANGUAGES, name="user_language", native_enum=False), default="ne"
    )
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session's user id: raising it (sign-out, a new password, deactivation)
    # ends every session of this user, wherever its cookie is kept.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    school: Mapped["School | None"] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What the session cookie keeps: the id and the session version it was made for."""
        return f"{self.id}:{self.session_version}"

    def can_edit_roster(self) -> bool:
        """Admins and office staff keep the roster; teachers only read it."""
        return self.role in ("admin", "staff")

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class LoginThrottle(db.Model):
    """Sign-in attempts in a window, per account at an address and per address, shared by
    every web process (counted atomically, see services/accounts/logins)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(db.Model):
    """A school's bearer token for /api/v1, stored only as its SHA-256."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotencyKey(db.Model):
    """An `Idempotency-Key` a school's program sent with POST /api/v1/broadcasts: the
    request it came with (as a digest) and the answer it got, given again for a retry.
    The portal's compose and new recurring-broadcast pages keep their submissions here too
    (keys "portal broadcast ..." and "portal schedule ...",
    `portal.services.broadcasting.submissions`), so a second press opens the first."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("school_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"))
    key: Mapped[str] = mapped_column(sa.String(255))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int]
    response: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
