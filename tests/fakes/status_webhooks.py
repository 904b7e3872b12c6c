"""Status webhooks from the fake Graph API: signed, optionally batched, delayed, duplicated or
out of order, and retried while the app answers anything but 200 — as Meta does."""

import hashlib
import heapq
import hmac
import http.client
import itertools
import json
import secrets
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

ACCOUNT_ID = "102290129340398"
MAX_SENDERS = 32  # webhook_concurrency is capped here
ERROR_TITLES = {
    131026: "Message undeliverable",
    131049: "This message was not delivered to maintain healthy ecosystem engagement.",
    131050: "Unable to deliver the message. This recipient has chosen to stop receiving "
    "marketing messages on WhatsApp from your business.",
    131047: "Re-engagement message",
}


def signature(body: bytes, app_secret: str) -> str:
    """X-Hub-Signature-256 for exactly these bytes (written here, not imported from the app)."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def status_item(record: dict, status: str, at: float, error_code: int | None = None) -> dict:
    """One statuses[] entry for an accepted message, shaped like Meta's."""
    item = {
        "id": record["wamid"],
        "status": status,
        "timestamp": str(int(at)),
        "recipient_id": record["recipient"],
    }
    if status in ("sent", "delivered"):
        item["conversation"] = {
            "id": secrets.token_hex(16),
            "expiration_timestamp": str(int(at) + 86400),
            "origin": {"type": "utility"},
        }
        item["pricing"] = {
            "billable": True,
            "pricing_model": "PMP",
            "type": "regular",
            "category": "utility",
        }
    if record.get("callback_data") is not None:
        item["biz_opaque_callback_data"] = record["callback_data"]
    if status == "failed":
        title = ERROR_TITLES.get(error_code, f"Error {error_code}")
        item["errors"] = [
            {
                "code": error_code,
                "title": title,
                "message": title,
                "error_data": {"details": title},
                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
            }
        ]
    return item


def webhook_body(phone_number_id: str, statuses: list[dict]) -> bytes:
    """A whole webhook body as Meta serialises it: compact, non-ASCII escaped."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": phone_number_id, "phone_number_id": phone_number_id},
        "statuses": statuses,
    }
    doc = {
        "object": "whatsapp_business_account",
        "entry": [{"id": ACCOUNT_ID, "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(doc, ensure_ascii=True, separators=(",", ":")).encode()


class Poster:
    """POSTs over one kept-alive connection per sender thread and origin. Plain http.client,
    not httpx: a fraction of the CPU a request, which counts when the fake shares a machine
    with the app it measures (Meta's own CPU is never on the school's machine)."""

    def __init__(self):
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[http.client.HTTPConnection] = []

    def post(self, url: str, body: bytes, headers: dict) -> int:
        """The answer's status code; OSError or HTTPException if none came. A kept connection
        the server closed while idle is replaced and the body posted once more on a new one
        (Meta, too, may deliver a webhook twice)."""
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        kept = getattr(self._local, "connections", None)
        if kept is None:
            kept = self._local.connections = {}
        for _ in range(2):
            reused = parts.netloc in kept
            conn = kept.get(parts.netloc) or self._connect(parts, kept)
            try:
                conn.request("POST", target, body, headers)
                answer = conn.getresponse()
                answer.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                kept.pop(parts.netloc, None)
                if not reused:
                    raise
                continue
            if answer.will_close:
                conn.close()
                kept.pop(parts.netloc, None)
            return answer.status
        raise http.client.HTTPException("no answer")  # not reached: a new connection raises

    def _connect(self, parts, kept: dict) -> http.client.HTTPConnection:
        https = parts.scheme == "https"
        kind = http.client.HTTPSConnection if https else http.client.HTTPConnection
        conn = kept[parts.netloc] = kind(parts.hostname, parts.port, timeout=10)
        with self._lock:
            self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()


class StatusWebhooks:
    """A background sender: `schedule()` a message's statuses; a thread posts them when due."""

    def __init__(self, config_of, rng):
        self._config_of = config_of  # a callable returning the fake's current FakeConfig
        self._rng = rng
        self._heap: list = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._in_flight = 0
        self._running = False
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._http: Poster | None = None
        self.stats = {"posts": 0, "statuses": 0, "failed_attempts": 0, "given_up": 0}

    def start(self) -> None:
        self._http = Poster()
        self._pool = ThreadPoolExecutor(MAX_SENDERS, thread_name_prefix="fake-webhook")
        self._running = True
        self._thread = threading.Thread(target=self._run, name="fake-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._running = False
            self._cond.notify_all()
        if self._thread:
            self._thread.join(5)
        if self._pool:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._http:
            self._http.close()

    def clear(self) -> None:
        with self._cond:
            self._heap.clear()
            self.stats = dict.fromkeys(self.stats, 0)

    def pending(self) -> int:
        with self._cond:
            return len(self._heap) + self._in_flight

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is scheduled or being posted; False if that took too long."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def schedule(self, record: dict, failure_code: int | None = None) -> None:
        """Queue the statuses of one accepted message, per the fake's webhook settings."""
        config = self._config_of()
        steps = ["failed"] if failure_code else list(config.webhook_statuses)
        if not steps:
            return
        now, gap = time.time(), config.webhook_delay
        events = [
            status_item(record, status, now + i * gap, failure_code)
            for i, status in enumerate(steps)
        ]
        if self._rng.random() < config.webhook_reorder_rate:
            events.reverse()  # timestamps stay true; only the arrival order is wrong
        with self._cond:
            head = self._heap[0][0] if self._heap else None
            for i, item in enumerate(events):
                due = time.monotonic() + (i + 1) * gap
                copies = 2 if self._rng.random() < config.webhook_duplicate_rate else 1
                for _ in range(copies):
                    self._push(due, "status", (record["phone_number_id"], item))
            if head is None or self._heap[0][0] < head:  # else the sender wakes for the head
                self._cond.notify()

    def post_later(self, body: bytes, delay: float) -> None:
        """Post a whole webhook body (an account change, a person's message), signed, after
        `delay` seconds; retried like statuses."""
        with self._cond:
            self._push(time.monotonic() + delay, "body", (body, 0, 0))
            self._cond.notify()

    def _push(self, due: float, kind: str, data) -> None:
        heapq.heappush(self._heap, (due, next(self._seq), kind, data))

    def _run(self) -> None:
        while True:
            with self._cond:
                due = self._take_due()
                if due is None:
                    return
                self._in_flight += len(due)
            for body, attempt, count in due:
                self._pool.submit(self._post, body, attempt, count)

    def _take_due(self):
        """Wait for due work and a free sender (under the lock); None when stopping."""
        while self._running:
            now = time.monotonic()
            room = min(MAX_SENDERS, max(1, self._config_of().webhook_concurrency))
            room -= self._in_flight
            if room > 0 and self._heap and self._heap[0][0] <= now:
                bodies = self._bodies(now)
                for body in bodies[room:]:
                    self._push(now, "body", body)  # waits for a sender, order kept
                return bodies[:room]
            wait = self._heap[0][0] - now if self._heap and room > 0 else 0.5
            self._cond.wait(min(wait, 0.5))
        return None

    def _bodies(self, now: float) -> list[tuple[bytes, int, int]]:
        batch = max(1, self._config_of().webhook_batch)
        ready, statuses = [], defaultdict(list)
        while self._heap and self._heap[0][0] <= now:
            _, _, kind, data = heapq.heappop(self._heap)
            if kind == "body":
                ready.append(data)
            else:
                statuses[data[0]].append(data[1])
        for number, items in statuses.items():
            for start in range(0, len(items), batch):
                chunk = items[start : start + batch]
                ready.append((webhook_body(number, chunk), 0, len(chunk)))
        return ready

    def _post(self, body: bytes, attempt: int, count: int) -> None:
        config = self._config_of()
        ok = False
        try:
            if config.webhook_url and config.app_secret:
                headers = {
                    "Content-Type": "application/json",
                    "X-Hub-Signature-256": signature(body, config.app_secret),
                }
                ok = self._http.post(config.webhook_url, body, headers) == 200
        except (OSError, http.client.HTTPException):
            ok = False
        with self._cond:
            self._in_flight -= 1
            self._count(ok, body, attempt, count, config)
            self._cond.notify_all()

    def _count(self, ok, body, attempt, count, config) -> None:
        if ok:
            self.stats["posts"] += 1
            self.stats["statuses"] += count
            return
        self.stats["failed_attempts"] += 1
        if attempt + 1 >= config.webhook_max_attempts:
            self.stats["given_up"] += 1
            return
        wait = config.webhook_retry_seconds * 2**attempt
        self._push(time.monotonic() + wait, "body", (body, attempt + 1, count))
