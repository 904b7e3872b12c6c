"""Broadcast commands: `[KEYWORD] classes [subject] [@ time]: text [|| text] [@ time]`.

The colon ends the header. Without one, only an absence list for a class with a section
(`ABSENT 5A 3 7 12`) is read; anything else that starts with a class or keyword is refused
with `no_colon` and the message as it would read with the colon, so a teacher never has a
chat message sent to a whole grade by mistake.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from portal.lexicon import classnames
from portal.models import Kind
from portal.services.broadcasting.targets import parse_target
from portal.services.conversations.commands.results import Broadcast, Refusal
from portal.services.conversations.commands.texts import (
    COLONS,
    assign_languages,
    read_parts,
    read_rolls,
    split_languages,
    split_schedule,
)
from portal.services.conversations.commands.words import (
    ALL_WORDS,
    FILLERS,
    TWO_WORD_KINDS,
    fold_token,
    kind_of,
)

VISARGA = "ः"  # typed for a colon on Nepali keyboards: `५कः भोलि बिदा`
TARGET_WORDS = 4  # the most words one class name takes: `play group a`, `एल के जी क`
HEADER_REACH = 120  # how far into a message a visarga may end the header

_TOKEN = re.compile(r"[^\s,，、;&+/]+")
_SEPARATOR = re.compile(f"[{COLONS}{VISARGA}]")
_CLASS_LIKE = re.compile(r"^[0-9]{1,3}(?:[a-z]|[क-ह])?$")


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    word: str  # folded for comparison


@dataclass(frozen=True)
class Header:
    kind: str | None
    targets: list[str]
    end: int  # where the classes (and a keyword after them) end
    subject: str | None  # words that are neither keyword nor class
    rest_start: int | None  # where such words after the classes begin
    core_end: int  # where the header ends without its `@ time`
    when_text: str | None


def tokenize(text: str) -> list[Token]:
    """Words with their place in `text`; commas, `/`, `&` and `+` separate them."""
    return [
        Token(m.group(), m.start(), m.end(), fold_token(m.group())) for m in _TOKEN.finditer(text)
    ]


def target_label(word: str) -> str | None:
    """`5a` → `5A`, `5क` and `5ka` → `5A`, `5` → `5`, `lkg b` → `LKG B`, `सबै` → `ALL`;
    None for anything else."""
    if word in ALL_WORDS:
        return "ALL"
    target = parse_target(word)
    if target is None or target.grade is None or not classnames.is_known_grade(target.grade):
        return None
    return target.label


def read_broadcast(text: str, *, now: datetime) -> Broadcast:
    """A broadcast command; raises Refusal with the reason it is not one."""
    colon = find_colon(text)
    if colon is None:
        return _read_uncoloned(text, now)
    head = read_header(text[:colon])
    body = text[colon + 1 :]
    if head.rest_start is not None and head.kind not in (Kind.HOMEWORK, Kind.ABSENCE):
        if head.kind is None:
            raise Refusal("no_colon", insert_colon(text, head.end))
        # `EVENT 5A Sports day: Saturday` keeps its title, as written, before the colon
        body = text[head.rest_start : head.core_end].rstrip() + text[colon:]
    subject = head.subject if head.kind == Kind.HOMEWORK else None
    kind = head.kind or Kind.NOTICE
    return make_broadcast(kind, head.targets, body, now=now, subject=subject, when=head.when_text)


def find_colon(text: str) -> int | None:
    """Where the header ends: the first colon that is not inside a time such as 10:30."""
    for match in _SEPARATOR.finditer(text):
        at = match.start()
        if match.group() == VISARGA:
            if _visarga_ends_header(text, at):
                return at
        elif not (text[at - 1 : at].isdigit() and text[at + 1 : at + 2].isdigit()):
            return at
    return None


def _visarga_ends_header(text: str, at: int) -> bool:
    after = text[at + 1 : at + 2]
    if at > HEADER_REACH or (after and not after.isspace() and after not in COLONS):
        return False
    words = text[:at].split()
    return bool(words) and (len(words) <= 4 or target_label(fold_token(words[-1])) is not None)


def read_header(header: str) -> Header:
    """Keyword, classes, subject and time before the colon."""
    header, when_text = split_schedule(header, last=False)
    tokens = tokenize(header)
    kind, start = read_keyword(tokens, 0)
    found, after = read_targets(tokens, start)
    before: list[Token] = []
    if not found and kind == Kind.HOMEWORK:  # `HW Science 5A:`
        at = next((n for n in range(start, len(tokens)) if target_label(tokens[n].word)), None)
        if at is not None:
            before, (found, after) = tokens[start:at], read_targets(tokens, at)
    _check_targets(tokens, found, after if found else start)
    end = found[-1][1]
    if kind is None:
        kind, after = read_keyword(tokens, after)  # `5A HW Science:`
        end = tokens[after - 1].end if kind else end
    rest = tokens[after:]
    subject = " ".join(header[part[0].start : part[-1].end] for part in (before, rest) if part)
    rest_start = rest[0].start if rest else None
    labels = [label for label, _ in found]
    return Header(kind, labels, end, subject or None, rest_start, len(header), when_text)


def read_keyword(tokens: list[Token], at: int) -> tuple[str | None, int]:
    """The kind a keyword at `at` names and where the words after it begin."""
    if at < len(tokens) and (kind := kind_of(tokens[at].word)):
        return kind, at + 1
    pair = tuple(token.word for token in tokens[at : at + 2])
    if pair in TWO_WORD_KINDS:
        return TWO_WORD_KINDS[pair], at + 2
    return None, at


def read_targets(tokens: list[Token], at: int) -> tuple[list[tuple[str, int]], int]:
    """Classes from `at` on, as (label, end) pairs, and where the next word begins."""
    found = []
    while at < len(tokens):
        if tokens[at].word in FILLERS:
            at += 1
            continue
        label, width = _read_target(tokens, at)
        if label is None:
            break
        at += width
        found.append((label, tokens[at - 1].end))
    return found, at


def _read_target(tokens: list[Token], at: int) -> tuple[str | None, int]:
    """The class that starts at `at` and how many words it takes: `5A`, `5 A`, `UKG B`,
    `Play Group`, `एल के जी क`, the longest reading first."""
    for width in range(min(TARGET_WORDS, len(tokens) - at), 0, -1):
        words = " ".join(token.word for token in tokens[at : at + width])
        if label := target_label(words):
            return label, width
    return None, 0


def _check_targets(tokens: list[Token], found: list, at: int) -> None:
    if at < len(tokens) and _CLASS_LIKE.match(tokens[at].word):
        raise Refusal("unknown_target", tokens[at].text)
    if not found:
        raise Refusal("no_targets")


def _read_uncoloned(text: str, now: datetime) -> Broadcast:
    """A message without a colon: an absence list for one class, or a refusal."""
    tokens = tokenize(text)
    kind, start = read_keyword(tokens, 0)
    found, after = read_targets(tokens, start)
    if not found:
        raise Refusal("no_targets" if kind else "unknown_command")
    end, labels = found[0][1], [found[0][0]]
    if kind is None:
        kind, after = read_keyword(tokens, after)  # `5A absent 3 7`
        end = tokens[after - 1].end if kind else found[-1][1]
        labels = [label for label, _ in found]
    if kind == Kind.ABSENCE:
        if labels[-1].isdigit() or labels[-1] == "ALL":
            raise Refusal("no_colon", insert_colon(text, end))  # `ABSENT 5 3 7`: grade or roll?
        return make_broadcast(kind, labels, text[end:], now=now)
    if not text[end:].strip(" \t\n-–—"):
        raise Refusal("empty_text")
    raise Refusal("no_colon", insert_colon(text, end))


def insert_colon(text: str, at: int) -> str:
    """The message with a colon where the header ends: the likely intended command."""
    return text[:at].rstrip() + ": " + text[at:].lstrip(" \t\n-–—")


def make_broadcast(
    kind: str,
    labels: list[str],
    body: str,
    *,
    now: datetime,
    subject: str | None = None,
    when: str | None = None,
) -> Broadcast:
    """The Broadcast from its parts, once the text and times (`when`: from the header) are read."""
    targets = ["ALL"] if "ALL" in labels else list(dict.fromkeys(labels))
    header_when = when
    if kind == Kind.ABSENCE:
        if len(targets) != 1 or targets == ["ALL"]:
            raise Refusal("one_class")
        (text,), when, when_text = read_parts([body], header_when, now)
        return Broadcast(kind, targets, rolls=read_rolls(text), when=when, when_text=when_text)
    texts, when, when_text = read_parts(split_languages(body), header_when, now)
    body_en, body_ne = assign_languages(texts)
    if body_en is None and body_ne is None:
        raise Refusal("empty_text")
    return Broadcast(kind, targets, body_en, body_ne, subject, [], when, when_text)
