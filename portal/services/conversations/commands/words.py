"""The words teachers use for commands, in English, Nepali and romanised Nepali."""

import re
import unicodedata

from portal.lexicon.numerals import to_ascii_digits
from portal.models import Kind

KINDS_BY_WORD = {
    **dict.fromkeys(("notice", "सूचना", "सुचना", "suchana"), Kind.NOTICE),
    **dict.fromkeys(("hw", "homework", "गृहकार्य", "गृह-कार्य", "grihakarya"), Kind.HOMEWORK),
    **dict.fromkeys(
        ("absent", "absence", "absentees", "अनुपस्थित", "गैरहाजिर", "anupasthit"), Kind.ABSENCE
    ),
    **dict.fromkeys(("event", "कार्यक्रम", "karyakram"), Kind.EVENT),
    **dict.fromkeys(
        ("emergency", "urgent", "आपतकालीन", "आपत्कालीन", "आपतकालिन", "जरुरी", "अत्यावश्यक"),
        Kind.EMERGENCY,
    ),
}
# Keywords people split in two: `HOME WORK`, `गृह कार्य`.
TWO_WORD_KINDS = {
    ("home", "work"): Kind.HOMEWORK,
    ("गृह", "कार्य"): Kind.HOMEWORK,
    ("h", "w"): Kind.HOMEWORK,
}

ALL_WORDS = {"all", "सबै", "sabai", "सबैलाई", "everyone"}
FILLERS = {"class", "classes", "grade", "std", "कक्षा", "kaksha", "and", "र", "&", "+"}

CONFIRM = {
    "yes", "y", "ok", "okay", "yes please", "confirm", "send", "👍",
    "हो", "हजुर", "हुन्छ", "ठीक छ", "ठिक छ", "ho", "hajur", "huncha", "hunchha",
}  # fmt: skip
DECLINE = {
    "no", "n", "nope", "don't send", "dont send",
    "होइन", "हैन", "होईन", "नाइँ", "पर्दैन", "hoina", "haina",
}  # fmt: skip
HELP = {"help", "मद्दत", "सहायता", "सहयोग", "maddat", "?"}
CANCEL = {"cancel", "रद्द", "radda", "rad"}
STATUS = {"status", "स्थिति", "अवस्था", "sthiti"}
# Words around an id that change nothing: `CANCEL #42`, `४२ रद्द गर्नुहोस्`.
ID_FILLERS = {
    "no", "number", "नं", "नम्बर", "गर्नुहोस्", "गर्नु", "गर", "broadcast", "id", "please", "plz",
    "pls", "कृपया",
}  # fmt: skip
ROLL_FILLERS = {"roll", "rolls", "no", "nos", "number", "numbers", "रोल", "नं", "नम्बर", "and", "र"}

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_EDGE_MARKS = "*_~`'\"“”‘’()[]{}<>.!,;।॥"
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """A form for comparing words: NFKC, ASCII digits, lower case, invisible marks gone."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return to_ascii_digits(text).casefold()


def fold_token(token: str) -> str:
    """One word compared without the formatting and punctuation around it (`*5A*`, `HW.`)."""
    return fold(token).strip(_EDGE_MARKS)


def fold_phrase(text: str) -> str:
    """A whole short message compared as words: `Yes.` → `yes`, `हो ।` → `हो`."""
    words = [fold_token(word) for word in _SPACES.split(fold(text))]
    return " ".join(word for word in words if word)


def kind_of(word: str) -> str | None:
    """The broadcast kind a folded keyword names (`hw`, `h.w`, `सूचना`), or None."""
    return KINDS_BY_WORD.get(word) or KINDS_BY_WORD.get(word.replace(".", ""))


def is_devanagari_text(text: str) -> bool:
    """Whether a text is mostly Devanagari letters rather than Latin ones."""
    devanagari = sum(1 for ch in text if "\u0900" <= ch <= "\u0963" or "\u0970" <= ch <= "\u097f")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    return devanagari > latin
