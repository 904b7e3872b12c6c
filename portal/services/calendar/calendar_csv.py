"""The school calendar as CSV: exported with both calendars' dates, imported whole or not
at all (every bad row reported with its line number, the header being line 1).

Columns (header names case-insensitive, UTF-8 with or without BOM): `start` required,
`end`, `name`, `name_ne`, `closed` (yes/no, default yes) optional; a date is AD
(`2025-10-20`) or Bikram Sambat (`2082-07-03`, years from 2060, either kind of digits).
An entry already in the calendar (same days and name) is not added twice."""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

import nepali_datetime
from flask_babel import lazy_gettext as _l

from portal.lexicon.numerals import to_ascii_digits
from portal.models import Holiday
from portal.services.calendar import holidays
from portal.services.common import audit, spreadsheet
from portal.services.common.dates import to_bs

COLUMNS = ("start", "end", "start_bs", "end_bs", "name", "name_ne", "closed", "prefilled")
FIRST_BS_YEAR = 2060
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_YES = {"", "yes", "y", "true", "1", "हो", "closed", "बन्द"}
_NO = {"no", "n", "false", "0", "होइन", "open", "खुला"}


@dataclass
class CalendarImport:
    """What an import did, or every row that stopped it."""

    added: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def export_csv(school_id: int, first: date, last: date) -> str:
    """The entries touching those days, one row each, both calendars' dates; a name a
    spreadsheet would run as a formula is kept as text (read back as it was)."""
    rows = (
        [
            h.starts_on.isoformat(),
            h.ends_on.isoformat(),
            _bs_text(h.starts_on),
            _bs_text(h.ends_on),
            h.name,
            h.name_ne or "",
            "yes" if h.closed else "no",
            "yes" if h.prefilled else "no",
        ]
        for h in holidays.between(school_id, first, last)
    )
    return "".join(spreadsheet.csv_lines(COLUMNS, rows))


def _bs_text(day: date) -> str:
    bs = to_bs(day)
    return f"{bs.year}-{bs.month:02d}-{bs.day:02d}"


def read_day(text: str) -> date:
    """An AD or Bikram Sambat date as typed; raises ValueError with a reason."""
    match = _DATE.match(to_ascii_digits(text or "").strip())
    if not match:
        raise ValueError(str(_l("“%(text)s” is not a date such as 2025-10-20.", text=text)))
    year, month, day = (int(part) for part in match.groups())
    try:
        if year >= FIRST_BS_YEAR:
            return nepali_datetime.date(year, month, day).to_datetime_date()
        return date(year, month, day)
    except (ValueError, OverflowError, KeyError, IndexError):
        raise ValueError(str(_l("There is no such date: %(text)s.", text=text))) from None


def import_csv(*, school_id: int, data: bytes, user_id: int | None) -> CalendarImport:
    """Add the file's entries to the calendar, or nothing if any row is bad."""
    report = CalendarImport()
    rows = _rows(data, report)
    entries = []
    for line, cells in rows:
        try:
            entries.append(_entry(cells))
        except (ValueError, holidays.HolidayError) as error:
            report.errors.append((line, str(error)))
    if report.errors:
        return report
    known = {_key(h) for h in _existing(school_id, entries)}
    for values in entries:
        if _key(values) in known:
            report.unchanged += 1
            continue
        known.add(_key(values))
        holidays.add_holiday(school_id=school_id, user_id=None, **values)
        report.added += 1
    audit.record(
        school_id=school_id,
        user_id=user_id,
        action="holiday.import",
        changes={"added": [None, report.added], "unchanged": [None, report.unchanged]},
    )
    return report


def _rows(data: bytes, report: CalendarImport) -> list[tuple[int, dict[str, str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append((1, str(_l("The file is not UTF-8 text."))))
        return []
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip().lower() for cell in next(reader, [])]
    if "start" not in header:
        report.errors.append((1, str(_l("The first line must name the columns, with start."))))
        return []
    rows = []
    for line, cells in enumerate(reader, start=2):
        if any(cell.strip() for cell in cells):
            read = (spreadsheet.as_written(c.strip()) for c in cells)
            rows.append((line, dict(zip(header, read, strict=False))))
    if not rows:
        report.errors.append((1, str(_l("The file has no days in it."))))
    return rows


def _entry(cells: dict[str, str]) -> dict:
    starts_on = read_day(cells.get("start", ""))
    ends_on = read_day(cells["end"]) if cells.get("end") else starts_on
    closed_text = cells.get("closed", "").casefold()
    if closed_text not in _YES | _NO:
        raise ValueError(str(_l("“closed” must be yes or no, not “%(text)s”.", text=closed_text)))
    return holidays.checked(
        starts_on=starts_on,
        ends_on=ends_on,
        name=cells.get("name", ""),
        name_ne=cells.get("name_ne"),
        closed=closed_text in _YES,
    )


def _existing(school_id: int, entries: list[dict]) -> list[Holiday]:
    first = min(e["starts_on"] for e in entries)
    last = max(e["ends_on"] for e in entries)
    return holidays.between(school_id, first, last)


def _key(entry) -> tuple:
    get = entry.get if isinstance(entry, dict) else lambda name: getattr(entry, name)
    return get("starts_on"), get("ends_on"), get("name")
