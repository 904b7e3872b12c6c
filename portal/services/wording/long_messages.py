"""Notices longer than one WhatsApp message reach parents whole: split where a reader would
pause (between paragraphs, then sentences, then words), numbered `(1/3)`, every part within
Meta's limits (4,096 characters of text; 1,024 for a template's whole body). Outside the
24-hour window each part is a template too (the first the broadcast's own, the rest
`sandesh_continued`); a school may choose the cheaper form instead: the first template
carries the opening and asks the parent to reply MORE, and the rest follows as text once
that reply opens the window."""

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _

from portal.lexicon.numerals import localize_digits
from portal.services.common.locales import in_language
from portal.services.wording import parent_messages
from portal.services.wording.template_texts import BODIES, CARRIER_BODY, TEMPLATE_PURPOSE
from portal.whatsapp.outgoing import MAX_TEXT_LENGTH
from portal.whatsapp.templates import flatten_param, sanitize_param

TEMPLATE_BODY_LIMIT = 1024
MARGIN = 16  # room for numbering and for a school's template wording a little longer
ALL_PARTS, MORE_ON_REPLY = "all", "more"  # a school's choice for long notices
_BREAKS = (re.compile(r"\n\s*\n"), re.compile(r"(?<=[.!?।॥])\s+"), re.compile(r"\s+"))


@dataclass
class Plan:
    """What one guardian receives: the first message and the ones that follow it."""

    form: str  # "text" or "template"
    first: str  # the text, or the template's `message` parameter
    rest: list[str] = field(default_factory=list)  # texts, or `sandesh_continued` messages
    on_reply: bool = False  # the rest waits for the parent's reply (MORE)

    @property
    def count(self) -> int:
        return 1 + len(self.rest)


def split(text: str, limit: int) -> list[str]:
    """`text` in parts of at most `limit` characters, cut at the largest pause that fits."""
    text = text.strip()
    if len(text) <= limit:
        return [text]
    for pause in _BREAKS:
        pieces = [p for p in pause.split(text) if p.strip()]
        if len(pieces) > 1 and all(len(p) <= limit for p in pieces):
            return _pack(pieces, limit, "\n\n" if pause is _BREAKS[0] else " ")
        if len(pieces) > 1:
            return [part for piece in _pack(pieces, limit, " ") for part in split(piece, limit)]
    return [text[i : i + limit] for i in range(0, len(text), limit)]


def _pack(pieces: list[str], limit: int, joiner: str) -> list[str]:
    """Consecutive pieces joined into as few parts as fit."""
    parts, current = [], ""
    for piece in pieces:
        joined = f"{current}{joiner}{piece}" if current else piece
        if len(joined) <= limit:
            current = joined
        else:
            parts.append(current) if current else None
            current = piece
    return [*parts, current] if current else parts


def numbered(parts: list[str], lang: str, *, newline: bool) -> list[str]:
    """`(1/3) …`, `(2/3) …` in the reader's digits; one part stays as it is."""
    if len(parts) == 1:
        return parts
    total = len(parts)
    return [
        f"{label(i, total, lang)}{chr(10) if newline else ' '}{part}"
        for i, part in enumerate(parts, 1)
    ]


def label(part: int, total: int, lang: str) -> str:
    return localize_digits(f"({part}/{total})", lang)


def plan_text(broadcast, school, children, language: str) -> Plan:
    """Inside the window: the framed message as text, in parts of at most 4,096."""
    body = parent_messages.render_text(broadcast, school, children, language)
    lang = "en" if language == "en" else "ne"
    parts = numbered(split(body, MAX_TEXT_LENGTH - MARGIN), lang, newline=True)
    return Plan("text", parts[0], parts[1:])


def plan_template(
    broadcast,
    school,
    children,
    lang: str,
    *,
    form: str = ALL_PARTS,
    carries: bool = False,
    params: dict[str, str] | None = None,
) -> Plan:
    """Outside the window: the broadcast's template and as many continuations as needed
    (or, in the cheaper form, the opening and MORE), for readers of `lang`; `carries`: the
    templates are declared in another language and carry the wording in their one
    parameter (Nepali), so that wording takes room too. `params`: the template's
    parameters for these readers, when the caller has them already."""
    if params is None:
        params = parent_messages.template_params(broadcast, school, children, lang)
    if "message" not in params:
        return Plan("template", "")
    message = flatten_param(params["message"])
    room = _room(TEMPLATE_PURPOSE[broadcast.kind], lang, params, carries=carries)
    if len(message) <= room:
        return Plan("template", message)
    if form == MORE_ON_REPLY:
        return _more_plan(broadcast, school, children, lang, room)
    others = {"school": params["school"], "part": "(99/99)"}
    continued = _room("continued", lang, others, carries=carries)
    first, *later = split(message, room - MARGIN)
    rest = [part for piece in later for part in split(piece, continued)]
    return Plan("template", *_numbered_first(first, rest, lang))


def _numbered_first(first: str, rest: list[str], lang: str) -> tuple[str, list[str]]:
    """The first part carries its number in its text; continuations get theirs as `part`."""
    return f"{label(1, 1 + len(rest), lang)} {first}", rest


def _more_plan(broadcast, school, children, lang: str, room: int) -> Plan:
    with in_language(lang):
        tail = " … " + _("(Reply MORE to read the rest.)")
    first, *_later = split(flatten_param(params_message(broadcast, lang)), room - len(tail))
    full = parent_messages.render_text(broadcast, school, children, lang)
    rest = numbered(split(full, MAX_TEXT_LENGTH - MARGIN), lang, newline=True)
    return Plan("template", first + tail, rest, on_reply=True)


def params_message(broadcast, lang: str) -> str:
    return parent_messages.teacher_text(broadcast, lang) or ""


def continuation_params(school_name: str, part: int, total: int, message: str, lang: str):
    """The parameters of `sandesh_continued` for one part."""
    return {"school": school_name, "part": label(part, total, lang), "message": message}


def _room(purpose: str, lang: str, params: dict[str, str], *, carries: bool = False) -> int:
    """How many characters the teacher's `message` may take in this template's body (for a
    carrier: inside the wording its one parameter carries, on one line)."""
    body = BODIES.get((purpose, lang)) or BODIES[(purpose, "en")]
    for name, value in params.items():
        if name != "message":
            body = body.replace("{{" + name + "}}", sanitize_param(value))
    if carries:
        body = CARRIER_BODY.replace("{{message}}", flatten_param(body))
    return TEMPLATE_BODY_LIMIT - len(body.replace("{{message}}", "")) - MARGIN
