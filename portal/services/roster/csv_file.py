"""Reading a roster CSV: its rows with their line numbers, every cell checked, nothing written.

One row per (student, guardian) pair; header names case-insensitive; UTF-8 with or without BOM.
Lines are counted as in the file, the header being line 1.
"""

import csv
import io
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.services.common.phones import InvalidPhone, normalize_phone
from portal.services.roster.cells import (
    CellError,
    Local,
    class_label,
    clean_name,
    parse_class_name,
    parse_language,
    parse_relation,
    parse_roll,
    same_name,
)

REQUIRED = ("class", "roll", "student", "guardian", "phone", "language")
OPTIONAL = ("student_ne", "relation")
Record = tuple[int, dict[str, str]]


@dataclass(frozen=True)
class RowError:
    """One problem in the file: its line (header = 1), the column ("" for the whole line), why."""

    line: int
    column: str
    reason: object  # a lazy string, rendered in the reader's language


@dataclass
class Entry:
    """One good row of the file, its cells parsed."""

    line: int
    grade: int
    section: str
    roll: int
    student: str
    student_ne: str | None
    guardian: str
    phone: str
    language: str
    relation: str

    @property
    def class_key(self) -> tuple[int, str]:
        return (self.grade, self.section)

    @property
    def student_key(self) -> tuple[int, str, int]:
        return (self.grade, self.section, self.roll)


def read_csv(data: bytes) -> tuple[list[Record], list[RowError]]:
    """The file's rows as (line, {column: text}), or the problems that stop it being read."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        reason = _l("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.")
        return [], [RowError(line, "", reason)]
    if not text.strip():
        return [], [RowError(1, "", _l("The file is empty."))]
    if "\x00" in text:  # no database text holds NUL; a UTF-16 file read as UTF-8 is full of it
        line = text[: text.index("\x00")].count("\n") + 1
        reason = _l("The file holds NUL characters. Save it as “CSV UTF-8” and try again.")
        return [], [RowError(line, "", reason)]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        return _records(reader)
    except csv.Error as exc:
        reason = _l("The file cannot be read as CSV: %(reason)s", reason=str(exc))
        return [], [RowError(reader.line_num, "", reason)]


def _delimiter(text: str) -> str:
    """Comma, or the semicolon or tab some spreadsheet programs write instead."""
    header = text.lstrip().partition("\n")[0]
    return max((",", ";", "\t"), key=header.count)


def _records(reader) -> tuple[list[Record], list[RowError]]:
    header, header_line, records, last = None, 1, [], 0
    for row in reader:
        line, last = last + 1, reader.line_num  # a quoted cell may span lines: count from start
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header, header_line = [_column_name(cell) for cell in row], line
            errors = _header_errors(header, line)
            if errors:
                return [], errors
            continue
        records.append(
            (line, {name: (row[i] if i < len(row) else "") for i, name in enumerate(header)})
        )
    if not records:
        return [], [RowError(header_line, "", _l("The file has a header but no rows under it."))]
    return records, []


def _column_name(cell: str) -> str:
    return "_".join(cell.strip().lower().split())


def _header_errors(header: list[str], line: int) -> list[RowError]:
    missing = [name for name in REQUIRED if name not in header]
    if len(missing) == len(REQUIRED):
        reason = _l(
            "The first line must name the columns: %(columns)s.", columns=", ".join(REQUIRED)
        )
        return [RowError(line, "", reason)]
    doubled = sorted({name for name in header if name and header.count(name) > 1})
    errors = [
        RowError(line, name, _l("The header has no “%(column)s” column.", column=name))
        for name in missing
    ]
    errors += [
        RowError(line, name, _l("The “%(column)s” column appears twice.", column=name))
        for name in doubled
    ]
    return errors


def parse_record(line: int, cells: dict[str, str]) -> tuple[Entry | None, list[RowError]]:
    """The row as an Entry, or every problem in it."""
    values, errors = {}, []
    for column, parse in _PARSERS:
        try:
            values[column] = parse(cells.get(column, ""))
        except (CellError, InvalidPhone) as exc:
            errors.append(RowError(line, column, exc.reason))
    if errors:
        return None, errors
    (grade, section) = values.pop("class")
    return Entry(line=line, grade=grade, section=section, **values), []


_PARSERS = (
    ("class", parse_class_name),
    ("roll", parse_roll),
    ("student", clean_name),
    ("student_ne", lambda raw: clean_name(raw, required=False)),
    ("guardian", clean_name),
    ("phone", normalize_phone),
    ("language", parse_language),
    ("relation", parse_relation),
)


def check_records(records: list[Record], progress=None) -> tuple[list[Entry], list[RowError]]:
    """Every row parsed and checked against the others; errors for all bad rows."""
    entries, errors = [], []
    for done, (line, cells) in enumerate(records, start=1):
        entry, problems = parse_record(line, cells)
        errors += problems
        if entry:
            entries.append(entry)
        if progress and done % 250 == 0:
            progress(250)
    if progress:
        progress(len(records) % 250)
    errors += _conflicts(entries)
    errors.sort(key=lambda e: (e.line, _column_order(e.column)))
    return entries, errors


def _column_order(column: str) -> int:
    order = ("", *REQUIRED[:3], "student_ne", *REQUIRED[3:], "relation")
    return order.index(column) if column in order else len(order)


def _conflicts(entries: list[Entry]) -> list[RowError]:
    """Rows that disagree with an earlier row about the same student or the same phone."""
    students: dict[tuple, Entry] = {}
    guardians: dict[str, Entry] = {}
    errors = []
    for entry in entries:
        first = students.setdefault(entry.student_key, entry)
        errors += _student_conflicts(first, entry)
        if not first.student_ne:
            first.student_ne = entry.student_ne
        errors += _guardian_conflicts(guardians.setdefault(entry.phone, entry), entry)
    return errors


def _student_conflicts(first: Entry, entry: Entry) -> list[RowError]:
    where = {"roll": Local(entry.roll), "class": class_label(entry.grade, entry.section)}
    errors = []
    if not same_name(first.student, entry.student):
        reason = _l(
            "Roll %(roll)s of class %(class)s is “%(name)s” on line %(line)s.",
            name=first.student,
            line=Local(first.line),
            **where,
        )
        errors.append(RowError(entry.line, "student", reason))
    if first.student_ne and entry.student_ne and not same_name(first.student_ne, entry.student_ne):
        reason = _l(
            "Roll %(roll)s of class %(class)s is “%(name)s” on line %(line)s.",
            name=first.student_ne,
            line=Local(first.line),
            **where,
        )
        errors.append(RowError(entry.line, "student_ne", reason))
    return errors


def _guardian_conflicts(first: Entry, entry: Entry) -> list[RowError]:
    errors = []
    if not same_name(first.guardian, entry.guardian):
        reason = _l(
            "This phone number belongs to “%(name)s” on line %(line)s.",
            name=first.guardian,
            line=Local(first.line),
        )
        errors.append(RowError(entry.line, "guardian", reason))
    if first.language != entry.language:
        reason = _l(
            "This guardian's language is “%(language)s” on line %(line)s.",
            language=first.language,
            line=Local(first.line),
        )
        errors.append(RowError(entry.line, "language", reason))
    return errors
