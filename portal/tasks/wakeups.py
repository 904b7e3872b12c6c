"""Waking the drainer of stored webhook events, and the promise that lets the web skip it.

The web enqueues a wake-up at most once per WEBHOOK_WAKE_SECONDS in each process, not once
per webhook (at a thousand webhooks a second the queue write was a sixth of a request). It
may skip the others because a woken drainer promises to drain until it has looked and
found nothing at least that long after it woke: every event stored before the web's window
closed is committed by then, so it is taken. One drainer drains at a time (a short lease
in Redis); a wake-up that finds one at work hands it its own promise (pushes the moment it
must look past) and ends. Times are Redis's clock, so consumers on other machines agree.
Were a wake-up lost (Redis down, a consumer killed), the sweeper takes what is left.
"""

import math
import secrets
import threading
import time

from huey.storage import RedisStorage

from portal.extensions import huey

LEASE_MS = 5000  # a drainer renews it each round; a killed one is replaced this soon
KEYS = ["sandesh:events:drainer", "sandesh:events:drain-until"]
_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "
WAKE = (
    _NOW
    + """
local due = now + tonumber(ARGV[2])
if due > tonumber(redis.call('GET', KEYS[2]) or '0') then redis.call('SET', KEYS[2], due) end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[3]) then return now end
return -1
"""
)
RENEW = (
    _NOW
    + """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return now
"""
)
STOP = """
if tonumber(redis.call('GET', KEYS[2]) or '0') > tonumber(ARGV[2]) then return 0 end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""
RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end"


class Gate:
    """The web's side: whether this process asked for a wake-up within the window."""

    def __init__(self):
        self._lock = threading.Lock()
        self._last = -math.inf

    def wake(self, window: float, enqueue) -> bool:
        """Call `enqueue` unless it was called less than `window` seconds ago (that
        drainer's promise covers this event); whether it was. Marked before it is called,
        so the drainer wakes after the window opened; unmarked again if it fails."""
        now = time.monotonic()
        with self._lock:
            if now - self._last < window:
                return False
            self._last = now
        try:
            enqueue()
        except Exception:
            with self._lock:
                if self._last == now:
                    self._last = -math.inf
            raise
        return True


class Drainer:
    """A woken drainer's side of the promise (`woken()` is None when handed over)."""

    def __init__(self, clock, token: str):
        self._clock, self._token = clock, token

    @classmethod
    def woken(cls, window: float) -> "Drainer | None":
        """This wake-up's drainer, or None when one is at work and has its promise now."""
        clock, token = _clock(), secrets.token_hex(8)
        return cls(clock, token) if clock.wake(token, window) else None

    def look(self) -> float:
        """The moment a look for events begins (and the lease is renewed)."""
        return self._clock.renew(self._token)

    def may_stop(self, looked: float) -> bool:
        """Whether a look that began at `looked` and found nothing keeps every promise;
        if so the lease is given up, atomically, so a later wake-up starts a drainer."""
        return self._clock.stop(self._token, looked)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._clock.release(self._token)


class RedisClock:
    """The promise and lease in Redis, each step one atomic script (seconds, Redis's time)."""

    def __init__(self, conn):
        self._scripts = {
            name: conn.register_script(body)
            for name, body in (("wake", WAKE), ("renew", RENEW), ("stop", STOP))
        }
        self._scripts["release"] = conn.register_script(RELEASE)

    def wake(self, token: str, window: float) -> bool:
        args = [token, round(window * 1000), LEASE_MS]
        return self._scripts["wake"](keys=KEYS, args=args) >= 0

    def renew(self, token: str) -> float:
        return self._scripts["renew"](keys=KEYS, args=[token, LEASE_MS]) / 1000

    def stop(self, token: str, looked: float) -> bool:
        return bool(self._scripts["stop"](keys=KEYS, args=[token, math.floor(looked * 1000)]))

    def release(self, token: str) -> None:
        self._scripts["release"](keys=KEYS, args=[token])


class LocalClock:
    """The same in this process, for a queue without Redis (the embedded mode, tests)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._holder: str | None = None
        self._until = 0.0

    def wake(self, token: str, window: float) -> bool:
        with self._lock:
            self._until = max(self._until, time.monotonic() + window)
            if self._holder is None:
                self._holder = token
            return self._holder == token

    def renew(self, token: str) -> float:
        return time.monotonic()

    def stop(self, token: str, looked: float) -> bool:
        with self._lock:
            if self._until > looked:
                return False
            if self._holder == token:
                self._holder = None
            return True

    def release(self, token: str) -> None:
        with self._lock:
            if self._holder == token:
                self._holder = None


_local = LocalClock()
_in_redis: dict[int, RedisClock] = {}


def _clock() -> RedisClock | LocalClock:
    """Redis's when the queue is in Redis, else this process's."""
    if not isinstance(huey.storage, RedisStorage):  # SqliteHuey, or immediate mode's memory
        return _local
    conn = huey.storage.conn
    if id(conn) not in _in_redis:
        _in_redis[id(conn)] = RedisClock(conn)
    return _in_redis[id(conn)]
