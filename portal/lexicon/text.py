"""Text that can be stored: PostgreSQL's text cannot hold NUL, and UTF-8 cannot carry a
lone surrogate (JSON's `"\\ud800"` reads as one). Input from outside is cleaned or refused
with these before it reaches the database."""

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def storable(text: str) -> str:
    """The text with NUL removed and each lone surrogate replaced by U+FFFD."""
    if not _UNSTORABLE.search(text):
        return text
    return re.sub("[\ud800-\udfff]", REPLACEMENT, text.replace("\x00", ""))


def is_storable(text: str) -> bool:
    """Whether the text holds neither NUL nor a lone surrogate."""
    return not _UNSTORABLE.search(text)


def fitted(text: str | None, length: int) -> str | None:
    """Cleaned and cut to a column's length (None stays None; empty becomes None)."""
    if text is None:
        return None
    return storable(text)[:length] or None
