"""What a parent reads in the daily digest: the day's held notices, numbered, under one
header in the guardian's language, as free-form text (inside the 24-hour window) or as the
digest template's parameters (outside it)."""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.lexicon.numerals import localize_digits
from portal.services.common import clock, dates
from portal.services.common.locales import in_language
from portal.services.wording.long_messages import MARGIN, TEMPLATE_BODY_LIMIT
from portal.services.wording.parent_messages import (
    KIND_LABELS,
    Child,
    body_lines,
    children_label,
)
from portal.services.wording.template_texts import BODIES, CARRIER_BODY
from portal.whatsapp.templates import flatten_param, sanitize_param

DIGEST_LABEL = _l("Today's messages")


@dataclass
class DigestItem:
    """One held message a digest carries: its broadcast and the children it names."""

    broadcast: object
    children: list[Child]
    delivery_id: int | None = None  # the held message's own row


def _item(number: int, item: DigestItem, children: list[Child], lang: str, mark=".") -> str:
    """`2. Homework · Science: Page 23` (naming its children when not all of them)."""
    label = str(KIND_LABELS[item.broadcast.kind])
    if item.broadcast.subject:
        label = f"{label} · {item.broadcast.subject}"
    names = {(c.name, c.class_name) for c in item.children}
    if names != {(c.name, c.class_name) for c in children}:
        label = _(
            "%(label)s (for %(children)s)",
            label=label,
            children=children_label(item.children, lang),
        )
    lines = body_lines(item.broadcast, item.children, lang, subject=False)
    return f"{localize_digits(str(number), lang)}{mark} {label}: " + "\n".join(lines)


def _frame(items: list[DigestItem], school, children: list[Child], lang: str) -> str:
    with in_language(lang):
        today = clock.now().astimezone(dates.NEPAL).date()
        header = f"*{school.display_name(lang)}* · {DIGEST_LABEL}"
        who = _("For %(children)s", children=children_label(children, lang))
        lines = [header, f"{who} · {dates.format_dual_date(today, lang)}", ""]
        for number, item in enumerate(items, start=1):
            lines += [_item(number, item, children, lang), ""]
        lines.append(_("Reply STOP to stop these messages."))
        return "\n".join(lines)


def render_digest(items: list[DigestItem], school, children: list[Child], language: str) -> str:
    """The digest as free-form text for a guardian whose language is `ne`, `en` or `both`."""
    if language == "both":
        return "\n\n———\n\n".join(_frame(items, school, children, lang) for lang in ("ne", "en"))
    return _frame(items, school, children, language)


def digest_params(items: list[DigestItem], school, children: list[Child], lang: str) -> dict:
    """The digest template's parameters in one language: the items in one line (Meta
    takes no line breaks in a parameter), numbered `1)`, `2)`."""
    with in_language(lang):
        parts = [
            _item(number, item, children, lang, mark=")")
            for number, item in enumerate(items, start=1)
        ]
        return {
            "school": school.display_name(lang),
            "students": children_label(children, lang),
            "message": " ".join(" ".join(part.split()) for part in parts),
        }


def fitting(
    items: list[DigestItem], school, children: list[Child], lang: str, *, carries: bool = False
) -> int:
    """How many of the items (from the first) the digest template carries within Meta's
    1,024 characters for a template's whole body, in the shipped wording (for a carrier,
    that wording on one line inside the carrier's)."""
    count = len(items)
    while count and not _fits(
        digest_params(items[:count], school, children, lang), lang, carries=carries
    ):
        count -= 1
    return count


def _fits(params: dict, lang: str, *, carries: bool = False) -> bool:
    body = BODIES[("digest", lang)]
    for name, value in params.items():
        body = body.replace("{{" + name + "}}", sanitize_param(value))
    if carries:
        body = CARRIER_BODY.replace("{{message}}", flatten_param(body))
    return len(body) <= TEMPLATE_BODY_LIMIT - MARGIN
