"""A schedule's rule in words, in the reader's language (the caller's locale):
`every day at 06:00`, `every Sunday and Wednesday at 07:00`, `हरेक महिनाको १ गते १०:०० बजे`."""

from datetime import date, timedelta

from babel.dates import format_date
from flask_babel import get_locale
from flask_babel import gettext as _

from portal.lexicon.numerals import localize_digits
from portal.models import Every, OnHoliday

_A_MONDAY = date(2025, 11, 24)


def _locale() -> str:
    lang = str(get_locale())
    return lang if lang in ("ne", "en") else "ne"


def weekday_name(weekday: int, locale: str | None = None) -> str:
    """`Sunday` / `आइतबार` for date.weekday() 6."""
    return format_date(_A_MONDAY + timedelta(days=weekday), "EEEE", locale=locale or _locale())


def describe(*, every: str, at, weekdays=(), bs_day=None, on_holiday=OnHoliday.SKIP) -> str:
    """The rule as a sentence fragment, with what happens on a holiday."""
    locale = _locale()
    clock = localize_digits(at.strftime("%H:%M"), locale)
    if every == Every.DAY:
        text = _("every day at %(time)s", time=clock)
    elif every == Every.WEEK:
        days = sorted(weekdays, key=lambda day: (day + 1) % 7)  # Nepal's week starts on Sunday
        names = _(" and ").join(weekday_name(day, locale) for day in days)
        text = _("every %(days)s at %(time)s", days=names, time=clock)
    else:
        text = _(
            "on day %(day)s of every Bikram Sambat month at %(time)s",
            day=localize_digits(str(bs_day), locale),
            time=clock,
        )
    if on_holiday == OnHoliday.NEXT_SCHOOL_DAY:
        return _("%(rule)s; on a holiday, the next school day", rule=text)
    return _("%(rule)s; not on holidays", rule=text)


def describe_schedule(schedule) -> str:
    return describe(
        every=schedule.every,
        at=schedule.at,
        weekdays=schedule.weekdays or (),
        bs_day=schedule.bs_day,
        on_holiday=schedule.on_holiday,
    )
