"""Devanagari and ASCII digits: Nepali readers see ०-९, and people may type either."""

DEVANAGARI_DIGITS = "०१२३४५६७८९"
_TO_DEVANAGARI = str.maketrans("0123456789", DEVANAGARI_DIGITS)
_TO_ASCII = str.maketrans(DEVANAGARI_DIGITS, "0123456789")


def to_devanagari(text: str) -> str:
    """`2082-08-06` → `२०८२-०८-०६`."""
    return str(text).translate(_TO_DEVANAGARI)


def to_ascii_digits(text: str) -> str:
    """`९८४१२३४५६७८` → `98412345678`; everything else is left alone."""
    return str(text).translate(_TO_ASCII)


def localize_digits(text: str, locale: str) -> str:
    """Digits as the reader expects them: Devanagari for Nepali, unchanged otherwise."""
    return to_devanagari(text) if str(locale).startswith("ne") else str(text)
