"""The sandbox transport: sends nothing, records what would be sent, and writes Meta-shaped
webhook bodies (`sandbox_webhooks`) so sandbox events travel the same path as real ones."""

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

from portal.whatsapp import sandbox_webhooks
from portal.whatsapp.errors import GraphError
from portal.whatsapp.outgoing import (
    interactive_message,
    media_message,
    sanitized_params,
    template_message,
    text_message,
)
from portal.whatsapp.sandbox_webhooks import SANDBOX_ACCOUNT_ID, new_wamid

__all__ = ["SANDBOX_ACCOUNT_ID", "SandboxTransport", "new_wamid", "sandbox_media_sha"]
SANDBOX_MEDIA_PREFIX = "sandbox-media."  # + the file's sha256: the sandbox keeps the bytes


def sandbox_media_sha(media_id: str | None) -> str | None:
    """The sha256 of the stored file a sandbox media id names (None for any other id)."""
    if media_id and media_id.startswith(SANDBOX_MEDIA_PREFIX):
        return media_id[len(SANDBOX_MEDIA_PREFIX) :]
    return None


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

    def send_interactive(
        self,
        *,
        phone_number_id: str,
        token: str | None = None,
        to: str,
        body: str,
        buttons: list[dict],
        callback_data: str | None = None,
    ) -> str:
        """Record text with reply buttons; its new wamid."""
        interactive_message(to=to, body=body, buttons=buttons, callback_data=callback_data)
        return self._record(
            phone_number_id, to, callback_data, kind="interactive", body=body, buttons=buttons
        )

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
        quick_replies: list[str] | None = None,
    ) -> str:
        """Record a template message with its parameters as Meta would get them; its new wamid."""
        template_message(
            to=to,
            name=name,
            language=language,
            params=params,
            callback_data=callback_data,
            quick_replies=quick_replies,
        )
        return self._record(
            phone_number_id,
            to,
            callback_data,
            kind="template",
            template=name,
            language=language,
            params=sanitized_params(params),
            quick_replies=list(quick_replies or []),
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
        quick_replies: list[str] | None = None,
    ) -> str:
        """Record a template with a media header (and its quick replies); its new wamid."""
        header = {"type": kind, kind: {"id": media_id}}
        template_message(
            to=to,
            name=name,
            language=language,
            params=params,
            header=header,
            quick_replies=quick_replies,
        )
        media = {"kind": kind, "id": media_id, "filename": filename}
        return self._record(
            phone_number_id,
            to,
            callback_data,
            kind="template",
            template=name,
            language=language,
            params=sanitized_params(params),
            quick_replies=list(quick_replies or []),
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
        sent_as: str | None = "template",
    ) -> bytes:
        """The body Meta would POST when a message moves to `status` (pricing on `sent`)."""
        return sandbox_webhooks.status_body(
            phone_number_id=phone_number_id,
            wamid=wamid,
            recipient=recipient.lstrip("+"),
            status=status,
            at=at or self.clock(),
            callback_data=callback_data,
            errors=errors,
            sent_as=sent_as,
        )

    def inbound_webhook(
        self,
        *,
        phone_number_id: str,
        sender: str | None,
        text: str | None = None,
        name: str | None = None,
        context_wamid: str | None = None,
        at: datetime | None = None,
        user_id: str | None = None,
        content: dict | None = None,
    ) -> bytes:
        """The body Meta would POST when `sender` writes `text` (or taps a button: `content`)
        to the school's number."""
        return sandbox_webhooks.inbound_body(
            phone_number_id=phone_number_id,
            sender=sender,
            at=at or self.clock(),
            content=content or sandbox_webhooks.text_content(text or ""),
            name=name,
            user_id=user_id,
            context_wamid=context_wamid,
        )
