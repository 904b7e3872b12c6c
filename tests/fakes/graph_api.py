"""A fake WhatsApp Cloud (Graph) API: a real HTTP/1.1 server on 127.0.0.1.

In-process: `with FakeGraphAPI(token="t") as fake: CloudClient(fake.url) ...`.
Separate process: `python -m tests.fakes.graph_api --port 0 --token T [--app-secret S
--webhook-url URL]`; it prints its base URL, then takes commands under /_fake/:
GET messages (?to=&offset=&limit=), GET stats, GET|POST config, POST reset, POST inbound
(a person's message or button tap, posted signed to the webhook URL).

Besides sends (text, interactive reply buttons, templates with quick replies, to a number
or a business-scoped user id), it answers the account calls (`graph_account`): a number's
fields with its messaging limit, and templates created, listed and reviewed.
"""

import argparse
import asyncio
import dataclasses
import json
import random
import re
import signal
import threading
import time
from collections import Counter

from tests.fakes.graph_account import FakeAccounts
from tests.fakes.graph_inbound import inbound_body
from tests.fakes.graph_media import MEDIA_ERROR, FakeMedia, media_of
from tests.fakes.graph_shapes import (
    digits_of,
    graph_error,
    new_wamid,
    obj,
    quick_reply_payloads,
    shape_problem,
    template_params,
)
from tests.fakes.http11 import Request, Response, Server
from tests.fakes.status_webhooks import StatusWebhooks

MESSAGES_PATH = re.compile(r"/(v\d+\.\d+)/([^/]+)/messages")
COUNTS = ("requests", "accepted", "timeouts", "http_5xx")
DROP = object()  # a fault that closes the connection without answering


@dataclasses.dataclass
class FakeConfig:
    """What the fake does; change it with `configure(**changes)` or POST /_fake/config."""

    latency: float = 0.0  # seconds added before every answer to a send
    error_5xx_rate: float = 0.0  # share of sends answered 503 (code 2)
    throttle_rate: float = 0.0  # share of sends answered 130429
    timeout_rate: float = 0.0  # share of sends held (or dropped) without an answer
    timeout_mode: str = "hold"  # "hold": keep the request hold_seconds, then close; "drop"
    hold_seconds: float = 30.0
    accept_before_timeout: bool = False  # the message counts as sent although no answer came
    recipient_errors: dict = dataclasses.field(default_factory=dict)  # digits -> code at send
    recipient_failures: dict = dataclasses.field(default_factory=dict)  # digits -> failed status
    rate_limit: bool = False  # per phone number id; over it: 130429
    rate_limit_mps: float = 80.0
    webhook_url: str | None = None
    app_secret: str | None = None
    webhook_statuses: list = dataclasses.field(
        default_factory=lambda: ["sent", "delivered", "read"]
    )
    webhook_delay: float = 0.0  # seconds before each status (sent, then delivered, then read)
    webhook_batch: int = 1  # statuses per POST, at most
    webhook_duplicate_rate: float = 0.0  # share of statuses posted twice
    webhook_reorder_rate: float = 0.0  # share of messages whose statuses arrive newest first
    webhook_retry_seconds: float = 1.0  # first wait after a non-200 answer, doubling
    webhook_max_attempts: int = 10
    webhook_concurrency: int = 1  # posts under way at once; above 1, arrival order varies
    # Account surfaces: each business number's fields, the portfolio's limit (shared by
    # numbers of one portfolio: number -> portfolio), templates' review (seconds; -1: left
    # PENDING) and verdicts by name ([event, reason]: ["REJECTED", "INVALID_FORMAT"]).
    numbers: dict = dataclasses.field(default_factory=dict)
    messaging_tier: str = "TIER_250"
    portfolios: dict = dataclasses.field(default_factory=dict)
    template_review_seconds: float = 0.0
    template_verdicts: dict = dataclasses.field(default_factory=dict)


class FakeGraphAPI:
    """The fake server, its switches, and what it accepted."""

    def __init__(self, token="test-token", *, tokens=None, host="127.0.0.1", port=0, **config):
        self.token = token
        self.tokens = dict(tokens or {})  # phone_number_id -> token, where one number differs
        self._initial = dict(config)
        self.config = FakeConfig()
        self.configure(**config)
        self.rng = random.Random()
        self.host, self.port = host, port
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._server = Server(self._handle, host, port)
        self._thread: threading.Thread | None = None
        self.webhooks = StatusWebhooks(lambda: self.config, self.rng)
        self.media = FakeMedia(lambda: self.base_url)
        self.accounts = FakeAccounts(
            lambda: self.config,
            self.webhooks.post_later,
            lambda: {self.token, *self.tokens.values()},
        )
        self._clear()

    # -- running -------------------------------------------------------------------------

    def start(self) -> "FakeGraphAPI":
        # The server starts on its own thread's loop: the caller's thread may run one already
        # (Playwright's, in browser tests).
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-graph-api")
        self._thread.daemon = True
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._server.start(), self._loop).result(10)
        self.port = self._server.port
        self.webhooks.start()
        return self

    def stop(self) -> None:
        self.webhooks.stop()
        asyncio.run_coroutine_threadsafe(self._server.close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The WHATSAPP_API_URL to give the app (base URL with the Graph version)."""
        return f"{self.base_url}/v26.0"

    # -- switches and records ------------------------------------------------------------

    def configure(self, **changes) -> FakeConfig:
        """Change some settings; unknown names are a TypeError."""
        for name in ("recipient_errors", "recipient_failures"):
            if name in changes:
                changes[name] = {digits_of(k): int(v) for k, v in dict(changes[name]).items()}
        self.config = dataclasses.replace(self.config, **changes)
        return self.config

    def reset(self) -> None:
        """Forget every message, count and pending webhook; settings back to the start."""
        self.config = FakeConfig()
        self.configure(**self._initial)
        self.webhooks.clear()
        self.media.clear()
        self.accounts.clear()
        self._clear()

    def _clear(self) -> None:
        with self._lock:
            self._messages: list[dict] = []
            self._per_recipient: Counter = Counter()
            self._counts: Counter = Counter(dict.fromkeys(COUNTS, 0))
            self._codes: Counter = Counter()
            self._buckets: dict[str, tuple[float, float]] = {}

    def messages(self, to: str | None = None) -> list[dict]:
        """Accepted messages, oldest first (only those to `to`, compared by digits, if given)."""
        with self._lock:
            found = list(self._messages)
        return [m for m in found if to is None or m["recipient"] == digits_of(to)]

    def counts(self) -> dict[str, int]:
        """Accepted messages per recipient (digits only, like Meta's wa_id)."""
        with self._lock:
            return dict(self._per_recipient)

    def stats(self) -> dict:
        with self._lock:
            stats = dict(self._counts)
            stats["errors"] = {str(code): n for code, n in self._codes.items()}
            stats["recipients"] = len(self._per_recipient)
            stats["max_per_recipient"] = max(self._per_recipient.values(), default=0)
        stats["connections"] = self._server.opened
        stats["webhooks"] = dict(self.webhooks.stats, pending=self.webhooks.pending())
        stats |= self.accounts.stats()
        return stats

    # -- requests ------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response | None:
        if request.path.startswith("/_fake/"):
            return self._control(request)
        media = self.media.handle(
            request, lambda n: self.tokens.get(n, self.token) if n else self.token
        )
        if media is not None:
            return media
        match = MESSAGES_PATH.fullmatch(request.path)
        if request.method == "POST" and match:
            return await self._send(match.group(2), request)
        answer = self.accounts.handle(request, lambda number: self._authorized(request, number))
        return answer or graph_error(400, 100, message="Unsupported request")

    def _authorized(self, request: Request, number: str | None) -> bool:
        expected = self.tokens.get(number, self.token) if number else None
        given = request.headers.get("authorization")
        allowed = {f"Bearer {t}" for t in {self.token, *self.tokens.values()}}
        return given == f"Bearer {expected}" if expected else given in allowed

    async def _send(self, number: str, request: Request) -> Response | None:
        config = self.config
        self._count("requests")
        if config.latency:
            await asyncio.sleep(config.latency)
        if request.headers.get("authorization") != f"Bearer {self.tokens.get(number, self.token)}":
            return self._refuse(401, 190)
        try:
            payload = json.loads(request.body)
        except ValueError:
            payload = None
        problem = shape_problem(payload)
        if problem:
            return self._refuse(400, 100, problem)
        fault = await self._faults(config, number, payload)
        if fault is DROP:
            return None  # the connection closes without an answer
        return fault or self._answer(config, number, payload)

    async def _faults(self, config: FakeConfig, number: str, payload: dict):
        """A random or configured failure for this send: a Response, DROP, or None for none."""
        draw = self.rng.random()
        timeout = config.timeout_rate
        if draw < timeout:
            self._count("timeouts")
            if config.accept_before_timeout:
                self._accept(number, payload)
            if config.timeout_mode != "drop":
                await asyncio.sleep(config.hold_seconds)
            return DROP
        if draw < timeout + config.error_5xx_rate:
            self._count("http_5xx")
            return graph_error(503, 2, message="Service temporarily unavailable")
        throttled = draw < timeout + config.error_5xx_rate + config.throttle_rate
        if throttled or not self._take_token(number):
            return self._refuse(400, 130429, "Cloud API message throughput has been reached.")
        return None

    def _answer(self, config: FakeConfig, number: str, payload: dict) -> Response:
        media = media_of(payload)
        if media is not None and not self.media.knows(media["id"]):
            return self._refuse(400, MEDIA_ERROR, "Media upload error: unknown or expired id")
        to = payload.get("to") or payload.get("recipient")
        code = config.recipient_errors.get(digits_of(to))
        if code and not (int(code) == 131047 and payload.get("type") == "template"):
            return self._refuse(400, int(code), f"Error {code} for this recipient")
        record = self._accept(number, payload)
        contacts = [{"input": to, "wa_id": record["recipient"]}]
        message = {"id": record["wamid"]}
        if payload.get("type") == "template":
            message["message_status"] = "accepted"
        doc = {"messaging_product": "whatsapp", "contacts": contacts, "messages": [message]}
        return Response.json(200, doc)

    def _accept(self, number: str, payload: dict) -> dict:
        to = payload.get("to") or payload["recipient"]
        recipient = digits_of(to) if "to" in payload else to  # a BSUID stays as it is
        template = obj(payload.get("template"))
        interactive = obj(payload.get("interactive"))
        record = {
            "wamid": new_wamid(recipient),
            "phone_number_id": number,
            "to": to,
            "recipient": recipient,
            "type": payload.get("type", "text"),
            "body": obj(payload.get("text")).get("body")
            or obj(interactive.get("body")).get("text")
            or obj(payload.get(payload.get("type"))).get("caption"),
            "media": media_of(payload),
            "buttons": [
                obj(b.get("reply")) for b in obj(interactive.get("action")).get("buttons", [])
            ],
            "template": template.get("name"),
            "language": obj(template.get("language")).get("code"),
            "params": template_params(template) if template else None,
            "quick_replies": quick_reply_payloads(template) if template else [],
            "callback_data": payload.get("biz_opaque_callback_data"),
            "at": time.time(),
        }
        if template:
            self.accounts.count_template(number, recipient)
        with self._lock:
            self._messages.append(record)
            self._per_recipient[recipient] += 1
            self._counts["accepted"] += 1
        if self.config.webhook_url:
            self.webhooks.schedule(record, self.config.recipient_failures.get(recipient))
        return record

    def _refuse(self, status: int, code: int, details: str = "") -> Response:
        with self._lock:
            self._codes[code] += 1
        return graph_error(status, code, details)

    def _count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def _take_token(self, number: str) -> bool:
        """A token bucket per phone number id, refilled at rate_limit_mps, when rate_limit is on."""
        if not self.config.rate_limit:
            return True
        rate = self.config.rate_limit_mps
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(number, (rate, now))
            tokens = min(rate, tokens + (now - last) * rate)
            if tokens < 1:
                self._buckets[number] = (tokens, now)
                return False
            self._buckets[number] = (tokens - 1, now)
            return True

    # -- control endpoints ---------------------------------------------------------------

    def _control(self, request: Request) -> Response:
        command = (request.method, request.path.removeprefix("/_fake/"))
        if command == ("GET", "messages"):
            return self._messages_page(request.query)
        if command == ("GET", "uploads"):
            return Response.json(200, {"uploads": list(self.media.uploads)})
        if command == ("POST", "expire"):
            for media_id in json.loads(request.body or b"{}").get("ids", []):
                self.media.expire(media_id)
            return Response.json(200, {"ok": True})
        if command == ("GET", "stats"):
            return Response.json(200, self.stats())
        if command == ("POST", "reset"):
            self.reset()
            return Response.json(200, {"ok": True})
        if command == ("POST", "inbound"):
            return self._inbound(request)
        if command in (("POST", "config"), ("GET", "config")):
            return self._config(request)
        return Response.json(404, {"error": "no such command"})

    def _config(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                self.configure(**json.loads(request.body or b"{}"))
            except (TypeError, ValueError) as exc:
                return Response.json(400, {"error": str(exc)})
        return Response.json(200, dataclasses.asdict(self.config))

    def _inbound(self, request: Request) -> Response:
        """Post a person's message (text, a button tap, or from a BSUID only), signed."""
        try:
            body = inbound_body(**json.loads(request.body or b"{}"))
        except (TypeError, ValueError, KeyError) as exc:
            return Response.json(400, {"error": str(exc)})
        self.webhooks.post_later(body, 0.0)
        return Response.json(200, {"ok": True})

    def _messages_page(self, query: dict) -> Response:
        found = self.messages(query.get("to"))
        offset = int(query.get("offset", 0))
        limit = int(query.get("limit", len(found)))
        return Response.json(200, {"total": len(found), "messages": found[offset : offset + limit]})


def main(argv=None) -> None:
    """Run the fake in the foreground until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default="test-token")
    parser.add_argument("--app-secret")
    parser.add_argument("--webhook-url")
    parser.add_argument("--config", default="{}", help="more FakeConfig settings, as JSON")
    args = parser.parse_args(argv)
    fake = FakeGraphAPI(
        args.token,
        host=args.host,
        port=args.port,
        app_secret=args.app_secret,
        webhook_url=args.webhook_url,
        **json.loads(args.config),
    )
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    with fake:
        print(f"fake graph api listening on {fake.url}", flush=True)
        while not stopping.wait(0.5):
            pass


if __name__ == "__main__":
    main()
