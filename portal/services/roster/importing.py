"""Roster import: a school's CSV of (student, guardian) rows, checked in full, then upserted.

A file with any bad row imports nothing; every bad row is reported with its line. Importing
the same file again changes nothing: students are matched by (class, roll), guardians by
phone, links by the pair. Classes missing from the current academic year are created.
Nothing is ever deleted, a guardian who opted out stays opted out, and a language a guardian
chose themselves (by replying NEPALI or ENGLISH) is kept whatever the file says (the report
counts those). `only_new` adds what is missing and changes nothing that exists (the demo).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import Guardian, School, SchoolClass, Student, StudentGuardian
from portal.services.common import audit
from portal.services.common.dates import current_bs_year
from portal.services.roster.csv_file import Entry, Record, RowError, check_records, read_csv

Progress = Callable[[int], None]
KINDS = {
    "classes": _l("Classes"),
    "students": _l("Students"),
    "guardians": _l("Guardians"),
    "links": _l("Student–guardian links"),
}


@dataclass
class Tally:
    """How many records of one kind the import created, updated or left as they were."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def count(self, changed: bool | None) -> None:
        """Count one record: None for created, else whether it was updated."""
        if changed is None:
            self.created += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1


@dataclass
class ImportReport:
    """What an import found and did (or, on a dry run, would do)."""

    filename: str = ""
    dry_run: bool = False
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    classes: Tally = field(default_factory=Tally)
    students: Tally = field(default_factory=Tally)
    guardians: Tally = field(default_factory=Tally)
    links: Tally = field(default_factory=Tally)
    # Guardians whose own choice of language was kept although the file says another.
    kept_languages: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_lines(self) -> int:
        """How many lines of the file have at least one problem."""
        return len({e.line for e in self.errors})

    @property
    def changed(self) -> bool:
        return any(t.created or t.updated for _, t in self.tallies())

    def tallies(self) -> list[tuple[str, Tally]]:
        """(kind, tally) in the order reports show them."""
        return [
            ("classes", self.classes),
            ("students", self.students),
            ("guardians", self.guardians),
            ("links", self.links),
        ]

    def summary(self) -> dict:
        """The counts as audit-log changes: {"students_created": [None, 12], ...}."""
        changes = {"file": [None, self.filename], "rows": [None, self.rows]}
        for kind, tally in self.tallies():
            for outcome in ("created", "updated", "unchanged"):
                changes[f"{kind}_{outcome}"] = [None, getattr(tally, outcome)]
        if self.kept_languages:
            changes["kept_languages"] = [None, self.kept_languages]
        return changes


def import_csv(
    *,
    school: School,
    data: bytes,
    filename: str = "",
    dry_run: bool = False,
    user_id: int | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Check a roster CSV and, if every row is good and this is not a dry run, import it."""
    records, errors = read_csv(data)
    if errors:
        return ImportReport(filename=filename, dry_run=dry_run, errors=errors)
    return import_records(
        school=school,
        records=records,
        filename=filename,
        dry_run=dry_run,
        user_id=user_id,
        progress=progress,
    )


def import_records(
    *,
    school: School,
    records: list[Record],
    filename: str = "",
    dry_run: bool = False,
    user_id: int | None = None,
    progress: Progress | None = None,
    audited: bool = True,
    only_new: bool = False,
) -> ImportReport:
    """Check rows given as (line, {column: text}) and import them all, or none on any error."""
    report = ImportReport(filename=filename, dry_run=dry_run, rows=len(records))
    entries, report.errors = check_records(records, progress)
    if report.errors:
        return report
    _Upsert(school, report, write=not dry_run, only_new=only_new).run(entries)
    if progress:
        progress(len(records))
    if audited and not dry_run:
        audit.record(
            school_id=school.id, user_id=user_id, action="roster.import", changes=report.summary()
        )
    return report


class _Upsert:
    """Brings the database in line with the file: existing rows loaded in a few queries,
    new ones inserted in bulk; on a dry run only counted."""

    def __init__(self, school: School, report: ImportReport, *, write: bool, only_new: bool):
        self.school, self.report, self.write, self.only_new = school, report, write, only_new
        self.year = current_bs_year()

    def run(self, entries: list[Entry]) -> None:
        classes = self._classes({e.class_key for e in entries})
        students = self._students(classes, _first_by(entries, "student_key"))
        guardians = self._guardians(_first_by(entries, "phone"))
        self._links(entries, students, guardians)
        if self.write:
            db.session.flush()

    def _sync(self, obj, values: dict) -> bool:
        """Whether obj differs from values; on a real run, make it match (never when only
        new rows are to be added)."""
        if self.only_new:
            return False
        changed = {k: v for k, v in values.items() if getattr(obj, k) != v}
        if self.write:
            for key, value in changed.items():
                setattr(obj, key, value)
        return bool(changed)

    def _insert(self, model, rows: list[dict], *returning) -> list:
        """Insert many rows at once (a real run only); the `returning` columns of each."""
        if not rows or not self.write:
            return []
        if not returning:
            db.session.execute(sa.insert(model), rows)
            return []
        return db.session.execute(sa.insert(model).returning(*returning), rows).all()

    def _classes(self, keys: set) -> dict:
        query = sa.select(SchoolClass).where(
            SchoolClass.school_id == self.school.id, SchoolClass.academic_year == self.year
        )
        found = {(c.grade, c.section): c for c in db.session.scalars(query)}
        for grade, section in sorted(keys):
            if (grade, section) in found:
                self.report.classes.count(False)
                continue
            found[(grade, section)] = SchoolClass(
                school_id=self.school.id, grade=grade, section=section, academic_year=self.year
            )
            if self.write:
                db.session.add(found[(grade, section)])
            self.report.classes.count(None)
        if self.write:
            db.session.flush()
        return found

    def _students(self, classes: dict, firsts: dict) -> dict:
        """Student id (None if not yet made) by (grade, section, roll)."""
        by_class = {c.id: key for key, c in classes.items() if c.id is not None}
        query = sa.select(Student).where(Student.class_id.in_(list(by_class)))
        found = {(*by_class[s.class_id], s.roll): s for s in db.session.scalars(query)}
        ids, new = {}, []
        for key, entry in firsts.items():
            student = found.get(key)
            if student is None:
                ids[key] = None
                new.append(_student_row(entry, self.school.id, classes[entry.class_key].id))
                self.report.students.count(None)
                continue
            ids[key] = student.id
            values = {"name": entry.student, "active": True}
            if entry.student_ne:
                values["name_ne"] = entry.student_ne
            self.report.students.count(self._sync(student, values))
        made = self._insert(Student, new, Student.id, Student.class_id, Student.roll)
        ids.update({(*by_class[class_id], roll): id_ for id_, class_id, roll in made})
        return ids

    def _guardians(self, firsts: dict) -> dict:
        """Guardian id (None if not yet made) by phone."""
        query = sa.select(Guardian).where(Guardian.school_id == self.school.id)
        found = {g.phone: g for g in db.session.scalars(query)}
        ids, new = {}, []
        for phone, entry in firsts.items():
            guardian = found.get(phone)
            if guardian is None:
                ids[phone] = None
                new.append(_guardian_row(entry, self.school.id))
                self.report.guardians.count(None)
                continue
            ids[phone] = guardian.id
            values = {"name": entry.guardian, "language": entry.language, "active": True}
            chosen = guardian.language_chosen_at is not None  # by the guardian, replying
            if chosen and values.pop("language") != guardian.language and not self.only_new:
                self.report.kept_languages += 1
            self.report.guardians.count(self._sync(guardian, values))
        ids.update(dict(self._insert(Guardian, new, Guardian.phone, Guardian.id)))
        return ids

    def _links(self, entries: list[Entry], students: dict, guardians: dict) -> None:
        query = sa.select(StudentGuardian).where(StudentGuardian.school_id == self.school.id)
        found = {(ln.student_id, ln.guardian_id): ln for ln in db.session.scalars(query)}
        pairs: dict[tuple, str] = {}
        for entry in entries:  # a later row may name the relation an earlier one left out
            key = (entry.student_key, entry.phone)
            pairs[key] = entry.relation or pairs.get(key, "")
        new = []
        for (student_key, phone), relation in pairs.items():
            student_id, guardian_id = students[student_key], guardians[phone]
            link = found.get((student_id, guardian_id)) if student_id and guardian_id else None
            if link is None:
                new.append(
                    {
                        "student_id": student_id,
                        "guardian_id": guardian_id,
                        "school_id": self.school.id,
                        "relation": relation,
                    }
                )
                self.report.links.count(None)
            else:
                values = {"relation": relation} if relation else {}
                self.report.links.count(self._sync(link, values))
        self._insert(StudentGuardian, new)


def _student_row(entry: Entry, school_id: int, class_id: int | None) -> dict:
    return {
        "school_id": school_id,
        "class_id": class_id,
        "roll": entry.roll,
        "name": entry.student,
        "name_ne": entry.student_ne,
    }


def _guardian_row(entry: Entry, school_id: int) -> dict:
    return {
        "school_id": school_id,
        "name": entry.guardian,
        "phone": entry.phone,
        "language": entry.language,
    }


def _first_by(entries: list[Entry], key: str) -> dict:
    """The first entry for each value of key (later rows agree with it: checked before)."""
    firsts = {}
    for entry in entries:
        firsts.setdefault(getattr(entry, key), entry)
    return firsts
