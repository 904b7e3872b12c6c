"""Roster cells as schools write them: class names, roll numbers, languages, relations, names."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from portal.lexicon import classnames
from portal.lexicon.numerals import localize_digits, to_ascii_digits
from portal.services.common.refusals import SetupError

NAME_MAX = 200
RELATION_MAX = 40

_LANGUAGES = {
    "ne": "ne",
    "nepali": "ne",
    "नेपाली": "ne",
    "en": "en",
    "english": "en",
    "अंग्रेजी": "en",
    "अङ्ग्रेजी": "en",
    "अंग्रेज़ी": "en",
    "both": "both",
    "दुवै": "both",
    "दुबै": "both",
}
_RELATIONS = {
    "आमा": "mother",
    "बुबा": "father",
    "बुवा": "father",
    "बाबा": "father",
    "अभिभावक": "guardian",
    "हजुरआमा": "grandmother",
    "हजुरबुबा": "grandfather",
    "हजुरबुवा": "grandfather",
    "दिदी": "sister",
    "दाजु": "brother",
    "काका": "uncle",
    "काकी": "aunt",
    "मामा": "uncle",
    "माइजू": "aunt",
}


class CellError(ValueError):
    """A cell that cannot be read; `reason` says why, in the reader's language."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return str(self.reason)


class Local:
    """A number or class name shown in the reader's script when a message is rendered."""

    def __init__(self, text, nepali=None):
        self.text, self.nepali = str(text), nepali

    def __str__(self) -> str:
        locale = str(get_locale() or "en")
        if locale == "ne" and self.nepali:
            return self.nepali
        return localize_digits(self.text, locale)


def class_label(grade: int, section: str) -> Local:
    """`5A` for English readers, `५क` for Nepali ones."""
    return Local(classnames.name_of(grade, section), classnames.name_ne_of(grade, section))


def parse_class_name(raw: str) -> tuple[int, str]:
    """(grade, section) from `5A`, `5 a`, `10-B`, `५क`, `5ka`, `Class 5A`, `5` (no section),
    `LKG`, `UKG-B` or `नर्सरी` (a level below grade 1)."""
    if not (raw or "").strip():
        raise CellError(_l("The class is missing."))
    name = classnames.read(raw)
    if name is None:
        raise CellError(
            _l("“%(raw)s” is not a class name like 5A, 10B, ५क, 5, LKG or UKG B.", raw=raw)
        )
    if not classnames.is_known_grade(name.grade):
        raise CellError(
            _l(
                "Grade %(grade)s is not a class: use 1 to 12, ECD, PG, Nursery, LKG or UKG.",
                grade=Local(name.grade),
            )
        )
    return name.grade, name.section or ""


def parse_roll(raw: str) -> int:
    """A roll number from ASCII or Devanagari digits (`7`, `०७`)."""
    text = to_ascii_digits((raw or "").strip())
    if not text:
        raise CellError(_l("The roll number is missing."))
    if not text.isascii() or not text.isdigit() or len(text) > 4 or int(text) == 0:
        raise CellError(_l("“%(raw)s” is not a roll number (1 to 9999).", raw=raw))
    return int(text)


def parse_language(raw: str) -> str:
    """`ne`, `en` or `both`, from codes or names in either language (`Nepali`, `दुवै`)."""
    text = (raw or "").strip().casefold()
    if not text:
        raise CellError(_l("The language is missing: write ne, en or both."))
    if text not in _LANGUAGES:
        raise CellError(_l("“%(raw)s” is not a language: write ne, en or both.", raw=raw))
    return _LANGUAGES[text]


def parse_relation(raw: str) -> str:
    """How the guardian is related (`mother`, `father`, ...); Nepali words become English keys."""
    text = " ".join((raw or "").split())
    if len(text) > RELATION_MAX:
        raise CellError(_l("The relation is longer than %(max)s letters.", max=Local(RELATION_MAX)))
    return _RELATIONS.get(text, text.lower())


def clean_name(raw: str, *, required: bool = True) -> str | None:
    """A person's name with its spaces tidied; empty is an error unless not required."""
    text = " ".join((raw or "").split())
    if not text:
        if required:
            raise CellError(_l("The name is missing."))
        return None
    if len(text) > NAME_MAX:
        raise CellError(_l("The name is longer than %(max)s letters.", max=Local(NAME_MAX)))
    return text


def same_name(a: str | None, b: str | None) -> bool:
    """Whether two spellings name the same person (case and spacing aside)."""
    return (a or "").casefold() == (b or "").casefold()


def name_or_refuse(raw: str | None, *, required: bool = True) -> str | None:
    """A name for a school or teacher being set up, tidied; a bad one is a SetupError."""
    try:
        return clean_name(raw, required=required)
    except CellError as exc:
        raise SetupError(exc.reason) from None
