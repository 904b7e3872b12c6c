"""Webhook bodies read into typed items; a bad item becomes `Malformed`, never an exception.

One body may batch up to 1000 updates across entry[] / changes[] / messages[] / statuses[] /
errors[]. Unknown fields are ignored and unknown message types come through with their `type`.
"""

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from portal.whatsapp.message_parts import (
    SystemChange,
    as_list,
    button_id_of,
    field,
    integer,
    media_of,
    string,
    system_change_of,
    text_of,
)
from portal.whatsapp.outgoing import MAX_WAMID_LENGTH

INT32 = 2**31 - 1  # error codes are kept in 32-bit columns


class ErrorInfo(NamedTuple):
    """One entry of an `errors` array: Meta's code, its title and `error_data.details`."""

    code: int | None
    title: str
    details: str


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message a person sent to a school's number."""

    phone_number_id: str
    wamid: str
    sender: str | None  # messages[].from; absent for a user known only by user_id
    wa_id: str | None  # contacts[].wa_id; may differ from sender
    user_id: str | None  # business-scoped user id
    profile_name: str | None
    type: str
    text: str | None  # text body, or the title of the tapped button / list row, or a caption
    timestamp: datetime
    context_wamid: str | None  # the message this one replies to
    errors: tuple[ErrorInfo, ...] = ()
    raw: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)
    # An image, document, sticker, audio or video: its id, mime_type, sha256 (base64),
    # filename and, in newer webhooks, url (Meta's "Image messages webhook reference").
    media: dict | None = None
    button_id: str | None = None  # a reply button's id, or a quick reply's payload
    system: SystemChange | None = None


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """What happened to a message a school sent: sent, delivered, read, failed (or newer ones)."""

    phone_number_id: str
    wamid: str
    status: str
    timestamp: datetime
    recipient_id: str | None
    recipient_user_id: str | None
    callback_data: str | None  # biz_opaque_callback_data, as given when sending
    errors: tuple[ErrorInfo, ...] = ()
    raw: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)
    pricing: dict | None = None  # {pricing_model, category, type[, billable]}, on one status


@dataclass(frozen=True, slots=True)
class WebhookError:
    """Errors Meta reports for a number as a whole (value-level `errors[]`)."""

    phone_number_id: str
    errors: tuple[ErrorInfo, ...]
    raw: Any = dataclasses.field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class OtherChange:
    """A change for another webhook field (template status, account updates…), kept as it came."""

    field: str
    where: str
    raw: Any = dataclasses.field(default=None, repr=False, compare=False)
    account_id: str | None = None  # entry.id: the WhatsApp Business Account


@dataclass(frozen=True, slots=True)
class Malformed:
    """A part of the body that could not be read: where it was, why, and what it held."""

    where: str
    why: str
    raw: Any = dataclasses.field(default=None, repr=False, compare=False)


Item = InboundMessage | StatusUpdate | WebhookError | OtherChange | Malformed


class _Unreadable(ValueError):
    """Why one item could not be read."""


def parse(body: bytes | str | dict) -> Iterator[Item]:
    """Every item in a webhook body, in order; never raises, whatever the body holds."""
    doc = body if isinstance(body, dict) else _load(body)
    if isinstance(doc, Malformed):
        yield doc
        return
    entries = doc.get("entry")
    if not isinstance(entries, list):
        yield Malformed("body", "no entry list", doc)
        return
    for i, entry in enumerate(entries):
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            yield Malformed(f"entry[{i}]", "no changes list", entry)
            continue
        for j, change in enumerate(changes):
            yield from _change(change, f"entry[{i}].changes[{j}]", string(entry.get("id")))


def _load(body) -> dict | Malformed:
    try:
        doc = json.loads(body)
    except (TypeError, ValueError, RecursionError) as exc:
        return Malformed("body", f"not JSON: {exc}", body)
    return doc if isinstance(doc, dict) else Malformed("body", "not a JSON object", doc)


def _change(change, where: str, account_id: str | None = None) -> Iterator[Item]:
    value = change.get("value") if isinstance(change, dict) else None
    if not isinstance(value, dict):
        yield Malformed(where, "no value object", change)
        return
    kind = change.get("field", "messages")
    if kind != "messages":
        yield OtherChange(str(kind), where, value, account_id)
        return
    metadata = value.get("metadata")
    number = string(metadata.get("phone_number_id")) if isinstance(metadata, dict) else None
    if number is None:
        yield Malformed(where, "no metadata.phone_number_id", value)
        return
    contacts = [c for c in as_list(value.get("contacts")) if isinstance(c, dict)]
    for k, item in _items(value, "messages", where):
        yield _read(_message, item, f"{where}.messages[{k}]", number, contacts, k)
    for k, item in _items(value, "statuses", where):
        yield _read(_status, item, f"{where}.statuses[{k}]", number)
    if value.get("errors"):
        yield _read(_value_errors, value["errors"], f"{where}.errors", number)


def _items(value: dict, key: str, where: str) -> Iterator[tuple[int, Any]]:
    items = value.get(key)
    if items is None:
        return
    if not isinstance(items, list):
        yield -1, _Unreadable(f"{key} is not a list")
        return
    yield from enumerate(items)


def _read(reader, item, where: str, *args) -> Item:
    if isinstance(item, _Unreadable):
        return Malformed(where, str(item), None)
    try:
        return reader(item, *args)
    except Exception as exc:  # one unreadable item must never hide the others
        return Malformed(where, str(exc) or type(exc).__name__, item)


def _message(item, number: str, contacts: list[dict], index: int) -> InboundMessage:
    _require_object(item)
    sender = string(item.get("from"))
    user_id = string(item.get("from_user_id"))
    contact = _contact_for(contacts, sender, user_id, index)
    kind = string(item.get("type")) or "unknown"
    return InboundMessage(
        phone_number_id=number,
        wamid=_wamid(item),
        sender=sender,
        wa_id=string(contact.get("wa_id")),
        user_id=user_id or string(contact.get("user_id")),
        profile_name=string(field(contact.get("profile"), "name")),
        type=kind,
        text=text_of(item, kind),
        timestamp=_timestamp(item.get("timestamp")),
        context_wamid=string(field(item.get("context"), "id")),
        errors=_errors(item.get("errors")),
        raw=item,
        media=media_of(item, kind),
        button_id=button_id_of(item, kind),
        system=system_change_of(item, user_id) if kind == "system" else None,
    )


def _status(item, number: str) -> StatusUpdate:
    _require_object(item)
    status = string(item.get("status"))
    if status is None:
        raise _Unreadable("no status")
    return StatusUpdate(
        phone_number_id=number,
        wamid=_wamid(item),
        status=status.lower(),
        timestamp=_timestamp(item.get("timestamp")),
        recipient_id=string(item.get("recipient_id")),
        recipient_user_id=string(item.get("recipient_user_id")),
        callback_data=string(item.get("biz_opaque_callback_data")),
        errors=_errors(item.get("errors")),
        raw=item,
        pricing=item["pricing"] if isinstance(item.get("pricing"), dict) else None,
    )


def _value_errors(errors, number: str) -> WebhookError:
    if not isinstance(errors, list):
        raise _Unreadable("errors is not a list")
    return WebhookError(phone_number_id=number, errors=_errors(errors), raw=errors)


def _contact_for(contacts: list[dict], sender, user_id, index: int) -> dict:
    for contact in contacts:
        if sender and string(contact.get("wa_id")) == sender:
            return contact
        if user_id and string(contact.get("user_id")) == user_id:
            return contact
    if len(contacts) == 1:
        return contacts[0]
    return contacts[index] if index < len(contacts) else {}


def _errors(errors) -> tuple[ErrorInfo, ...]:
    found = []
    for error in as_list(errors):
        if not isinstance(error, dict):
            continue
        details = string(field(error.get("error_data"), "details"))
        title = string(error.get("title")) or string(error.get("message")) or ""
        code = integer(error.get("code"))
        code = code if code is not None and -INT32 <= code <= INT32 else None
        found.append(ErrorInfo(code, title, details or ""))
    return tuple(found)


def _wamid(item: dict) -> str:
    wamid = string(item.get("id"))
    if wamid is None:
        raise _Unreadable("no id")
    if len(wamid) > MAX_WAMID_LENGTH:
        raise _Unreadable(f"id longer than {MAX_WAMID_LENGTH} characters")
    return wamid


def _timestamp(value) -> datetime:
    seconds = integer(value)
    if seconds is None or seconds < 0:
        raise _Unreadable(f"bad timestamp {value!r}")
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise _Unreadable(f"bad timestamp {value!r}") from None


def _require_object(item) -> None:
    if not isinstance(item, dict):
        raise _Unreadable("not an object")
