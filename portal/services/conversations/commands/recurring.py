"""Recurring commands: `EVERY DAY 6am 5A: …`, `EVERY SUNDAY 7am 5A: …`, `EVERY MONTH 1 10:00
ALL: …` (day 1 of each Bikram Sambat month), `हरेक दिन बिहान ६ बजे ५क: …`, `हरेक आइतबार …`,
`हरेक महिना १ गते …`, `DAILY …`. After the repeat and its time comes an ordinary broadcast
command (keyword, classes, subject, colon, text); the time may also come as its `@ 6am`."""

import re
from dataclasses import dataclass
from datetime import datetime, time

from portal.models import Every, Kind
from portal.services.common.dates import NEPAL
from portal.services.conversations.commands.grammar import find_colon, read_broadcast, tokenize
from portal.services.conversations.commands.results import Broadcast, Refusal
from portal.services.conversations.commands.times import WORDS, TimeError, parse_when
from portal.services.conversations.commands.words import fold_token

EVERY = {"every", "each", "हरेक", "प्रत्येक", "harek", "pratyek", "prati", "प्रति"}
DAILY = {"daily", "दैनिक", "dainik"}
MONTHLY = {"monthly", "मासिक", "masik"}
DAY_WORDS = {"day", "days", "दिन", "din", "दिनको"}
WEEK_WORDS = {"week", "हप्ता", "hapta", "हप्ताको"}
MONTH_WORDS = {"month", "महिना", "mahina", "महिनाको", "mahinako"}
FILLERS = {"on", "the", "of", "at", "and", "र", "school", "विद्यालय", "गते", "gate"}
MAX_TIME_WORDS = 5
_DAY_NUMBER = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?$")


@dataclass(frozen=True)
class Recurring:
    """A broadcast to repeat: every day, on weekdays (0 = Monday) or on a BS day of the
    month, at a Nepal time."""

    every: str
    at: time
    broadcast: Broadcast
    weekdays: tuple[int, ...] = ()
    bs_day: int | None = None


def read_recurring(text: str, *, now: datetime) -> Recurring | None:
    """The recurring command `text` is; None when it does not start with EVERY (or DAILY)."""
    tokens = tokenize(text)
    if not tokens or tokens[0].word not in EVERY | DAILY | MONTHLY:
        return None
    colon = find_colon(text)
    header = tokens if colon is None else [t for t in tokens if t.end <= colon]
    every, weekdays, bs_day, at = _read_repeat(header)
    clock, at = _read_time(header, at, now)
    start = header[at].start if at < len(header) else header[-1].end
    try:
        broadcast = read_broadcast(text[start:], now=now)
    except Refusal as refusal:
        if refusal.code == "no_colon" and refusal.hint:  # the whole command, with its colon
            raise Refusal("no_colon", text[:start] + refusal.hint) from None
        raise
    if broadcast.kind in (Kind.ABSENCE, Kind.EMERGENCY):
        raise Refusal("recurring_kind")
    if clock is None and broadcast.when is not None:  # `EVERY DAY 5A: … @ 6am`
        clock = broadcast.when.astimezone(NEPAL).time().replace(second=0, microsecond=0)
    if clock is None:
        raise Refusal("recurring_time")
    plain = Broadcast(
        broadcast.kind, broadcast.targets, broadcast.body_en, broadcast.body_ne, broadcast.subject
    )
    return Recurring(every, clock, plain, tuple(weekdays), bs_day)


def _read_repeat(tokens) -> tuple[str, list[int], int | None, int]:
    """(every, weekdays, BS day, where the words after them begin)."""
    first, at = tokens[0].word, 1
    if first in DAILY:
        return Every.DAY, [], None, 1
    if first in MONTHLY:
        bs_day, at = _read_month_day(tokens, 1)
        return Every.BS_MONTH, [], bs_day, at
    at = _skip(tokens, at)
    word = tokens[at].word if at < len(tokens) else ""
    if word in DAY_WORDS:
        return Every.DAY, [], None, at + 1
    if word in MONTH_WORDS:
        bs_day, at = _read_month_day(tokens, at + 1)
        return Every.BS_MONTH, [], bs_day, at
    if word in WEEK_WORDS:
        at = _skip(tokens, at + 1)
    weekdays, at = _read_weekdays(tokens, at)
    if not weekdays:
        raise Refusal("recurring_period", tokens[at].text if at < len(tokens) else None)
    return Every.WEEK, weekdays, None, at


def _skip(tokens, at: int) -> int:
    while at < len(tokens) and tokens[at].word in FILLERS:
        at += 1
    return at


def _read_month_day(tokens, at: int) -> tuple[int, int]:
    at = _skip(tokens, at)
    match = _DAY_NUMBER.match(tokens[at].word) if at < len(tokens) else None
    if not match or not 1 <= int(match.group(1)) <= 32:
        raise Refusal("recurring_day")
    return int(match.group(1)), _skip(tokens, at + 1)


def _read_weekdays(tokens, at: int) -> tuple[list[int], int]:
    found: list[int] = []
    while at < len(tokens):
        meaning = WORDS.get(tokens[at].word)
        if meaning and meaning[0] == "weekday":
            found.append(meaning[1])
        elif tokens[at].word not in FILLERS or not found:
            break
        at += 1
    return sorted(set(found)), at


def _read_time(tokens, at: int, now: datetime) -> tuple[time | None, int]:
    """The time of day the longest run of words from `at` names (None if none), and where
    the words after it begin."""
    for length in range(min(MAX_TIME_WORDS, len(tokens) - at), 0, -1):
        clock = time_of(" ".join(t.text for t in tokens[at : at + length]), now)
        if clock is not None:
            return clock, at + length
    return None, at


def time_of(text: str, now: datetime) -> time | None:
    """The Nepal time of day `text` names (`6am`, `बिहान ६ बजे`, `10:00`), else None."""
    words = [fold_token(word) for word in text.split()]
    if not words or any(w in EVERY | DAY_WORDS | MONTH_WORDS | WEEK_WORDS for w in words):
        return None
    if any((WORDS.get(w) or ("",))[0] in ("weekday", "offset") for w in words):
        return None  # a day, not a time of day
    try:
        moment = parse_when(text, now=now)
    except TimeError:
        return None
    return moment.astimezone(NEPAL).time().replace(second=0, microsecond=0)
