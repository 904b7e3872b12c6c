"""Writing words in a reader's language, for senders that switch it several times a message."""

import functools

from babel import Locale
from flask_babel import force_locale


@functools.lru_cache(maxsize=32)
def _parsed(lang: str) -> Locale:
    return Locale.parse(lang)


def in_language(lang: str):
    """`flask_babel.force_locale` with the locale parsed once per process (Babel's
    `Locale.parse` looks for the locale's data file on disk each time it is asked)."""
    return force_locale(_parsed(lang))
