"""The school's own calendar: a year pre-filled once with Nepal's public holidays, and the
days and ranges the school adds, changes and removes (each change audited)."""

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import Holiday, HolidayYear
from portal.services.calendar import public_holidays
from portal.services.common import audit, clock, dialects
from portal.services.common.dates import NEPAL

MAX_DAYS = 366  # a longer range is a typo for a year
FIELDS = ("starts_on", "ends_on", "name", "name_ne", "closed")


class HolidayError(ValueError):
    """A calendar entry that cannot be kept as given; `str()` says why, `field` where."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field

    def __str__(self) -> str:
        return str(self.message)


def prefill_year(
    *, school_id: int, bs_year: int, user_id: int | None = None, actor: str | None = None
) -> int:
    """Add Nepal's public holidays of a Bikram Sambat year, once per school and year (a day
    the school removed stays removed); how many were added."""
    values = {"school_id": school_id, "bs_year": bs_year, "filled_at": clock.now()}
    if not _claim_year(values):
        return 0
    rows = public_holidays.for_bs_year(bs_year)
    for found in rows:
        db.session.add(
            Holiday(
                school_id=school_id,
                starts_on=found.day,
                ends_on=found.day,
                name=found.name,
                name_ne=found.name_ne,
                closed=True,
                prefilled=True,
            )
        )
    audit.record(
        school_id=school_id,
        user_id=user_id,
        actor=actor,
        action="holiday.prefill",
        changes={"bs_year": [None, bs_year], "days": [None, len(rows)]},
    )
    db.session.flush()
    return len(rows)


def _claim_year(values: dict) -> bool:
    """Mark the year filled; False when it was already (a conditional insert: one winner)."""
    statement = dialects.insert(HolidayYear).values(values).on_conflict_do_nothing()
    return db.session.execute(statement.returning(HolidayYear.bs_year)).first() is not None


def is_prefilled(school_id: int, bs_year: int) -> bool:
    return db.session.get(HolidayYear, (school_id, bs_year)) is not None


def checked(
    *, starts_on: date | None, ends_on: date | None, name: str, name_ne: str | None, closed: bool
) -> dict:
    """An entry's values, checked: a first day, an end not before it, within a year, a name."""
    name, name_ne = (name or "").strip(), (name_ne or "").strip() or None
    if starts_on is None:
        raise HolidayError(_l("Enter the first day."), "starts_on")
    ends_on = ends_on or starts_on
    if ends_on < starts_on:
        raise HolidayError(_l("The last day is before the first."), "ends_on")
    if (ends_on - starts_on).days >= MAX_DAYS:
        raise HolidayError(_l("A range can be at most a year long."), "ends_on")
    if not name and not name_ne:
        raise HolidayError(_l("Give the day a name, in English or Nepali."), "name")
    if max(len(name), len(name_ne or "")) > 200:
        raise HolidayError(_l("The name is too long: at most 200 characters."), "name")
    values = {"starts_on": starts_on, "ends_on": ends_on, "name": name or name_ne}
    return values | {"name_ne": name_ne, "closed": bool(closed)}


def add_holiday(*, school_id: int, user_id: int | None, **given) -> Holiday:
    """A new day or range in the school's calendar."""
    holiday = Holiday(school_id=school_id, prefilled=False, **checked(**given))
    db.session.add(holiday)
    db.session.flush()
    audit.record(
        school_id=school_id,
        user_id=user_id,
        action="holiday.create",
        target=holiday,
        changes={field: [None, _plain(getattr(holiday, field))] for field in FIELDS},
    )
    return holiday


def _plain(value):
    return str(value) if isinstance(value, date) else value


def update_holiday(*, holiday: Holiday, user_id: int | None, **given) -> dict:
    """Change an entry (a pre-filled one becomes the school's own); what changed."""
    changes = audit.diff(holiday, FIELDS, checked(**given))  # dates read as ISO text
    if changes:
        holiday.prefilled = False
        audit.record(
            school_id=holiday.school_id,
            user_id=user_id,
            action="holiday.update",
            target=holiday,
            changes=changes,
        )
    return changes


def remove_holiday(*, holiday: Holiday, user_id: int | None) -> None:
    audit.record(
        school_id=holiday.school_id,
        user_id=user_id,
        action="holiday.delete",
        target=holiday,
        changes={"name": [holiday.name, None], "starts_on": [str(holiday.starts_on), None]},
    )
    db.session.delete(holiday)


def between(school_id: int, first: date, last: date) -> list[Holiday]:
    """The school's entries touching the days from `first` to `last`, in order."""
    return list(
        db.session.scalars(
            sa.select(Holiday)
            .where(
                Holiday.school_id == school_id,
                Holiday.starts_on <= last,
                Holiday.ends_on >= first,
            )
            .order_by(Holiday.starts_on, Holiday.ends_on, Holiday.id)
        )
    )


def upcoming(school_id: int, *, days: int = 45) -> list[Holiday]:
    """Closed days from today on, for the date pickers."""
    today = clock.now().astimezone(NEPAL).date()
    return [h for h in between(school_id, today, today + timedelta(days=days)) if h.closed]
