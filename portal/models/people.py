"""People who use Sandesh: portal users and teachers."""

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import Timestamps, UTCDateTime

ROLES = ("operator", "admin", "staff", "teacher")
LANGUAGES = ("ne", "en")
GUARDIAN_LANGUAGES = ("ne", "en", "both")

teacher_classes = sa.Table(
    "teacher_classes",
    db.metadata,
    sa.Column("teacher_id", sa.ForeignKey("teachers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("class_id", sa.ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True),
)


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

    school = relationship("School")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def can_edit_roster(self) -> bool:
        """Admins and office staff keep the roster; teachers only read it."""
        return self.role in ("admin", "staff")

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class Teacher(Timestamps, db.Model):
    """A teacher who sends notices from WhatsApp, identified by their phone number."""

    __tablename__ = "teachers"
    __table_args__ = (sa.UniqueConstraint("school_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    phone: Mapped[str] = mapped_column(sa.String(20))
    language: Mapped[str] = mapped_column(
        sa.Enum(*LANGUAGES, name="teacher_language", native_enum=False), default="ne"
    )
    active: Mapped[bool] = mapped_column(default=True)

    school = relationship("School")
    classes = relationship(
        "SchoolClass",
        secondary=teacher_classes,
        order_by="(SchoolClass.grade, SchoolClass.section)",
    )

    def __repr__(self) -> str:
        return f"<Teacher {self.name} {self.phone}>"
