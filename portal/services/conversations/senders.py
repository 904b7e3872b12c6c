"""Who is behind a number at a school: one lookup for routing an inbound message and for
the phone simulator, so both see the same person."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Guardian, Teacher


@dataclass
class Sender:
    """A teacher (active ones only), a guardian (active or not: the caller decides what an
    inactive one may do) or a stranger."""

    kind: str  # teacher, guardian or unknown
    teacher: Teacher | None = None
    guardian: Guardian | None = None

    @property
    def record(self) -> Teacher | Guardian | None:
        return self.teacher or self.guardian

    @property
    def name(self) -> str | None:
        return self.record.name if self.record is not None else None


def identify(*, school_id: int, phone: str) -> Sender:
    """The person who writes from this E.164 number to the school: a teacher first."""
    teacher = db.session.scalar(
        sa.select(Teacher)
        .where(Teacher.school_id == school_id, Teacher.phone == phone, Teacher.active)
        .options(selectinload(Teacher.classes))
    )
    if teacher is not None:
        return Sender("teacher", teacher=teacher)
    guardian = db.session.scalar(
        sa.select(Guardian).where(Guardian.school_id == school_id, Guardian.phone == phone)
    )
    if guardian is not None:
        return Sender("guardian", guardian=guardian)
    return Sender("unknown")
