"""Nepal time and the Bikram Sambat calendar, shown beside the Gregorian one."""

import functools
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import nepali_datetime
from babel.dates import format_date as babel_format_date

from portal.lexicon.numerals import localize_digits, to_devanagari

NEPAL = ZoneInfo("Asia/Kathmandu")


def nepal_now() -> datetime:
    """The current time in Nepal (UTC+05:45)."""
    return datetime.now(UTC).astimezone(NEPAL)


def to_bs(day: date) -> nepali_datetime.date:
    """The Bikram Sambat date of a Gregorian date."""
    return nepali_datetime.date.from_datetime_date(day)


def current_bs_year() -> int:
    """This year in Bikram Sambat, in Nepal: the academic year new classes belong to."""
    return to_bs(nepal_now().date()).year


def in_bs_table(day: date) -> bool:
    """Whether the Bikram Sambat table (about 1918–2043 AD) has this day."""
    try:
        to_bs(day)
    except (ValueError, OverflowError, KeyError, IndexError):
        return False
    return True


def format_bs(day: date, locale: str) -> str:
    """`२०८२ मंसिर ६` in Nepali, `6 Mangsir 2082` in English."""
    bs = to_bs(day)
    if locale == "ne":
        return f"{to_devanagari(bs.year)} {bs.strftime('%N')} {to_devanagari(bs.day)}"
    return f"{bs.day} {bs.strftime('%B')} {bs.year}"


def format_bs_month(day: date, locale: str) -> str:
    """The Bikram Sambat month of a day: `मंसिर २०८२` in Nepali, `Mangsir 2082` in English."""
    bs = to_bs(day)
    if locale == "ne":
        return f"{bs.strftime('%N')} {to_devanagari(bs.year)}"
    return f"{bs.strftime('%B')} {bs.year}"


def format_bs_short(day: date, locale: str) -> str:
    """A day within its Bikram Sambat month: `मंसिर ५` in Nepali, `5 Mangsir` in English."""
    bs = to_bs(day)
    if locale == "ne":
        return f"{bs.strftime('%N')} {to_devanagari(bs.day)}"
    return f"{bs.day} {bs.strftime('%B')}"


def format_ad(day: date, locale: str) -> str:
    """`22 Nov 2025`, with the month and digits in the reader's language."""
    return localize_digits(babel_format_date(day, "d MMM y", locale=locale), locale)


def format_dual_date(day: date | datetime, locale: str) -> str:
    """Both calendars, the reader's own first: `२०८२ मंसिर ६ · २२ नोभे २०२५`."""
    if isinstance(day, datetime):
        day = day.astimezone(NEPAL).date()
    return _dual_date(day, locale)


@functools.lru_cache(maxsize=256)  # every message of a broadcast names the same day
def _dual_date(day: date, locale: str) -> str:
    """Never raises on a stored date: one the Bikram Sambat table lacks shows in AD only."""
    ad = format_ad(day, locale)
    if not in_bs_table(day):
        return ad
    bs = format_bs(day, locale)
    return f"{bs} · {ad}" if locale == "ne" else f"{ad} · {bs}"


def format_dual_datetime(moment: datetime, locale: str) -> str:
    """A moment in Nepal time with both dates: `22 Nov 2025 · 6 Mangsir 2082, 14:05`."""
    try:
        local = moment.astimezone(NEPAL)
    except OverflowError:  # within hours of year 1 or 9999: shown as stored, in UTC
        local = moment
    clock = localize_digits(local.strftime("%H:%M"), locale)
    return f"{format_dual_date(local.date(), locale)}, {clock}"
