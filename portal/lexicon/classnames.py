"""Class names as schools write them, in either script: `5A`, `5 a`, `10-B`, `५क`, `Class 5A`.

A class is a grade and a section. Sections are Latin letters (A, B, ...), which Nepali
writes as क, ख, ग, ... (क = A); a grade alone (`5`) names every section of it. This is the
one place that knows how class names are read and written.
"""

import re
from dataclasses import dataclass

from portal.lexicon.numerals import to_ascii_digits, to_devanagari

SECTIONS_LATIN = "ABCDEFGHIJ"
SECTIONS_NE = "कखगघङचछजझञ"
GRADES = range(1, 13)

_NAME = re.compile(
    rf"^(?:class|grade|कक्षा)?\s*([0-9]{{1,2}})\s*[-./]?\s*([a-z]|[{SECTIONS_NE}])?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ClassName:
    """A class as written: a grade and its section (None: every section of the grade)."""

    grade: int
    section: str | None = None


def section_latin(text: str | None) -> str:
    """`a` → `A`, and a Nepali section letter (`क`) → its Latin one (`A`)."""
    section = (text or "").strip().upper()
    if len(section) == 1 and section in SECTIONS_NE:
        return SECTIONS_LATIN[SECTIONS_NE.index(section)]
    return section


def section_ne(section: str) -> str:
    """`A` → `क`; a section with no Nepali letter stays as it is."""
    if len(section) == 1 and section in SECTIONS_LATIN:
        return SECTIONS_NE[SECTIONS_LATIN.index(section)]
    return section


def name_of(grade: int, section: str = "") -> str:
    """The name as the school writes it: `5A`, `10B`, or `5` for a grade with one section."""
    return f"{grade}{section}"


def name_ne_of(grade: int, section: str = "") -> str:
    """The name in Nepali: Devanagari digits and section letter (`५क`)."""
    return f"{to_devanagari(str(grade))}{section_ne(section)}"


def read(text: str | None) -> ClassName | None:
    """`5A`, `5 a`, `10-B`, `५क`, `Class 5A` → ClassName(5, "A"); `5` → ClassName(5, None);
    None for anything that is not a class name (the grade is not checked: see GRADES)."""
    cleaned = " ".join(to_ascii_digits(text or "").split())
    match = _NAME.match(cleaned)
    if not match:
        return None
    section = match.group(2)
    return ClassName(int(match.group(1)), section_latin(section) if section else None)
