"""The only code that knows Meta: client, signature, payload parsing, errors, sandbox."""

from collections.abc import Callable, Mapping
from typing import Protocol

import httpx

from portal.whatsapp.client import CloudClient
from portal.whatsapp.sandbox import SandboxTransport


class Transport(Protocol):
    """What the sending services need: each returns the new message's wamid."""

    def send_text(
        self, *, phone_number_id: str, token: str, to: str, body: str, callback_data=None
    ) -> str: ...

    def send_template(
        self,
        *,
        phone_number_id: str,
        token: str,
        to: str,
        name: str,
        language: str,
        params: dict[str, str],
        callback_data=None,
        quick_replies: list[str] | None = None,
    ) -> str: ...

    def send_interactive(
        self,
        *,
        phone_number_id: str,
        token: str,
        to: str,
        body: str,
        buttons: list[dict],
        callback_data=None,
    ) -> str: ...


def get_transport(
    config: Mapping, recorder: Callable[[dict], None] | None = None
) -> CloudClient | SandboxTransport:
    """The Cloud API client when WHATSAPP_TRANSPORT is `cloud`, else the recording sandbox."""
    if str(config.get("WHATSAPP_TRANSPORT") or "").strip().lower() == "cloud":
        seconds = float(config.get("WHATSAPP_TIMEOUT_SECONDS") or 10)
        timeout = httpx.Timeout(seconds, connect=min(seconds, 5.0))
        return CloudClient(config["WHATSAPP_API_URL"], timeout=timeout)
    return SandboxTransport(recorder)


__all__ = ["CloudClient", "SandboxTransport", "Transport", "get_transport"]
