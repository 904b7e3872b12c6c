"""The JSON bodies of outgoing messages, checked before anything is sent."""

from portal.whatsapp.templates import body_component, sanitize_param

MAX_TEXT_LENGTH = 4096
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


def template_message(
    *, to: str, name: str, language: str, params: dict[str, str], callback_data: str | None = None
) -> dict:
    """An approved template with named body parameters (sanitised so Meta accepts them)."""
    if not name or not language:
        raise ValueError("a template message needs a name and a language code")
    message = _envelope(to, "template", callback_data)
    template = {"name": name, "language": {"policy": "deterministic", "code": language}}
    components = body_component(params)
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
