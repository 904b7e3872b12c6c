"""Who a broadcast is for: class names as schools write them, resolved to guardians.

`5A`, `5 A`, `५क`, `5ka` (section क = A), `LKG B` name one class; `5` or `LKG` a whole grade
or level (every section of it); `ALL` / `सबै` the school.
Targets resolve at send time against the school's latest academic year.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.lexicon import classnames
from portal.lexicon.numerals import to_ascii_digits
from portal.models import Guardian, SchoolClass, Student, StudentGuardian

ALL_WORDS = {"ALL", "सबै", "SABAI"}


class UnknownTarget(ValueError):
    """A target that names no class of the school; `str()` says which, in the reader's language."""

    def __init__(self, target: str):
        super().__init__(target)
        self.target = target

    def __str__(self) -> str:
        return str(_l("“%(target)s” is not a class of this school.", target=self.target))


@dataclass(frozen=True)
class Target:
    """A parsed target: the whole school, a grade (section None) or one class."""

    grade: int | None
    section: str | None

    @property
    def label(self) -> str:
        if self.grade is None:
            return "ALL"
        return classnames.name_of(self.grade, self.section or "")


def parse_target(text: str) -> Target | None:
    """`5A` → Target(5, "A"); `५क` → Target(5, "A"); `5` → Target(5, None); None if unreadable."""
    if to_ascii_digits(text.strip()).upper() in ALL_WORDS:
        return Target(None, None)
    name = classnames.read(text)
    return None if name is None else Target(name.grade, name.section)


def latest_year(school_id: int) -> int | None:
    """The school's current academic year: the latest one it has classes in."""
    query = sa.select(sa.func.max(SchoolClass.academic_year))
    return db.session.scalar(query.where(SchoolClass.school_id == school_id))


def resolve_classes(*, school_id: int, targets: list[str]) -> list[SchoolClass]:
    """The classes the targets name; raises UnknownTarget for the first that names none."""
    year = latest_year(school_id)
    classes = db.session.scalars(
        sa.select(SchoolClass)
        .where(SchoolClass.school_id == school_id, SchoolClass.academic_year == year)
        .order_by(SchoolClass.grade, SchoolClass.section)
    ).all()
    chosen: dict[int, SchoolClass] = {}
    for text in targets:
        target = parse_target(text)
        matched = [c for c in classes if target and _matches(target, c)]
        if not matched:
            raise UnknownTarget(text)
        chosen.update((c.id, c) for c in matched)
    return sorted(chosen.values(), key=lambda c: (c.grade, c.section))


def _matches(target: Target, cls: SchoolClass) -> bool:
    if target.grade is None:
        return True
    if target.grade != cls.grade:
        return False
    return target.section is None or target.section == cls.section.upper()


def recipients(
    *, school_id: int, class_ids: list[int], student_ids: list[int] | None = None
) -> dict[int, list[int]]:
    """{guardian_id: [student_id, ...]} for active students of those classes (or only the
    given students) whose active guardians receive notices — one entry per guardian."""
    query = (
        sa.select(StudentGuardian.guardian_id, Student.id)
        .join(Student, Student.id == StudentGuardian.student_id)
        .join(Guardian, Guardian.id == StudentGuardian.guardian_id)
        .where(
            StudentGuardian.school_id == school_id,
            StudentGuardian.receives_notices,
            Student.active,
            Guardian.active,
            Student.class_id.in_(class_ids),
        )
        .order_by(StudentGuardian.guardian_id, Student.id)
    )
    if student_ids is not None:
        query = query.where(Student.id.in_(student_ids))
    result: dict[int, list[int]] = {}
    for guardian_id, student_id in db.session.execute(query):
        result.setdefault(guardian_id, []).append(student_id)
    return result


def target_choices(school_id: int) -> list[tuple[int, list[SchoolClass]]]:
    """The classes a broadcast can name, grouped by grade (the year targets resolve in)."""
    year = latest_year(school_id)
    classes = db.session.scalars(
        sa.select(SchoolClass)
        .where(SchoolClass.school_id == school_id, SchoolClass.academic_year == year)
        .order_by(SchoolClass.grade, SchoolClass.section)
    )
    grades: dict[int, list[SchoolClass]] = {}
    for cls in classes:
        grades.setdefault(cls.grade, []).append(cls)
    return list(grades.items())
