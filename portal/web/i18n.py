"""The reader's language (ne or en), Devanagari digits, and both calendars in templates."""

from datetime import datetime

from babel.numbers import format_currency, format_decimal
from flask import Flask, has_request_context, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import Markup, escape

from portal.lexicon.numerals import localize_digits
from portal.models import LANGUAGES
from portal.services.common import dates
from portal.services.common.audit import action_label
from portal.services.common.phones import display_phone


def select_locale() -> str:
    """The signed-in user's language, else the one chosen this visit, else the browser's."""
    if not has_request_context():
        return None  # Flask-Babel falls back to BABEL_DEFAULT_LOCALE (or force_locale)
    if current_user.is_authenticated:
        return current_user.language
    asked = request.accept_languages.best_match(LANGUAGES)
    if (request.blueprint or "").split(".")[0] == "api":  # a program: English unless asked
        return asked or "en"
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return asked or "ne"


def locale_code() -> str:
    return str(get_locale() or "ne")


def number(value) -> str:
    """`1,234` in English, `१,२३४` in Nepali."""
    if value is None:
        return ""
    locale = locale_code()
    return localize_digits(format_decimal(value, locale="en"), locale)


def money(value, currency: str = "NPR") -> str:
    """`NPR 23.75`, `नेरू २३.७५`."""
    if value is None:
        return ""
    locale = locale_code()
    text = format_currency(value, currency, "¤\u00a0#,##0.00", locale=locale)
    return localize_digits(text, locale)


def percent(share) -> str:
    """A share as a percentage to one decimal: `97.5%` (`९७.५%` in Nepali); blank for None."""
    if share is None:
        return ""
    return localize_digits(f"{share * 100:.1f}%", locale_code())


def duration(seconds) -> str:
    """Seconds as a person reads them: `45 s`, `3 min 5 s`, `2 h 10 min`."""
    if seconds is None:
        return ""
    seconds = int(seconds)
    if seconds < 60:
        text = _("%(s)s s", s=seconds)
    elif seconds < 3600:
        text = _("%(m)s min %(s)s s", m=seconds // 60, s=seconds % 60)
    else:
        text = _("%(h)s h %(m)s min", h=seconds // 3600, m=seconds % 3600 // 60)
    return localize_digits(text, locale_code())


def digits(value) -> str:
    """Any text with its digits in the reader's script (roll numbers, years, class names)."""
    return localize_digits("" if value is None else str(value), locale_code())


def hhmm(value) -> str:
    """A time of day, or a moment's Nepal time, as `16:00` (`१६:००` in Nepali)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(dates.NEPAL)
    return digits(value.strftime("%H:%M"))


def _lazy_text_as_html(self) -> Markup:
    """A lazy translation is plain text: escaped whole wherever HTML is made of it."""
    return escape(str(self))


def init_app(app: Flask) -> None:
    """Template filters and globals for language-aware output.

    Flask-Babel's lazy strings say they are safe HTML (`__html__` returns them as they are),
    so names and CSV cells put into one (`_l("… %(name)s", name=…)`) would reach the page
    unescaped, wherever a template, `join` or Markup shows it. Sandesh's messages never
    carry markup (tests/test_translations.py checks), so a lazy string is escaped whole
    like any other text: the one place every such interpolation passes.
    """
    LazyString.__html__ = _lazy_text_as_html
    app.add_template_filter(number, "number")
    app.add_template_filter(digits, "digits")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(duration, "duration")
    app.add_template_filter(money, "money")
    app.add_template_filter(lambda d: d and dates.format_dual_date(d, locale_code()), "date")
    app.add_template_filter(
        lambda d: d and dates.format_dual_datetime(d, locale_code()), "datetime"
    )
    app.add_template_filter(hhmm, "hhmm")
    app.add_template_filter(lambda p: p and digits(display_phone(p)), "phone")
    app.add_template_filter(action_label, "audit_action")
    app.add_template_global(locale_code, "locale_code")
    app.add_template_global(get_locale, "get_locale")
