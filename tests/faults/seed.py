"""A school with thousands of guardians, made the way an operator makes one: `school add`'s
service, then a roster CSV through the import service. The caller commits."""

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Guardian
from portal.services.broadcasting import broadcasts
from portal.services.roster import importing
from portal.services.school import schools

GRADES, SECTIONS = range(1, 13), "ABCDEFGHIJ"


def roster_csv(guardians: int) -> bytes:
    """One student and one guardian per row, spread over grades 1-12 and sections A-J."""
    classes = [f"{grade}{section}" for grade in GRADES for section in SECTIONS]
    per_class = -(-guardians // len(classes))
    lines = ["class,roll,student,guardian,phone,language"]
    for i in range(guardians):
        cls, roll = classes[i // per_class], i % per_class + 1
        language = "ne" if i % 2 else "en"
        lines.append(f"{cls},{roll},Student {i},Guardian {i},+97798{i:08d},{language}")
    return "\n".join(lines).encode()


def seed_school(*, guardians: int, slug: str = "faults", phone_number_id: str):
    """A school whose roster has `guardians` guardians (and no messaging limit); the school."""
    school = schools.create_school(
        slug=slug, name="Shree Fault School", phone_number_id=phone_number_id
    )
    school.messaging_tier = "TIER_UNLIMITED"  # these runs are about faults, not the limit
    report = importing.import_csv(school=school, data=roster_csv(guardians))
    if report.errors:
        raise ValueError(f"the roster did not import: {report.errors[:3]}")
    return school


def guardian_digits(school_id: int) -> set[str]:
    """Every guardian's number as Meta's wa_id writes it (digits only)."""
    phones = db.session.scalars(sa.select(Guardian.phone).where(Guardian.school_id == school_id))
    return {phone.lstrip("+") for phone in phones}


def notice_to_everyone(school, *, body_en: str, body_ne: str):
    """A notice to the whole school, made as the portal makes one; the caller commits."""
    return broadcasts.create_broadcast(
        school=school,
        kind="notice",
        targets_given=["ALL"],
        body_en=body_en,
        body_ne=body_ne,
        source="portal",
    )
