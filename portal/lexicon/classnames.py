"""Class names as schools and teachers write them, in either script: `5A`, `5 a`, `10-B`,
`५क`, `Class 5A`, `5ka` (romanised क), `LKG`, `UKG-B`, `नर्सरी`, `Play Group`.

A class is a grade and a section. Grades are 1 to 12; the levels below grade 1 (ECD in
community schools; Play Group, Nursery, LKG and UKG in private ones) are grades too,
numbered below zero, so that they sort before grade 1 and no typed number reads as one.
Sections are Latin letters (A, B, ...), which Nepali writes as क, ख, ग, ... (क = A) and
teachers on a phone type as ka, kha, ga, ... A grade or level alone (`5`, `LKG`) names
every section of it. This is the one place that knows how class names are read and written.
"""

import re
import unicodedata
from dataclasses import dataclass

from portal.lexicon.numerals import to_ascii_digits, to_devanagari

SECTIONS_LATIN = "ABCDEFGHIJ"
SECTIONS_NE = "कखगघङचछजझञ"
# The Nepali section letters as they are typed in Latin letters on a phone.
SECTIONS_ROMAN = ("ka", "kha", "ga", "gha", "nga", "cha", "chha", "ja", "jha", "nya")
GRADES = range(1, 13)


@dataclass(frozen=True)
class Level:
    """A class level below grade 1, with the words people write it with (lower case)."""

    grade: int
    name: str
    name_ne: str
    words: tuple[str, ...]


LEVELS = (
    Level(-5, "ECD", "बाल विकास", ("ecd", "ईसीडी", "बाल विकास", "बालविकास", "early childhood")),
    Level(-4, "PG", "प्ले ग्रुप", ("pg", "p.g", "play group", "playgroup", "प्ले ग्रुप", "प्लेग्रुप")),
    Level(-3, "Nursery", "नर्सरी", ("nursery", "nur", "नर्सरी", "नर्सरि", "नर्शरी")),
    Level(-2, "LKG", "एलकेजी", ("lkg", "l.k.g", "lower kg", "एलकेजी", "एल.के.जी", "एल के जी")),
    Level(-1, "UKG", "युकेजी", ("ukg", "u.k.g", "upper kg", "युकेजी", "यूकेजी", "यु.के.जी", "यु के जी")),
)
LEVEL_BY_GRADE = {level.grade: level for level in LEVELS}
KNOWN_GRADES = (*sorted(LEVEL_BY_GRADE), *GRADES)

_SECTION = "|".join([*sorted(SECTIONS_ROMAN, key=len, reverse=True), "[a-z]", f"[{SECTIONS_NE}]"])
_GRADE = re.compile(
    rf"^(?:class|grade|std|कक्षा)?\s*([0-9]{{1,2}})\s*[-./]?\s*({_SECTION})?$", re.IGNORECASE
)
_LEVEL_WORDS = sorted(
    {word: level for level in LEVELS for word in level.words}.items(),
    key=lambda item: -len(item[0]),
)
_LEVEL = re.compile(
    rf"^(?:class\s+|कक्षा\s*)?({'|'.join(re.escape(word) for word, _ in _LEVEL_WORDS)})\.?"
    rf"(?:\s*[-./]?\s*({_SECTION}))?$",
    re.IGNORECASE,
)
_LEVEL_OF_WORD = dict(_LEVEL_WORDS)


@dataclass(frozen=True)
class ClassName:
    """A class as written: a grade (a level's is below zero) and its section (None: every
    section of the grade)."""

    grade: int
    section: str | None = None


def section_latin(text: str | None) -> str:
    """`a` → `A`; a Nepali section letter (`क`) or its romanised form (`ka`) → `A`."""
    section = (text or "").strip()
    if section.casefold() in SECTIONS_ROMAN:
        return SECTIONS_LATIN[SECTIONS_ROMAN.index(section.casefold())]
    if len(section) == 1 and section in SECTIONS_NE:
        return SECTIONS_LATIN[SECTIONS_NE.index(section)]
    return section.upper()


def section_ne(section: str) -> str:
    """`A` → `क`; a section with no Nepali letter stays as it is."""
    if len(section) == 1 and section in SECTIONS_LATIN:
        return SECTIONS_NE[SECTIONS_LATIN.index(section)]
    return section


def is_known_grade(grade: int) -> bool:
    """Grades 1 to 12 and the levels below grade 1."""
    return grade in GRADES or grade in LEVEL_BY_GRADE


def grade_name(grade: int, locale: str = "en") -> str:
    """`5` (`५` in Nepali), or a level's name: `LKG` (`एलकेजी`)."""
    level = LEVEL_BY_GRADE.get(grade)
    if level is not None:
        return level.name_ne if locale == "ne" else level.name
    return to_devanagari(str(grade)) if locale == "ne" else str(grade)


def name_of(grade: int, section: str = "") -> str:
    """The name as the school writes it: `5A`, `10B`, `5` for a grade with one section,
    `LKG A` or `Nursery` for a level."""
    if grade in LEVEL_BY_GRADE:
        return f"{LEVEL_BY_GRADE[grade].name} {section}".strip()
    return f"{grade}{section}"


def name_ne_of(grade: int, section: str = "") -> str:
    """The name in Nepali: Devanagari digits and section letter (`५क`, `एलकेजी क`)."""
    if grade in LEVEL_BY_GRADE:
        return f"{LEVEL_BY_GRADE[grade].name_ne} {section_ne(section)}".strip()
    return f"{to_devanagari(str(grade))}{section_ne(section)}"


def read(text: str | None) -> ClassName | None:
    """`5A`, `5 a`, `10-B`, `५क`, `5ka`, `Class 5A` → ClassName(5, "A"); `5` → ClassName(5);
    `LKG`, `UKG-B`, `नर्सरी`, `Play Group A` → a level, with or without its section; None
    for anything that is not a class name (a grade above 12 is read: see is_known_grade)."""
    cleaned = " ".join(to_ascii_digits(unicodedata.normalize("NFC", text or "")).split())
    if match := _GRADE.match(cleaned):
        grade, section = int(match.group(1)), match.group(2)
    elif match := _LEVEL.match(cleaned):
        grade, section = _LEVEL_OF_WORD[match.group(1).casefold()].grade, match.group(2)
    else:
        return None
    return ClassName(grade, section_latin(section) if section else None)
