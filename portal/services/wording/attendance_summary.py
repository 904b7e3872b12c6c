"""A guardian's monthly attendance summary: for each child, the school days of a Bikram
Sambat month they were present and absent (and which days), in the guardian's language.
The month and its school days come with the broadcast (`attendance_month`, worked out from
the school calendar when the summary was made); absences are read as it is sent."""

from datetime import date

from flask_babel import get_locale
from flask_babel import gettext as _

from portal.lexicon.numerals import localize_digits
from portal.services.common import dates
from portal.services.common.locales import in_language
from portal.services.roster import attendance


def school_days(broadcast) -> list[date]:
    """The school days of the summary's month."""
    month = broadcast.attendance_month or {}
    return [date.fromisoformat(day) for day in month.get("school_days", [])]


def month_label(broadcast, lang: str) -> str:
    """`Mangsir 2082` / `मंसिर २०८२`: the month the summary is about."""
    first = (broadcast.attendance_month or {}).get("first")
    return dates.format_bs_month(date.fromisoformat(first), lang) if first else ""


def child_lines(broadcast, children, lang: str) -> list[str]:
    """One sentence a child: present on how many of the month's school days, absent when."""
    days = school_days(broadcast)
    ids = [child.student_id for child in children if child.student_id is not None]
    absent = attendance.absent_days(ids, first=days[0], last=days[-1]) if days and ids else {}
    counted = set(days)
    with in_language(lang):
        return [
            _child_line(child, [d for d in absent.get(child.student_id, []) if d in counted], days)
            for child in children
        ]


def _child_line(child, absent: list[date], days: list[date]) -> str:
    lang = str(get_locale())
    number = lambda value: localize_digits(str(value), lang)  # noqa: E731
    if not absent:
        return _(
            "%(child)s: present on all %(days)s school days.",
            child=child.label(lang),
            days=number(len(days)),
        )
    return _(
        "%(child)s: present %(present)s of %(days)s school days, absent %(absent)s (%(when)s).",
        child=child.label(lang),
        present=number(len(days) - len(absent)),
        days=number(len(days)),
        absent=number(len(absent)),
        when=", ".join(dates.format_bs_short(day, lang) for day in absent),
    )


def heading(broadcast, lang: str) -> str:
    with in_language(lang):
        return _("Attendance in %(month)s:", month=month_label(broadcast, lang))
