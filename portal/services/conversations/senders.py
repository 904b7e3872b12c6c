"""Who is behind a number (or a business-scoped user id) at a school: one lookup for routing
an inbound message and for the phone simulator, so both see the same person."""

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


def identify(*, school_id: int, phone: str | None, user_id: str | None = None) -> Sender:
    """The person who writes from this E.164 number to the school, a teacher first; someone
    who came without a number (a username) is found by their business-scoped user id."""
    for kind, model in (("teacher", Teacher), ("guardian", Guardian)):
        record = find(model, school_id, phone, user_id)
        if record is not None:
            return Sender(kind, **{kind: record})
    return Sender("unknown")


def find(model, school_id: int, phone: str | None, user_id: str | None):
    query = sa.select(model).where(model.school_id == school_id)
    if model is Teacher:
        query = query.where(Teacher.active).options(selectinload(Teacher.classes))
    if phone:
        found = db.session.scalar(query.where(model.phone == phone))
        if found is not None or not user_id:
            return found
    if user_id:
        return db.session.scalar(query.where(model.user_id == user_id))
    return None
