"""The JSON bodies of outgoing messages, checked before anything is sent.

Limits are Meta's (Interactive reply buttons messages; Template components; Business-scoped
user IDs): an interactive body at most 1,024 characters, at most 3 reply buttons, a button
title at most 20 characters and its id at most 256; a template's quick-reply button label at
most 25 characters. A recipient known only by a business-scoped user id (`NP.…`) is sent to
with `recipient` instead of `to`."""

import re

from portal.whatsapp.templates import body_component, sanitize_param

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024  # Meta's limit for an image's or document's caption
MEDIA_TYPES = ("image", "document")
MAX_CALLBACK_LENGTH = 512
MAX_WAMID_LENGTH = 128
MAX_INTERACTIVE_BODY = 1024
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_QUICK_REPLY_LABEL = 25
MAX_PAYLOAD = 256  # Sandesh's own bound on a quick reply's payload (it echoes back)
# A business-scoped user id: a two-letter country code, a dot, then Meta's id.
BSUID = re.compile(r"^[A-Z]{2}\.[A-Za-z0-9.]{1,128}$")


def text_message(*, to: str, body: str, callback_data: str | None = None) -> dict:
    """A free-form text message (only inside the recipient's 24-hour window)."""
    if not body or not body.strip():
        raise ValueError("a text message needs a body")
    if len(body) > MAX_TEXT_LENGTH:
        raise ValueError(f"text body is {len(body)} characters; WhatsApp allows {MAX_TEXT_LENGTH}")
    message = _envelope(to, "text", callback_data)
    message["text"] = {"preview_url": False, "body": body}
    return message


def media_message(
    *,
    to: str,
    kind: str,
    media_id: str,
    caption: str | None = None,
    filename: str | None = None,
    callback_data: str | None = None,
) -> dict:
    """An image or document message by uploaded media id, with its caption (inside the
    24-hour window). Shape: Meta's "Image messages" and "Document messages" pages."""
    if kind not in MEDIA_TYPES or not media_id:
        raise ValueError("a media message needs a type (image or document) and a media id")
    if caption and len(caption) > MAX_CAPTION_LENGTH:
        raise ValueError(f"caption is {len(caption)} characters; WhatsApp allows 1024")
    message = _envelope(to, kind, callback_data)
    message[kind] = media_object(kind, media_id, filename) | (
        {"caption": caption} if caption else {}
    )
    return message


def media_object(kind: str, media_id: str, filename: str | None) -> dict:
    """`{"id": ...}`, with the file's name for a document (what the parent's phone shows)."""
    media = {"id": media_id}
    if kind == "document" and filename:
        media["filename"] = filename
    return media


def interactive_message(
    *, to: str, body: str, buttons: list[dict], callback_data: str | None = None
) -> dict:
    """Text with up to three reply buttons ({"id", "title"}), inside the 24-hour window."""
    if not body or not body.strip():
        raise ValueError("an interactive message needs a body")
    if len(body) > MAX_INTERACTIVE_BODY:
        raise ValueError(f"interactive body is {len(body)} characters; at most 1024")
    _check_buttons(buttons)
    message = _envelope(to, "interactive", callback_data)
    replies = [{"type": "reply", "reply": {"id": b["id"], "title": b["title"]}} for b in buttons]
    message["interactive"] = {
        "type": "button",
        "body": {"text": body},
        "action": {"buttons": replies},
    }
    return message


def _check_buttons(buttons: list[dict]) -> None:
    if not 1 <= len(buttons) <= MAX_BUTTONS:
        raise ValueError(f"an interactive message takes 1 to {MAX_BUTTONS} buttons")
    titles = [b["title"] for b in buttons]
    if len(set(titles)) != len(titles) or len({b["id"] for b in buttons}) != len(buttons):
        raise ValueError("button titles and ids must be unique within the message")
    for button in buttons:
        if not button["title"] or len(button["title"]) > MAX_BUTTON_TITLE:
            raise ValueError(
                f"button title {button['title']!r}: 1 to {MAX_BUTTON_TITLE} characters"
            )
        if not button["id"] or len(button["id"]) > MAX_BUTTON_ID:
            raise ValueError(f"button id: 1 to {MAX_BUTTON_ID} characters")


def template_message(
    *,
    to: str,
    name: str,
    language: str,
    params: dict[str, str],
    callback_data: str | None = None,
    header: dict | None = None,
    quick_replies: list[str] | None = None,
) -> dict:
    """An approved template with named body parameters (sanitised so Meta accepts them), a
    media header (`{"type": "image", "image": {"id": ...}}`) for the media templates (Meta's
    "Template media" page: a header component whose parameter is the media), and
    `quick_replies`: the payloads of its quick-reply buttons, by position."""
    if not name or not language:
        raise ValueError("a template message needs a name and a language code")
    message = _envelope(to, "template", callback_data)
    template = {"name": name, "language": {"policy": "deterministic", "code": language}}
    components = body_component(params) + quick_reply_components(quick_replies or [])
    if header is not None:
        components = [{"type": "header", "parameters": [header]}, *components]
    if components:
        template["components"] = components
    message["template"] = template
    return message


def quick_reply_components(payloads: list[str]) -> list[dict]:
    """The `button` components that set each quick reply's payload (echoed back on a tap)."""
    components = []
    for index, payload in enumerate(payloads):
        if not payload or len(payload) > MAX_PAYLOAD:
            raise ValueError(f"a quick reply payload is 1 to {MAX_PAYLOAD} characters")
        parameters = [{"type": "payload", "payload": payload}]
        button = {"type": "button", "sub_type": "quick_reply", "index": str(index)}
        components.append(button | {"parameters": parameters})
    return components


def sanitized_params(params: dict[str, str]) -> dict[str, str]:
    """The parameters exactly as they go to Meta."""
    return {name: sanitize_param(value) for name, value in (params or {}).items()}


def recipient_field(to: str) -> dict:
    """`{"to": number}`, or `{"recipient": bsuid}` for someone known only by their
    business-scoped user id."""
    if BSUID.match(to):
        return {"recipient": to}
    return {"to": to}


def _envelope(to: str, kind: str, callback_data: str | None) -> dict:
    if not to:
        raise ValueError("a message needs a recipient")
    if callback_data is not None and len(callback_data) > MAX_CALLBACK_LENGTH:
        raise ValueError(f"callback data is longer than {MAX_CALLBACK_LENGTH} characters")
    message = {"messaging_product": "whatsapp", "recipient_type": "individual"}
    message |= recipient_field(to)
    message["type"] = kind
    if callback_data is not None:
        message["biz_opaque_callback_data"] = callback_data
    return message
