"""What a parent reads: the message frame in the guardian's language around the school's text,
as free-form text (inside the 24-hour window) or as template parameters (outside it)."""

from dataclasses import dataclass

from babel.dates import format_date as babel_format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.models import Kind
from portal.services.common import clock, dates
from portal.services.common.locales import in_language
from portal.services.wording import attendance_summary
from portal.services.wording.template_texts import (
    BODIES,
    DEFAULT_TEMPLATES,
    TEMPLATE_PURPOSE,
    carried,
)

KIND_LABELS = {
    "notice": _l("Notice"),
    "homework": _l("Homework"),
    "absence": _l("Absence"),
    "event": _l("Event"),
    "emergency": _l("Emergency"),
    "attendance": _l("Monthly attendance"),
}


@dataclass
class Child:
    """A student as a message names them."""

    name: str
    name_ne: str | None
    class_name: str
    class_name_ne: str
    student_id: int | None = None  # None: a stand-in for the preview

    def label(self, lang: str) -> str:
        if lang == "ne":
            return f"{self.name_ne or self.name} ({self.class_name_ne})"
        return f"{self.name} ({self.class_name})"


def children_label(children: list[Child], lang: str) -> str:
    return ", ".join(child.label(lang) for child in children)


def teacher_text(broadcast, lang: str) -> str:
    """The school's own words in that language, or the version it gave; a recurring
    schedule's `{date}`, `{date_bs}` and `{weekday}` filled for its occurrence's day."""
    if lang == "ne":
        text = broadcast.body_ne or broadcast.body_en or ""
    else:
        text = broadcast.body_en or broadcast.body_ne or ""
    occurrence_on = getattr(broadcast, "occurrence_on", None)
    return fill_placeholders(text, occurrence_on, lang) if occurrence_on else text


def fill_placeholders(text: str, day, lang: str) -> str:
    """`{date}` (AD), `{date_bs}` and `{weekday}` of `day`, in the reader's language."""
    if "{" not in text:
        return text
    values = {
        "{date}": dates.format_ad(day, lang),
        "{date_bs}": dates.format_bs(day, lang),
        "{weekday}": babel_format_date(day, "EEEE", locale=lang),
    }
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def _frame(broadcast, school, children: list[Child], lang: str) -> str:
    with in_language(lang):
        today = clock.now().astimezone(dates.NEPAL).date()
        day = dates.format_dual_date(today, lang)
        header = f"*{school.display_name(lang)}* · {KIND_LABELS[broadcast.kind]}"
        who = _("For %(children)s", children=children_label(children, lang))
        lines = [header, f"{who} · {day}", ""]
        lines += body_lines(broadcast, children, lang)
        lines += ["", _("Reply STOP to stop these messages.")]
        return "\n".join(lines)


def body_lines(broadcast, children: list[Child], lang: str, *, subject=True) -> list[str]:
    """What the message says under its header (the caller forces the locale): an absence
    or an attendance summary in Sandesh's words, the subject, the school's own text."""
    lines = []
    if broadcast.kind == Kind.ABSENCE:
        lines.append(
            _("Marked absent today: %(children)s.", children=children_label(children, lang))
        )
    if broadcast.kind == Kind.ATTENDANCE:
        lines += [attendance_summary.heading(broadcast, lang)]
        lines += attendance_summary.child_lines(broadcast, children, lang)
    if broadcast.subject and subject:
        lines.append(_("Subject: %(subject)s", subject=broadcast.subject))
    text = teacher_text(broadcast, lang)
    if text:
        lines.append(text)
    return lines


def render_text(broadcast, school, children: list[Child], language: str) -> str:
    """The free-form message for a guardian whose language is `ne`, `en` or `both`."""
    if language == "both":
        return "\n\n———\n\n".join(
            _frame(broadcast, school, children, lang) for lang in ("ne", "en")
        )
    return _frame(broadcast, school, children, language)


def template_params(
    broadcast, school, children: list[Child], lang: str, *, carries: bool = False
) -> dict[str, str]:
    """Named parameters for the broadcast's template for readers of `lang`; for a template
    declared in another language, its one parameter carries the purpose's wording in `lang`
    with these values filled in."""
    values = _template_values(broadcast, school, children, lang)
    if carries:
        return {"message": carried(BODIES[(TEMPLATE_PURPOSE[broadcast.kind], lang)], values)}
    return values


def _template_values(broadcast, school, children: list[Child], lang: str) -> dict[str, str]:
    values = {
        "school": lambda: school.display_name(lang),
        "students": lambda: children_label(children, lang),
        "subject": lambda: broadcast.subject or _("all subjects"),
        "message": lambda: _template_message(broadcast, children, lang),
        "date": lambda: dates.format_dual_date(clock.now(), lang),
        "month": lambda: attendance_summary.month_label(broadcast, lang),
    }
    names = DEFAULT_TEMPLATES[TEMPLATE_PURPOSE[broadcast.kind]][1]
    with in_language(lang):
        return {name: values[name]() for name in names}


def _template_message(broadcast, children: list[Child], lang: str) -> str:
    """The `message` parameter: the school's text, or an attendance summary's sentences."""
    if broadcast.kind == Kind.ATTENDANCE:
        return " ".join(attendance_summary.child_lines(broadcast, children, lang))
    return teacher_text(broadcast, lang) or str(KIND_LABELS[broadcast.kind])
