"""The sandbox transport: sends nothing, records what would be sent, and writes Meta-shaped
webhook bodies so sandbox events travel the same path as real ones."""

import base64
import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from portal.whatsapp.errors import GraphError
from portal.whatsapp.outgoing import (
    media_message,
    sanitized_params,
    template_message,
    text_message,
)

SANDBOX_ACCOUNT_ID = "100000000000000"
SANDBOX_MEDIA_PREFIX = "sandbox-media."  # + the file's sha256: the sandbox keeps the bytes


def sandbox_media_sha(media_id: str | None) -> str | None:
    """The sha256 of the stored file a sandbox media id names (None for any other id)."""
    if media_id and media_id.startswith(SANDBOX_MEDIA_PREFIX):
        return media_id[len(SANDBOX_MEDIA_PREFIX) :]
    return None


def new_wamid(recipient: str = "") -> str:
    """A fresh, unique message id in Meta's shape (`wamid.` + base64 of number and random id)."""
    digits = "".join(ch for ch in recipient if ch.isdigit())[:20].encode()
    raw = (
        b"\x1c\x18"
        + bytes([len(digits)])
        + digits
        + b"\x15\x02\x00\x11\x18\x12"
        + secrets.token_hex(9).upper().encode()
        + b"\x00"
    )
    return "wamid." + base64.b64encode(raw).decode()


def _now() -> datetime:
    return datetime.now(UTC)


class SandboxTransport:
    """Same interface as CloudClient; every message goes to `recorder(message: dict)`."""

    def __init__(self, recorder: Callable[[dict], None] | None = None, *, clock=_now):
        self.recorder = recorder
        self.clock = clock

    def send_text(
        self,
        *,
        phone_number_id: str,
        token: str | None = None,
        to: str,
        body: str,
        callback_data: str | None = None,
    ) -> str:
        """Record a free-form text message; its new wamid."""
        text_message(to=to, body=body, callback_data=callback_data)
        return self._record(phone_number_id, to, callback_data, kind="text", body=body)

    def send_template(
        self,
        *,
        phone_number_id: str,
        token: str | None = None,
        to: str,
        name: str,
        language: str,
        params: dict[str, str],
        callback_data: str | None = None,
    ) -> str:
        """Record a template message with its parameters as Meta would get them; its new wamid."""
        template_message(
            to=to, name=name, language=language, params=params, callback_data=callback_data
        )
        return self._record(
            phone_number_id,
            to,
            callback_data,
            kind="template",
            template=name,
            language=language,
            params=sanitized_params(params),
        )

    def upload_media(
        self, *, phone_number_id: str, token=None, data: bytes, mime_type: str, filename: str
    ) -> str:
        """Nothing leaves the machine: the media id names the stored bytes by their sha256."""
        return SANDBOX_MEDIA_PREFIX + hashlib.sha256(data).hexdigest()

    def send_media(
        self,
        *,
        phone_number_id: str,
        token=None,
        to: str,
        kind: str,
        media_id: str,
        caption: str | None = None,
        filename: str | None = None,
        callback_data: str | None = None,
    ) -> str:
        """Record an image or document message with its caption; its new wamid."""
        media_message(to=to, kind=kind, media_id=media_id, caption=caption, filename=filename)
        media = {"kind": kind, "id": media_id, "filename": filename}
        return self._record(
            phone_number_id, to, callback_data, kind=kind, body=caption, media=media
        )

    def send_media_template(
        self,
        *,
        phone_number_id: str,
        token=None,
        to: str,
        name: str,
        language: str,
        params: dict[str, str],
        kind: str,
        media_id: str,
        filename: str | None = None,
        callback_data: str | None = None,
    ) -> str:
        """Record a template with a media header; its new wamid."""
        header = {"type": kind, kind: {"id": media_id}}
        template_message(to=to, name=name, language=language, params=params, header=header)
        media = {"kind": kind, "id": media_id, "filename": filename}
        return self._record(
            phone_number_id,
            to,
            callback_data,
            kind="template",
            template=name,
            language=language,
            params=sanitized_params(params),
            media=media,
        )

    def media_info(self, *, media_id: str, token=None) -> dict:
        """The sandbox's phones send no files; a media id from elsewhere is unknown here."""
        raise GraphError(code=100, http_status=400, message=f"no media {media_id} in the sandbox")

    def download_media(self, *, url: str, token=None, limit: int) -> bytes:
        raise GraphError(code=100, http_status=400, message="no media in the sandbox")

    def _record(self, phone_number_id, to, callback_data, **content) -> str:
        wamid = new_wamid(to)
        message = {"body": None, "template": None, "language": None, "params": None} | content
        message |= {
            "phone_number_id": phone_number_id,
            "to": to,
            "callback_data": callback_data,
            "wamid": wamid,
            "at": self.clock(),
        }
        if self.recorder is not None:
            self.recorder(message)
        return wamid

    def status_webhook(
        self,
        *,
        phone_number_id: str,
        wamid: str,
        recipient: str,
        status: str,
        callback_data: str | None = None,
        at: datetime | None = None,
        errors: list[dict] | None = None,
    ) -> bytes:
        """The body Meta would POST when a message moves to `status` (UTILITY pricing)."""
        at = at or self.clock()
        item = {
            "id": wamid,
            "status": status,
            "timestamp": _epoch(at),
            "recipient_id": recipient.lstrip("+"),
        }
        if status in ("sent", "delivered"):
            item["conversation"] = {
                "id": secrets.token_hex(16),
                "expiration_timestamp": _epoch(at + timedelta(hours=24)),
                "origin": {"type": "utility"},
            }
            item["pricing"] = {
                "billable": True,
                "pricing_model": "PMP",
                "type": "regular",
                "category": "utility",
            }
        if callback_data is not None:
            item["biz_opaque_callback_data"] = callback_data
        if errors:
            item["errors"] = errors
        return _body(phone_number_id, {"statuses": [item]})

    def inbound_webhook(
        self,
        *,
        phone_number_id: str,
        sender: str,
        text: str,
        name: str | None = None,
        context_wamid: str | None = None,
        at: datetime | None = None,
    ) -> bytes:
        """The body Meta would POST when `sender` writes `text` to the school's number."""
        wa_id = sender.lstrip("+")
        message = {
            "from": wa_id,
            "id": new_wamid(wa_id),
            "timestamp": _epoch(at or self.clock()),
            "type": "text",
            "text": {"body": text},
        }
        if context_wamid:
            message["context"] = {"from": phone_number_id, "id": context_wamid}
        contact = {"profile": {"name": name or wa_id}, "wa_id": wa_id}
        return _body(phone_number_id, {"contacts": [contact], "messages": [message]})


def _epoch(at: datetime) -> str:
    return str(int(at.timestamp()))


def _body(phone_number_id: str, content: dict) -> bytes:
    """A whole webhook body, serialised as Meta does: compact, non-ASCII escaped as \\uXXXX."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": phone_number_id, "phone_number_id": phone_number_id},
        **content,
    }
    doc = {
        "object": "whatsapp_business_account",
        "entry": [{"id": SANDBOX_ACCOUNT_ID, "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(doc, ensure_ascii=True, separators=(",", ":")).encode()
