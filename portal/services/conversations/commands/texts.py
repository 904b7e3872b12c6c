"""After the colon: the text in one or two languages, an `@ time`, or roll numbers."""

import re
from datetime import datetime

from portal.services.conversations.commands.results import Refusal
from portal.services.conversations.commands.times import TimeError, parse_when
from portal.services.conversations.commands.words import ROLL_FILLERS, fold, is_devanagari_text

COLONS = ":：﹕∶"
MAX_ROLL = 9999
MAX_RANGE = 100  # `1-500` is a typo, not a class absent

_ROLL_SPLIT = re.compile(r"[\s,;:&+.।，、]+")
_RANGE = re.compile(r"^([0-9]{1,4})-([0-9]{1,4})$")


def split_schedule(text: str, *, last: bool = True) -> tuple[str, str | None]:
    """`Closed tomorrow @ 6pm` → (`Closed tomorrow `, ` 6pm`); an @ inside a word is no time."""
    marks = [i for i, ch in enumerate(text) if ch in "@＠" and not text[i - 1 : i].isalnum()]
    if not marks:
        return text, None
    at = marks[-1] if last else marks[0]
    return text[:at], text[at + 1 :]


def read_parts(parts: list[str], header_when: str | None, now: datetime):
    """The texts without their `@ time`, and the one time they give (UTC and as written)."""
    texts, said = [], [header_when] if header_when is not None else []
    for part in parts:
        text, when_text = split_schedule(part)
        texts.append(text)
        if when_text is not None:
            said.append(when_text)
    if not said:
        return texts, None, None
    moments = []
    for when_text in said:
        try:
            moments.append(parse_when(when_text, now=now))
        except TimeError as error:
            raise Refusal(error.code, when_text.strip() or None) from None
    if any(moment != moments[0] for moment in moments):
        raise Refusal("two_times", said[1].strip())
    return texts, moments[0], said[0].strip()


def split_languages(body: str) -> list[str]:
    """`English || नेपाली` → both; `॥` also splits when its two sides differ in script."""
    if "||" in body:
        return body.split("||", 1)
    if "॥" in body:
        first, second = body.split("॥", 1)
        scripts = {is_devanagari_text(first), is_devanagari_text(second)}
        if _has_letters(first) and _has_letters(second) and len(scripts) == 2:
            return [first, second]
    return [body]


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def assign_languages(texts: list[str]) -> tuple[str | None, str | None]:
    """(English, Nepali): a Devanagari text is the Nepali one whatever its place."""
    texts = [text.strip().lstrip(COLONS).strip() for text in texts]
    if len(texts) == 1:
        text = texts[0] or None
        return (None, text) if text and is_devanagari_text(text) else (text, None)
    first, second = texts
    if is_devanagari_text(first) and not is_devanagari_text(second):
        first, second = second, first
    return first or None, second or None


def read_rolls(text: str) -> list[int]:
    """`3 7 12`, `३, ७, १२`, `roll no 3-5 and 9` → sorted roll numbers."""
    rolls: set[int] = set()
    for raw in _ROLL_SPLIT.split(re.sub(r"\s*[-–—]\s*", "-", text)):
        token = fold(raw).strip("#()[]")
        if token and token not in ROLL_FILLERS:
            rolls.update(_roll_numbers(token, raw))
    if not rolls:
        raise Refusal("no_rolls")
    return sorted(rolls)


def _roll_numbers(token: str, raw: str) -> range:
    if match := _RANGE.match(token):
        first, last = int(match.group(1)), int(match.group(2))
        if 1 <= first <= last <= MAX_ROLL and last - first < MAX_RANGE:
            return range(first, last + 1)
    elif token.isascii() and token.isdigit() and len(token) <= 4 and int(token) > 0:
        return range(int(token), int(token) + 1)
    raise Refusal("bad_rolls", raw)
