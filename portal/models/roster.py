"""The roster: teachers, classes, students, guardians, who is whose, and attendance."""

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from portal.extensions import db
from portal.lexicon import classnames
from portal.models.base import LANGUAGES, Timestamps, UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.models.school import School

GUARDIAN_LANGUAGES = (*LANGUAGES, "both")

teacher_classes = sa.Table(
    "teacher_classes",
    db.metadata,
    sa.Column("teacher_id", sa.ForeignKey("teachers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("class_id", sa.ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True),
)


class Teacher(Timestamps, db.Model):
    """A teacher who sends notices from WhatsApp, identified by their phone number."""

    __tablename__ = "teachers"
    __table_args__ = (
        sa.UniqueConstraint("school_id", "phone"),
        sa.UniqueConstraint("school_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    phone: Mapped[str] = mapped_column(sa.String(20))
    # The business-scoped user id Meta sends beside the number (usernames, 2026).
    user_id: Mapped[str | None] = mapped_column(sa.String(140))
    language: Mapped[str] = mapped_column(
        sa.Enum(*LANGUAGES, name="teacher_language", native_enum=False), default="ne"
    )
    active: Mapped[bool] = mapped_column(default=True)

    school: Mapped["School"] = relationship(foreign_keys=[school_id])
    classes: Mapped[list["SchoolClass"]] = relationship(
        secondary=teacher_classes, order_by="(SchoolClass.grade, SchoolClass.section)"
    )

    def __repr__(self) -> str:
        return f"<Teacher {self.name} {self.phone}>"


class SchoolClass(Timestamps, db.Model):
    """A class such as 5A: a grade and a section in one academic year (Bikram Sambat)."""

    __tablename__ = "classes"
    __table_args__ = (sa.UniqueConstraint("school_id", "academic_year", "grade", "section"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    grade: Mapped[int]
    section: Mapped[str] = mapped_column(sa.String(8), default="")
    academic_year: Mapped[int]

    school: Mapped["School"] = relationship()
    students: WriteOnlyMapped["Student"] = relationship(back_populates="school_class")

    @property
    def name(self) -> str:
        """The name as the school writes it: `5A`, `10B`, or `5` for a one-section grade."""
        return classnames.name_of(self.grade, self.section)

    @property
    def name_ne(self) -> str:
        """The name in Nepali: Devanagari digits and section letter (`५क`)."""
        return classnames.name_ne_of(self.grade, self.section)

    def __repr__(self) -> str:
        return f"<SchoolClass {self.name} {self.academic_year}>"


class Student(Timestamps, db.Model):
    __tablename__ = "students"
    __table_args__ = (sa.UniqueConstraint("class_id", "roll"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    class_id: Mapped[int] = mapped_column(sa.ForeignKey("classes.id"), index=True)
    roll: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(200))
    name_ne: Mapped[str | None] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)

    school_class: Mapped[SchoolClass] = relationship(back_populates="students")
    links: Mapped[list["StudentGuardian"]] = relationship(
        back_populates="student", cascade="all, delete-orphan"
    )

    def display_name(self, locale: str) -> str:
        return self.name_ne if locale == "ne" and self.name_ne else self.name

    def __repr__(self) -> str:
        return f"<Student {self.name} roll {self.roll}>"


class Guardian(Timestamps, db.Model):
    """A parent or guardian, reached on WhatsApp at one E.164 number (unique per school)."""

    __tablename__ = "guardians"
    __table_args__ = (
        sa.UniqueConstraint("school_id", "phone"),
        sa.UniqueConstraint("school_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    phone: Mapped[str] = mapped_column(sa.String(20))
    wa_id: Mapped[str | None] = mapped_column(sa.String(64))
    # The business-scoped user id Meta sends beside the number (usernames, 2026).
    user_id: Mapped[str | None] = mapped_column(sa.String(140))
    language: Mapped[str] = mapped_column(
        sa.Enum(*GUARDIAN_LANGUAGES, name="guardian_language", native_enum=False), default="ne"
    )
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the STOP or START last applied was sent: an older one arriving later changes nothing.
    subscription_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the parent chose their language by replying (that message's time); a roster
    # import keeps it then, and an older choice arriving later changes nothing.
    language_chosen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(default=True)

    school: Mapped["School"] = relationship()
    links: Mapped[list["StudentGuardian"]] = relationship(
        back_populates="guardian", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Guardian {self.name} {self.phone}>"


class StudentGuardian(db.Model):
    """Who is whose: a guardian of a student, and whether they receive the school's notices."""

    __tablename__ = "student_guardians"

    student_id: Mapped[int] = mapped_column(
        sa.ForeignKey("students.id", ondelete="CASCADE"), primary_key=True
    )
    guardian_id: Mapped[int] = mapped_column(
        sa.ForeignKey("guardians.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    relation: Mapped[str] = mapped_column(sa.String(40), default="")
    receives_notices: Mapped[bool] = mapped_column(default=True)

    student: Mapped[Student] = relationship(back_populates="links")
    guardian: Mapped[Guardian] = relationship(back_populates="links")


class AttendanceRecord(db.Model):
    """A student marked absent on a day (Nepal date), by a teacher's ABSENT command."""

    __tablename__ = "attendance_records"
    __table_args__ = (sa.UniqueConstraint("student_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"))
    day: Mapped[date]
    status: Mapped[str] = mapped_column(sa.String(16), default="absent")
    teacher_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teachers.id"))
    broadcast_id: Mapped[int | None] = mapped_column(sa.ForeignKey("broadcasts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
