"""The JSON bodies of outgoing messages, checked before anything is sent."""

from portal.whatsapp.templates import body_component, sanitize_param

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024  # Meta's limit for an image's or document's caption
MEDIA_TYPES = ("image", "document")
MAX_CALLBACK_LENGTH = 512
MAX_WAMID_LENGTH = 128


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


def template_message(
    *,
    to: str,
    name: str,
    language: str,
    params: dict[str, str],
    callback_data: str | None = None,
    header: dict | None = None,
) -> dict:
    """An approved template with named body parameters (sanitised so Meta accepts them), and
    a media header (`{"type": "image", "image": {"id": ...}}`) for the media templates
    (Meta's "Template media" page: a header component whose parameter is the media)."""
    if not name or not language:
        raise ValueError("a template message needs a name and a language code")
    message = _envelope(to, "template", callback_data)
    template = {"name": name, "language": {"policy": "deterministic", "code": language}}
    components = body_component(params)
    if header is not None:
        components = [{"type": "header", "parameters": [header]}, *components]
    if components:
        template["components"] = components
    message["template"] = template
    return message


def sanitized_params(params: dict[str, str]) -> dict[str, str]:
    """The parameters exactly as they go to Meta."""
    return {name: sanitize_param(value) for name, value in (params or {}).items()}


def _envelope(to: str, kind: str, callback_data: str | None) -> dict:
    if not to:
        raise ValueError("a message needs a recipient")
    if callback_data is not None and len(callback_data) > MAX_CALLBACK_LENGTH:
        raise ValueError(f"callback data is longer than {MAX_CALLBACK_LENGTH} characters")
    message = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
    message["type"] = kind
    if callback_data is not None:
        message["biz_opaque_callback_data"] = callback_data
    return message
