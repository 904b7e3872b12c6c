"""What teachers write on WhatsApp, read into commands: `parse(text, now=...)`.

Pure: no database, no request, no sending. Every input gives a command; what cannot be
read gives Unclear with a reason code from REASONS for the caller to explain and translate.
"""

import logging
import sys
import traceback
from datetime import UTC, datetime

from portal.services.conversations.commands.grammar import read_broadcast
from portal.services.conversations.commands.recurring import Recurring, read_recurring
from portal.services.conversations.commands.results import (
    REASONS,
    Broadcast,
    Cancel,
    Command,
    Confirm,
    Decline,
    Help,
    Refusal,
    Status,
    Unclear,
)
from portal.services.conversations.commands.short import read_reply
from portal.services.conversations.commands.words import fold_phrase

__all__ = [
    "REASONS",
    "Broadcast",
    "Cancel",
    "Command",
    "Confirm",
    "Decline",
    "Help",
    "Recurring",
    "Status",
    "Unclear",
    "parse",
]

log = logging.getLogger(__name__)


def parse(text: str, *, now: datetime) -> Command:
    """The command a teacher's message gives; never raises."""
    try:
        return read_command(text, now=now)
    except Exception:  # a webhook must never fail on what a person typed
        # what the teacher wrote stays out of the log: its length and the traceback's frames
        log.error(
            "command parser failed on a %s-character message\n%s",
            len(str(text)),
            "".join(traceback.format_tb(sys.exc_info()[2])),
        )
        return Unclear("unknown_command")


def read_command(text: str, *, now: datetime) -> Command:
    """The command in `text`, relative to the aware `now` (a naive one is taken as UTC)."""
    text = text.strip() if isinstance(text, str) else ""
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    if not fold_phrase(text):
        return Unclear("empty_message")
    try:
        return read_reply(text) or read_recurring(text, now=now) or read_broadcast(text, now=now)
    except Refusal as refusal:
        return Unclear(refusal.code, refusal.hint)
