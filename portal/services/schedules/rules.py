"""When a recurring schedule's occurrences fall: pure date arithmetic on the Nepal clock and
the Bikram Sambat calendar, with the school's calendar deciding holidays."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import nepali_datetime

from portal.models import Every, OnHoliday
from portal.services.calendar.days import Marked, SchoolCalendar
from portal.services.common.dates import NEPAL, to_bs

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
MOVE_LIMIT = timedelta(days=40)  # Dashain and Tihar together are about a month
HORIZON = timedelta(days=400)  # how far ahead occurrences are looked for


@dataclass(frozen=True)
class Rule:
    every: str
    at: time
    weekdays: tuple[int, ...] = ()
    bs_day: int | None = None
    on_holiday: str = OnHoliday.SKIP


@dataclass(frozen=True)
class Occurrence:
    """One send: the rule's own day (`on`, the key), the day it goes and when (UTC)."""

    on: date
    day: date
    at: datetime
    holiday: Marked | None = None  # why it moved from `on`, if it did


@dataclass(frozen=True)
class Skipped:
    """A day of the rule that falls on a holiday and is not sent."""

    on: date
    holiday: Marked


def rule_of(schedule) -> Rule:
    return Rule(
        every=schedule.every,
        at=schedule.at,
        weekdays=tuple(sorted(schedule.weekdays or ())),
        bs_day=schedule.bs_day,
        on_holiday=schedule.on_holiday,
    )


def bs_month_length(year: int, month: int) -> int:
    """Days in a Bikram Sambat month (29 to 32)."""
    first = nepali_datetime.date(year, month, 1).to_datetime_date()
    following = nepali_datetime.date(year + month // 12, month % 12 + 1, 1).to_datetime_date()
    return (following - first).days


def names_day(rule: Rule, day: date) -> bool:
    """Whether the rule names this day (a BS day past a short month's end: its last day)."""
    if rule.every == Every.DAY:
        return True
    if rule.every == Every.WEEK:
        return day.weekday() in rule.weekdays
    bs = to_bs(day)
    return bs.day == min(rule.bs_day or 1, bs_month_length(bs.year, bs.month))


def moment(day: date, at: time) -> datetime:
    """That Nepal wall-clock time on that day, in UTC."""
    return datetime.combine(day, at, tzinfo=NEPAL).astimezone(UTC)


def plan(
    rule: Rule, *, starts_on: date, ends_on: date | None, calendar: SchoolCalendar, first: date
) -> list:
    """Occurrences and skipped days for the rule's days from `first` (not before the
    start) to the end of the calendar's span, in order of the rule's days."""
    found, day = [], max(first, starts_on)
    last = calendar.last if ends_on is None else min(ends_on, calendar.last)
    while day <= last:
        if names_day(rule, day):
            found.append(_place(rule, day, calendar))
        day += timedelta(days=1)
    return [item for item in found if item is not None]


def _place(rule: Rule, day: date, calendar: SchoolCalendar):
    holiday = calendar.holiday(day)
    if holiday is None:
        return Occurrence(day, day, moment(day, rule.at))
    if rule.on_holiday == OnHoliday.SKIP:
        return Skipped(day, holiday)
    moved = calendar.next_school_day(day)
    if moved is None or moved - day > MOVE_LIMIT or names_day(rule, moved):
        return Skipped(day, holiday)  # the next school day has its own occurrence
    return Occurrence(day, moved, moment(moved, rule.at), holiday)


def upcoming(
    rule: Rule,
    *,
    school_id: int,
    starts_on: date,
    ends_on: date | None,
    after: datetime,
    taken: set[date] = frozenset(),
    count: int = 5,
) -> tuple[list[Occurrence], list[Skipped]]:
    """The next `count` occurrences after `after` (none whose day is `taken`), and the
    holidays skipped before the last of them."""
    today = after.astimezone(NEPAL).date()
    first = today - MOVE_LIMIT  # a day before today may have moved past it
    calendar = SchoolCalendar(school_id, first, today + HORIZON + MOVE_LIMIT)
    items = plan(rule, starts_on=starts_on, ends_on=ends_on, calendar=calendar, first=first)
    items = [i for i in items if i.on <= today + HORIZON]
    occurrences = sorted(
        (i for i in items if isinstance(i, Occurrence) and i.at > after and i.on not in taken),
        key=lambda occurrence: occurrence.at,
    )[:count]
    until = occurrences[-1].on if len(occurrences) == count else date.max
    skipped = [i for i in items if isinstance(i, Skipped) and today <= i.on <= until]
    return occurrences, skipped
