"""The roster: classes, students, guardians and who is whose."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from portal.extensions import db
from portal.lexicon import classnames
from portal.models.base import Timestamps, UTCDateTime, utcnow
from portal.models.people import GUARDIAN_LANGUAGES


class SchoolClass(Timestamps, db.Model):
    """A class such as 5A: a grade and a section in one academic year (Bikram Sambat)."""

    __tablename__ = "classes"
    __table_args__ = (sa.UniqueConstraint("school_id", "academic_year", "grade", "section"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    grade: Mapped[int]
    section: Mapped[str] = mapped_column(sa.String(8), default="")
    academic_year: Mapped[int]

    school = relationship("School")
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
    __table_args__ = (sa.UniqueConstraint("school_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    phone: Mapped[str] = mapped_column(sa.String(20))
    wa_id: Mapped[str | None] = mapped_column(sa.String(64))
    language: Mapped[str] = mapped_column(
        sa.Enum(*GUARDIAN_LANGUAGES, name="guardian_language", native_enum=False), default="ne"
    )
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the parent chose their language by replying; a roster import keeps it then.
    language_chosen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(default=True)

    school = relationship("School")
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
