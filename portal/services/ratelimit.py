"""Sending speed limits shared by every worker: a token bucket per business number and a
minimum gap between two messages to the same person.

A sender reserves its token: the bucket may go into debt, and the answer is how long until
the reserved token is due. So a message costs one call to the limiter however busy the
number is, and senders waiting for the same bucket queue in order instead of waking
together and asking again.

With REDIS_URL the state lives in Redis (atomic Lua, Redis's own clock), so every consumer
on every machine draws from the same bucket. Embedded mode has a single consumer process,
so an in-process bucket is exact there.
"""

import threading
import time

import redis

PAIR_GAP_SECONDS = 6.0

# KEYS[1] bucket, KEYS[2] pair; ARGV: rate per second, burst, gap in ms (0: no gap).
# Returns {ms until the person may get another message, ms until the reserved token}:
# when the first is not 0 nothing is reserved.
_ADMIT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local gap = tonumber(ARGV[3])
if gap > 0 and not redis.call('SET', KEYS[2], 1, 'NX', 'PX', gap) then
  return {math.max(redis.call('PTTL', KEYS[2]), 1), 0}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - ts) * rate / 1000) - 1
local wait = 0
if tokens < 0 then
  wait = math.ceil(-tokens * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)
return {0, wait}
"""


class RedisLimiter:
    """Token buckets and pair gaps in Redis, shared by all consumers."""

    def __init__(self, url: str):
        self.redis = redis.Redis.from_url(url)
        self._admit = self.redis.register_script(_ADMIT)

    def admit(self, pair: str, bucket: str, rate: float, burst: float, gap: float):
        """Reserve the next message to one person and a token, in one round trip:
        (seconds until the person is free, seconds until the reserved token is due);
        nothing is reserved when the first is not 0."""
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
            tokens, ts = self._buckets.get(bucket, (burst, now))
            tokens = min(burst, tokens + (now - ts) * rate) - 1
            self._buckets[bucket] = (tokens, now)
            return 0.0, (-tokens / rate if tokens < 0 else 0.0)

    def release_pair(self, key: str) -> None:
        with self._lock:
            self._pairs.pop(key, None)


def admit(limiter, *, pair: str, bucket: str, rate: float) -> float:
    """Before one message: 0.0 once it may go now (the person's gap and a token reserved,
    having waited for the token if it was not yet due), else the seconds until the person
    is free (nothing reserved)."""
    pair_wait, token_wait = limiter.admit(pair, bucket, rate, max(rate, 1.0), PAIR_GAP_SECONDS)
    if pair_wait > 0:
        return pair_wait
    if token_wait > 0:
        time.sleep(token_wait)
    return 0.0


_limiters: dict[str | None, object] = {}
_limiters_lock = threading.Lock()


def get_limiter(redis_url: str | None):
    """One limiter per process (and per Redis URL)."""
    with _limiters_lock:
        if redis_url not in _limiters:
            _limiters[redis_url] = RedisLimiter(redis_url) if redis_url else LocalLimiter()
        return _limiters[redis_url]
