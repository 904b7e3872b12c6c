"""Sending speed limits shared by every worker: a token bucket per business number and a
minimum gap between two messages to the same person.

With REDIS_URL the state lives in Redis (atomic Lua, Redis's own clock), so every consumer
on every machine draws from the same bucket. Embedded mode has a single consumer process,
so an in-process bucket is exact there.
"""

import threading
import time

import redis

# KEYS[1] bucket; ARGV: rate per second, burst. Returns milliseconds to wait (0 = granted).
_TAKE_BODY = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
"""
_TAKE = _TAKE_BODY + "return wait"

# One round trip per message: KEYS[1] bucket, KEYS[2] pair; ARGV: rate, burst, gap in ms.
# Returns {milliseconds until the person may get another message, milliseconds to wait
# for a token}: the pair is reserved (and a token asked for) only when the first is 0.
_ADMIT = (
    """
local gap = tonumber(ARGV[3])
if gap > 0 and not redis.call('SET', KEYS[2], 1, 'NX', 'PX', gap) then
  return {math.max(redis.call('PTTL', KEYS[2]), 1), 0}
end
"""
    + _TAKE_BODY
    + "return {0, wait}"
)

PAIR_GAP_SECONDS = 6.0


class RedisLimiter:
    """Token buckets and pair gaps in Redis, shared by all consumers."""

    def __init__(self, url: str):
        self.redis = redis.Redis.from_url(url)
        self._take = self.redis.register_script(_TAKE)
        self._admit = self.redis.register_script(_ADMIT)

    def try_take(self, key: str, rate: float, burst: float) -> float:
        """Take one token now if there is one: 0.0, else the seconds until there will be."""
        return int(self._take(keys=[f"sandesh:bucket:{key}"], args=[rate, burst])) / 1000

    def admit(self, pair: str, bucket: str, rate: float, burst: float, gap: float):
        """Reserve the next message to one person and take a token, in one round trip:
        (seconds until the person is free, seconds until a token); the pair is reserved
        only when the first is 0, the token taken only when both are."""
        keys = [f"sandesh:bucket:{bucket}", f"sandesh:pair:{pair}"]
        pair_ms, token_ms = self._admit(keys=keys, args=[rate, burst, int(gap * 1000)])
        return int(pair_ms) / 1000, int(token_ms) / 1000

    def release_pair(self, key: str) -> None:
        """Give back a reservation whose message never reached the person."""
        self.redis.delete(f"sandesh:pair:{key}")


class LocalLimiter:
    """The same limits in this process (embedded mode: one consumer process)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}
        self._pairs: dict[str, float] = {}

    def try_take(self, key: str, rate: float, burst: float) -> float:
        with self._lock:
            return self._try_take(key, rate, burst)

    def _try_take(self, key: str, rate: float, burst: float) -> float:
        now = time.monotonic()
        tokens, ts = self._buckets.get(key, (burst, now))
        tokens = min(burst, tokens + (now - ts) * rate)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / rate
        self._buckets[key] = (tokens - 1 if wait == 0 else tokens, now)
        return wait

    def admit(self, pair: str, bucket: str, rate: float, burst: float, gap: float):
        with self._lock:
            now = time.monotonic()
            if gap > 0:
                free_at = self._pairs.get(pair, 0.0)
                if free_at > now:
                    return free_at - now, 0.0
                self._pairs[pair] = now + gap
                if len(self._pairs) > 100_000:  # forget long-expired entries
                    self._pairs = {k: v for k, v in self._pairs.items() if v > now}
            return 0.0, self._try_take(bucket, rate, burst)

    def release_pair(self, key: str) -> None:
        with self._lock:
            self._pairs.pop(key, None)


def admit(limiter, *, pair: str, bucket: str, rate: float) -> float:
    """Before one message: 0.0 once it may go now (the person's gap reserved and a token
    taken, waiting for the token if need be), else the seconds until the person is free."""
    burst = max(rate, 1.0)
    pair_wait, token_wait = limiter.admit(pair, bucket, rate, burst, PAIR_GAP_SECONDS)
    if pair_wait > 0:
        return pair_wait
    if token_wait > 0:
        time.sleep(token_wait)
        take_token(limiter, bucket, rate, burst=burst)
    return 0.0


def take_token(limiter, key: str, rate: float, *, burst: float | None = None) -> float:
    """Wait until the bucket gives a token; returns the seconds spent waiting."""
    waited = 0.0
    while True:
        wait = limiter.try_take(key, rate, burst if burst is not None else max(rate, 1.0))
        if wait <= 0:
            return waited
        time.sleep(wait)
        waited += wait


_limiters: dict[str | None, object] = {}
_limiters_lock = threading.Lock()


def get_limiter(redis_url: str | None):
    """One limiter per process (and per Redis URL)."""
    with _limiters_lock:
        if redis_url not in _limiters:
            _limiters[redis_url] = RedisLimiter(redis_url) if redis_url else LocalLimiter()
        return _limiters[redis_url]
