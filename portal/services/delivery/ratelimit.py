"""Sending speed limits shared by every worker: a token bucket per business number and a
minimum gap between two messages to the same person.

A sender reserves the tokens of a whole batch at once: the bucket may go into debt, and the
answer is when each reserved token is due. So a batch costs one call to the limiter however
busy the number is, and senders waiting for the same bucket queue in order instead of
waking together and asking again.

With REDIS_URL the state lives in Redis (atomic Lua, Redis's own clock), so every consumer
on every machine draws from the same bucket. Embedded mode has a single consumer process,
so an in-process bucket is exact there.
"""

import threading
import time

import redis

PAIR_GAP_SECONDS = 6.0

# KEYS[1] bucket, KEYS[2..n] one pair per message; ARGV: rate per second, burst, gap in ms
# (0: no gap). For each message, in order, {ms until the person may get another message,
# ms until its reserved token is due}: a message whose person is busy reserves nothing.
# A person's gap runs from when their message's token is due, not from when it was asked.
_ADMIT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local gap = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
local answers = {}
for i = 2, #KEYS do
  local busy = 0
  if gap > 0 then
    busy = math.max(redis.call('PTTL', KEYS[i]), 0)
  end
  if busy > 0 then
    answers[#answers + 1] = busy
    answers[#answers + 1] = 0
  else
    tokens = tokens - 1
    local wait = 0
    if tokens < 0 then
      wait = math.ceil(-tokens * 1000 / rate)
    end
    if gap > 0 then
      redis.call('SET', KEYS[i], 1, 'PX', gap + wait)
    end
    answers[#answers + 1] = 0
    answers[#answers + 1] = wait
  end
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)
return answers
"""


class RedisLimiter:
    """Token buckets and pair gaps in Redis, shared by all consumers."""

    def __init__(self, url: str):
        self.redis = redis.Redis.from_url(url)
        self._admit = self.redis.register_script(_ADMIT)

    def admit(self, pairs: list[str], bucket: str, rate: float, burst: float, gap: float):
        """Reserve, in one round trip, each message's person and a token for it: per
        message (seconds until the person is free, seconds until its token is due);
        nothing is reserved for a message whose first figure is not 0."""
        keys = [f"sandesh:bucket:{bucket}", *(f"sandesh:pair:{pair}" for pair in pairs)]
        answers = self._admit(keys=keys, args=[rate, burst, int(gap * 1000)])
        pairs_ms, tokens_ms = answers[::2], answers[1::2]
        return [(int(p) / 1000, int(t) / 1000) for p, t in zip(pairs_ms, tokens_ms, strict=True)]

    def release_pair(self, key: str) -> None:
        """Give back a reservation whose message never reached the person."""
        self.redis.delete(f"sandesh:pair:{key}")


class LocalLimiter:
    """The same limits in this process (embedded mode: one consumer process)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}
        self._pairs: dict[str, float] = {}

    def admit(self, pairs: list[str], bucket: str, rate: float, burst: float, gap: float):
        with self._lock:
            now = time.monotonic()
            tokens, ts = self._buckets.get(bucket, (burst, now))
            tokens = min(burst, tokens + (now - ts) * rate)
            answers = []
            for pair in pairs:
                busy = max(self._pairs.get(pair, now) - now, 0.0) if gap > 0 else 0.0
                if busy > 0:
                    answers.append((busy, 0.0))
                    continue
                tokens -= 1
                wait = -tokens / rate if tokens < 0 else 0.0
                if gap > 0:
                    self._pairs[pair] = now + wait + gap
                answers.append((0.0, wait))
            self._buckets[bucket] = (tokens, now)
            if len(self._pairs) > 100_000:  # forget long-expired entries
                self._pairs = {k: v for k, v in self._pairs.items() if v > now}
            return answers

    def release_pair(self, key: str) -> None:
        with self._lock:
            self._pairs.pop(key, None)


def admit(limiter, *, pairs: list[str], bucket: str, rate: float) -> list[tuple[float, float]]:
    """Before a batch of messages from one number: per message (seconds until its person
    is free, nothing reserved; or 0 and the seconds until its reserved token is due)."""
    return limiter.admit(pairs, bucket, rate, max(rate, 1.0), PAIR_GAP_SECONDS)


_limiters: dict[str | None, object] = {}
_limiters_lock = threading.Lock()


def get_limiter(redis_url: str | None):
    """One limiter per process (and per Redis URL)."""
    with _limiters_lock:
        if redis_url not in _limiters:
            _limiters[redis_url] = RedisLimiter(redis_url) if redis_url else LocalLimiter()
        return _limiters[redis_url]
