"""Guardians: finding them by name or phone, changing them, and linking them to students."""

import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.lexicon.numerals import to_ascii_digits
from portal.models import Guardian, Student, StudentGuardian
from portal.services.common import audit
from portal.services.common.phones import InvalidPhone, normalize_phone
from portal.services.roster.records import Conflict

FIELDS = ("name", "phone", "language")
_SEPARATORS = re.compile(r"[\s\-().]")


def phone_digits(text: str) -> str | None:
    """The digits to look for when a search looks like (part of) a phone number, else None."""
    compact = _SEPARATORS.sub("", to_ascii_digits(text or ""))
    if not re.fullmatch(r"\+?[0-9]{4,16}", compact):
        return None
    try:
        return normalize_phone(compact).lstrip("+")
    except InvalidPhone:
        return compact.lstrip("+").removeprefix("00")


def search(*, school_id: int, q: str = "", status: str = ""):
    """The school's guardians matching a name or phone, by name, with their children loaded.
    `status` is "" (active), "opted_out" (active but opted out) or "inactive"."""
    query = (
        sa.select(Guardian)
        .where(Guardian.school_id == school_id, Guardian.active == (status != "inactive"))
        .order_by(Guardian.name, Guardian.id)
        .options(
            selectinload(Guardian.links)
            .selectinload(StudentGuardian.student)
            .selectinload(Student.school_class)
        )
    )
    if status == "opted_out":
        query = query.where(Guardian.opted_out_at.is_not(None))
    q = (q or "").strip()
    if q:
        conditions = [Guardian.name.icontains(q, autoescape=True)]
        phone = phone_digits(q)
        if phone:
            conditions.append(Guardian.phone.contains(phone, autoescape=True))
        query = query.where(sa.or_(*conditions))
    return query


def with_phone(*, school_id: int, phone: str) -> Guardian | None:
    """The school's guardian with this E.164 number, if there is one."""
    return db.session.scalar(
        sa.select(Guardian).where(Guardian.school_id == school_id, Guardian.phone == phone)
    )


def update_guardian(*, guardian: Guardian, user_id: int | None, **values) -> dict:
    """Change a guardian's name, number or language; returns what changed."""
    holder = with_phone(school_id=guardian.school_id, phone=values["phone"])
    if holder is not None and holder.id != guardian.id:
        raise Conflict(
            "phone", _l("%(name)s, another guardian, already has this number.", name=holder.name)
        )
    changes = audit.diff(guardian, FIELDS, values)
    if changes:
        audit.record(
            school_id=guardian.school_id,
            user_id=user_id,
            action="guardian.update",
            target=guardian,
            changes=changes,
        )
    return changes


def link_guardian(
    *, student: Student, user_id: int | None, phone: str, name: str, language: str, **link
) -> StudentGuardian:
    """Make the school's guardian with this number (added if new) a guardian of the student."""
    guardian = with_phone(school_id=student.school_id, phone=phone)
    if guardian is None:
        guardian = _add_guardian(
            school_id=student.school_id, user_id=user_id, phone=phone, name=name, language=language
        )
    elif any(existing.guardian_id == guardian.id for existing in student.links):
        raise Conflict(
            "phone", _l("%(name)s is already linked to this student.", name=guardian.name)
        )
    created = StudentGuardian(school_id=student.school_id, student=student, guardian=guardian)
    changes = audit.diff(created, ("relation", "receives_notices"), link)
    changes["guardian"] = [None, guardian.name]
    db.session.add(created)
    audit.record(
        school_id=student.school_id,
        user_id=user_id,
        action="guardian.link",
        target=student,
        changes=changes,
    )
    return created


def _add_guardian(*, school_id: int, user_id: int | None, **values) -> Guardian:
    if not (values["name"] or "").strip():
        raise Conflict("name", _l("No guardian has this number yet: enter their name to add them."))
    guardian = Guardian(school_id=school_id)
    changes = audit.diff(guardian, FIELDS, {**values, "name": values["name"].strip()})
    db.session.add(guardian)
    db.session.flush()
    audit.record(
        school_id=school_id,
        user_id=user_id,
        action="guardian.create",
        target=guardian,
        changes=changes,
    )
    return guardian


def unlink_guardian(*, link: StudentGuardian, user_id: int | None) -> None:
    """Remove a guardian from a student (the guardian stays on the roster)."""
    audit.record(
        school_id=link.school_id,
        user_id=user_id,
        action="guardian.unlink",
        target=link.student,
        changes={"guardian": [link.guardian.name, None]},
    )
    db.session.delete(link)
