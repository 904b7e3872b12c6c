"""The sandbox transport: sends nothing, records what would be sent, and writes Meta-shaped
webhook bodies so sandbox events travel the same path as real ones."""

import base64
import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from portal.whatsapp.outgoing import sanitized_params, template_message, text_message

SANDBOX_ACCOUNT_ID = "100000000000000"


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
