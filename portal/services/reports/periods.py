"""The period a report covers: whole Nepal days from `first` to `last`, chosen as this
Bikram Sambat month (the default), the month before, the last 7 or 30 days, or any range
written in BS or AD (`2083-08-01`, Devanagari digits too)."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import nepali_datetime
from flask_babel import gettext as _

from portal.lexicon.numerals import to_ascii_digits
from portal.services.common import dates
from portal.services.common.dates import NEPAL

PRESETS = ("month", "last_month", "7", "30")
CALENDARS = ("bs", "ad")
LONGEST = timedelta(days=400)  # a little over a year
DATE = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*$")


class PeriodError(ValueError):
    """A period the reader wrote that cannot be read: the message says why, in their language
    (translated when raised, as plain text: what they wrote is escaped where it is shown)."""


@dataclass(frozen=True)
class Period:
    first: date  # Nepal days, both included
    last: date
    preset: str = ""  # how it was chosen ("" for a range written out)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), NEPAL)

    @property
    def end(self) -> datetime:
        """The moment after the last day."""
        return datetime.combine(self.last + timedelta(days=1), time(0), NEPAL)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def by_week(self) -> bool:
        """Longer periods are charted week by week (Sunday to Saturday), shorter day by day."""
        return self.days > 62

    def buckets(self) -> list[date]:
        """The first day of each day or week the period is charted by."""
        if not self.by_week:
            return [self.first + timedelta(days=n) for n in range(self.days)]
        first = self.bucket_of(self.first)
        return [first + timedelta(weeks=n) for n in range((self.last - first).days // 7 + 1)]

    def bucket_of(self, day: date) -> date:
        if not self.by_week:
            return day
        return day - timedelta(days=(day.weekday() + 1) % 7)  # back to Sunday

    def label(self, locale: str) -> str:
        if self.preset in ("month", "last_month"):
            return dates.format_bs_month(self.first, locale)
        first, last = (dates.format_dual_date(d, locale) for d in (self.first, self.last))
        return f"{first} – {last}"


def bs_month(day: date) -> tuple[date, date]:
    """The first and last AD days of the Bikram Sambat month a day is in."""
    bs = dates.to_bs(day)
    first = nepali_datetime.date(bs.year, bs.month, 1).to_datetime_date()
    following = first + timedelta(days=32)
    following_bs = dates.to_bs(following)
    after = nepali_datetime.date(following_bs.year, following_bs.month, 1).to_datetime_date()
    return first, after - timedelta(days=1)


def preset(name: str, today: date) -> Period:
    """A period by name, as of a Nepal day."""
    if name == "7":
        return Period(today - timedelta(days=6), today, name)
    if name == "30":
        return Period(today - timedelta(days=29), today, name)
    if name == "last_month":
        first, _last = bs_month(today)
        return Period(*bs_month(first - timedelta(days=1)), name)
    return Period(*bs_month(today), "month")


def read(args, today: date) -> Period:
    """The period a request asks for: `from` and `to` (and `calendar`, bs or ad; AD when
    absent), else a preset `period`, else this BS month."""
    first, last = args.get("from", "").strip(), args.get("to", "").strip()
    if not first and not last:
        name = args.get("period", "month")
        return preset(name if name in PRESETS else "month", today)
    calendar = args.get("calendar", "ad")
    if calendar not in CALENDARS:
        raise PeriodError(_("Choose BS or AD for the dates."))
    start, end = parse(first or last, calendar), parse(last or first, calendar)
    if end < start:
        raise PeriodError(_("The first day is after the last."))
    if end - start > LONGEST:
        raise PeriodError(_("Choose a period of at most a year."))
    return Period(start, end)


def parse(text: str, calendar: str) -> date:
    """An AD day from `YYYY-MM-DD` in that calendar."""
    match = DATE.match(to_ascii_digits(text))
    if not match:
        raise PeriodError(_("Write dates as year-month-day, such as 2083-08-01."))
    year, month, day = (int(part) for part in match.groups())
    try:
        if calendar == "bs":
            return nepali_datetime.date(year, month, day).to_datetime_date()
        found = date(year, month, day)
    except (ValueError, OverflowError, KeyError, IndexError):
        raise PeriodError(_("There is no such day: %(day)s.", day=text)) from None
    if not dates.in_bs_table(found):
        raise PeriodError(_("There is no such day: %(day)s.", day=text))
    return found


def written(day: date, calendar: str) -> str:
    """A day as the period form writes it back."""
    if calendar == "bs" and dates.in_bs_table(day):
        bs = dates.to_bs(day)
        return f"{bs.year:04d}-{bs.month:02d}-{bs.day:02d}"
    return day.isoformat()
