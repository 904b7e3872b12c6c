"""What a person's inbound message carries, read field by field from Meta's webhook shapes
(Webhooks reference: messages; Media; Interactive reply buttons; System messages): its text
or caption, its media object, the id of the button tapped, a changed number or user id.
Every reader takes any JSON value and returns strings or None, never raising."""

import re
from dataclasses import dataclass

from portal.lexicon.text import storable


@dataclass(frozen=True, slots=True)
class SystemChange:
    """A user's new number or new business-scoped user id (a `type: system` message; System
    messages webhook reference): the identifiers they had and have now."""

    kind: str  # user_changed_number or user_changed_user_id
    new_wa_id: str | None
    new_user_id: str | None
    previous_user_id: str | None


MEDIA_FIELDS = ("id", "mime_type", "sha256", "filename", "url")
MEDIA_TYPES = ("image", "document", "sticker", "audio", "video")


def media_of(item: dict, kind: str) -> dict | None:
    """What a media message says of its file (strings only), or None for other messages."""
    part = item.get(kind) if kind in MEDIA_TYPES else None
    if not isinstance(part, dict):
        return None
    media = {name: string(part.get(name)) for name in MEDIA_FIELDS}
    media["voice"] = part.get("voice") is True
    return media


def text_of(item: dict, kind: str) -> str | None:
    part = item.get(kind)
    if not isinstance(part, dict):
        return None
    if kind == "text":
        return string(part.get("body"))
    if kind == "button":
        return string(part.get("text")) or string(part.get("payload"))
    if kind == "interactive":
        reply = part.get(part.get("type")) if isinstance(part.get("type"), str) else None
        return string(reply.get("title")) if isinstance(reply, dict) else None
    return string(part.get("caption"))


def button_id_of(item: dict, kind: str) -> str | None:
    part = item.get(kind)
    if not isinstance(part, dict):
        return None
    if kind == "button":
        return string(part.get("payload"))
    if kind == "interactive" and isinstance(part.get("type"), str):
        return string(field(part.get(part["type"]), "id"))
    return None


CHANGED = re.compile(r"changed from (\S+) to (\S+)")


def system_change_of(item: dict, sender_user_id: str | None) -> SystemChange | None:
    part = item.get("system")
    if not isinstance(part, dict) or not string(part.get("type")):
        return None
    previous = sender_user_id
    found = CHANGED.search(string(part.get("body")) or "")
    if found and "." in found[1] and not found[1].isdigit():
        previous = previous or found[1]
    return SystemChange(
        kind=part["type"],
        new_wa_id=string(part.get("wa_id")),
        new_user_id=string(part.get("user_id")),
        previous_user_id=previous,
    )


def string(value) -> str | None:
    """A string field, cleaned so it can be stored (NUL dropped, lone surrogates replaced:
    JSON can carry both, PostgreSQL's text and UTF-8 cannot); None when absent or empty."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return (storable(value) or None) if isinstance(value, str) else None


def integer(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def field(value, key):
    return value.get(key) if isinstance(value, dict) else None


def as_list(value) -> list:
    return value if isinstance(value, list) else []
