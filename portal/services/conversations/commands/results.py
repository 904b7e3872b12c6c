"""What a teacher's message means: one of these commands, or Unclear with a reason code."""

from dataclasses import dataclass, field
from datetime import datetime

# Why a message was not understood. The caller turns a code into a translated explanation
# and an example; `hint` carries the words the code is about.
REASONS = {
    "empty_message": "nothing but spaces or punctuation was sent",
    "unknown_command": "no keyword, no class: not a command (hint None)",
    "no_colon": "a class or keyword without a colon after it (hint: the message with one)",
    "no_targets": "a keyword or colon with no class before the colon",
    "unknown_target": "a word where a class should be that is no class (hint: that word)",
    "one_class": "an absence list for several classes or ALL: roll numbers need one class",
    "empty_text": "no text after the colon",
    "no_rolls": "an absence list with no roll numbers",
    "bad_rolls": "something that is not a roll number in an absence list (hint: it)",
    "bad_time": "the words after @ are not a time (hint: those words)",
    "past_time": "the time after @ names a day or moment already gone (hint: the words)",
    "too_far": "the time after @ is more than a year ahead, likely a mistyped year (hint: it)",
    "two_times": "two different @ times in one message (hint: the second)",
    "bad_id": "CANCEL or STATUS without a usable number (hint: what was given, or None)",
    # recurring commands (commands/recurring.py)
    "recurring_period": "EVERY without DAY, MONTH or a weekday after it (hint: what followed)",
    "recurring_day": "EVERY MONTH without a day of the month from 1 to 32",
    "recurring_time": "a recurring command without a time it goes at",
    "recurring_kind": "an absence list or emergency asked to repeat",
}


class Refusal(Exception):
    """Raised inside the parser to stop at the first thing it cannot read."""

    def __init__(self, code: str, hint: str | None = None):
        super().__init__(code, hint)
        self.code, self.hint = code, hint


@dataclass(frozen=True)
class Broadcast:
    """A notice, homework, absence list, event or emergency for some classes.

    targets are labels such as `5A`, `5` (a whole grade) or `ALL`; when is UTC (None: now).
    """

    kind: str
    targets: list[str]
    body_en: str | None = None
    body_ne: str | None = None
    subject: str | None = None
    rolls: list[int] = field(default_factory=list)
    when: datetime | None = None
    when_text: str | None = None


@dataclass(frozen=True)
class Confirm:
    """YES to a preview: the one numbered, or the one waiting when no number is given."""

    broadcast_id: int | None = None


@dataclass(frozen=True)
class Decline:
    """NO to a preview: the one numbered, or the one waiting when no number is given."""

    broadcast_id: int | None = None


@dataclass(frozen=True)
class Cancel:
    """Cancel a scheduled broadcast."""

    broadcast_id: int


@dataclass(frozen=True)
class Status:
    """How far a broadcast has gone."""

    broadcast_id: int


@dataclass(frozen=True)
class Help:
    """Send the list of commands."""


@dataclass(frozen=True)
class Unclear:
    """Not understood; `reason_code` is one of REASONS."""

    reason_code: str
    hint: str | None = None


Command = Broadcast | Confirm | Decline | Cancel | Status | Help | Unclear
