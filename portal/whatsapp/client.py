"""The Cloud API client: long-lived connection pools, one request method, one typed error."""

import json
import os
import threading

import httpx

from portal.whatsapp import connections
from portal.whatsapp.errors import GraphError, TransportError
from portal.whatsapp.media_api import MediaCalls
from portal.whatsapp.outgoing import (
    MAX_WAMID_LENGTH,
    interactive_message,
    template_message,
    text_message,
)

DEFAULT_TIMEOUT = httpx.Timeout(10, connect=5)
POOL_LIMITS = httpx.Limits(max_connections=128, max_keepalive_connections=128, keepalive_expiry=60)
USER_AGENT = "Sandesh"

_shared: dict[int, httpx.HTTPTransport] = {}
_shared_lock = threading.Lock()


def shared_transport() -> httpx.HTTPTransport:
    """This process's HTTP/1.1 keep-alive connection pool, sized for ~100 concurrent sends.

    Made per process id, so a worker forked after first use never shares sockets with its parent.
    """
    pid = os.getpid()
    with _shared_lock:
        if pid not in _shared:
            _shared[pid] = httpx.HTTPTransport(limits=POOL_LIMITS, http2=False)
        return _shared[pid]


class CloudClient(MediaCalls):
    """Sends messages through Meta's Cloud API for any school's number and token.

    Sends go through this process's pool of plain keep-alive connections
    (`connections`), unless the client was given an httpx transport (a test's mock, say),
    which then carries them; media and everything else go straight to a long-lived httpx
    transport (the pool an `httpx.Client` wraps, without its redirect, cookie and auth
    machinery, which a request here never needs)."""

    def __init__(
        self,
        api_url: str,
        *,
        timeout=DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ):
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.transport = transport if transport is not None else shared_transport()
        self.plain = connections.shared_pool() if transport is None else None
        self._timeouts = timeout.as_dict()
        self._urls: dict[str, httpx.URL] = {}  # per business number, parsed once
        self._targets: dict[str, connections.Target] = {}

    def send_text(
        self,
        *,
        phone_number_id: str,
        token: str,
        to: str,
        body: str,
        callback_data: str | None = None,
    ) -> str:
        """Send free-form text (inside the 24-hour window); the wamid Meta gave it."""
        payload = text_message(to=to, body=body, callback_data=callback_data)
        return _wamid(self._post(phone_number_id, token, payload))

    def send_template(
        self,
        *,
        phone_number_id: str,
        token: str,
        to: str,
        name: str,
        language: str,
        params: dict[str, str],
        callback_data: str | None = None,
        quick_replies: list[str] | None = None,
    ) -> str:
        """Send an approved template with named parameters (and its quick replies'
        payloads); the wamid Meta gave it."""
        payload = template_message(
            to=to,
            name=name,
            language=language,
            params=params,
            callback_data=callback_data,
            quick_replies=quick_replies,
        )
        return _wamid(self._post(phone_number_id, token, payload))

    def send_interactive(
        self,
        *,
        phone_number_id: str,
        token: str,
        to: str,
        body: str,
        buttons: list[dict],
        callback_data: str | None = None,
    ) -> str:
        """Send text with reply buttons (inside the 24-hour window); the wamid Meta gave it."""
        payload = interactive_message(
            to=to, body=body, buttons=buttons, callback_data=callback_data
        )
        return _wamid(self._post(phone_number_id, token, payload))

    def _post(self, phone_number_id: str, token: str, payload: dict) -> dict:
        """POST a message to the number's `/messages`; Meta's answer, or a typed error."""
        if self.plain is None:
            return self._post_httpx(phone_number_id, token, payload)
        where = self._targets.get(phone_number_id)
        if where is None:
            url = f"{self.api_url}/{phone_number_id}/messages"
            try:
                where = self._targets[phone_number_id] = connections.target(url)
            except ValueError as exc:  # WHATSAPP_API_URL misconfigured: retried, alerted
                raise TransportError(f"connection failed: {exc}") from exc
        headers = {
            "Authorization": f"Bearer {token}",
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
            "Accept": "*/*",
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        status, content = self.plain.post(
            where,
            headers=headers,
            body=body.encode(),
            connect=self.timeout.connect,
            read=self.timeout.read,
        )
        return _answer(status, _parsed(content))

    def _post_httpx(self, phone_number_id: str, token: str, payload: dict) -> dict:
        url = self._urls.get(phone_number_id)
        if url is None:
            url = self._urls[phone_number_id] = httpx.URL(
                f"{self.api_url}/{phone_number_id}/messages"
            )
        request = httpx.Request(
            "POST",
            url,
            json=payload,
            headers={"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT},
            extensions={"timeout": self._timeouts},
        )
        try:
            response = self.transport.handle_request(request)
            try:
                response.read()
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            raise TransportError(f"timed out: {exc!r}") from exc
        except httpx.TransportError as exc:
            raise TransportError(f"connection failed: {exc!r}") from exc
        return _answer(response.status_code, _parsed(response.content))


def _answer(status: int, body) -> dict:
    """Meta's answer when it is a success, else its error as a GraphError."""
    if 200 <= status < 300 and isinstance(body, dict):
        return body
    raise GraphError.from_response(status, body)


def _parsed(content: bytes):
    try:
        return json.loads(content)
    except ValueError:
        return None


def _wamid(body: dict) -> str:
    """The message id from a send answer; an answer without a usable one is an error."""
    try:
        wamid = body["messages"][0]["id"]
    except (KeyError, IndexError, TypeError):
        wamid = None
    if not isinstance(wamid, str) or not wamid or len(wamid) > MAX_WAMID_LENGTH:
        raise GraphError(code=None, http_status=200, message="the answer carried no usable wamid")
    return wamid
