"""The sending limits: a token bucket per business number and a gap between two messages to
the same person, in Redis (shared by every consumer) and in-process (the embedded mode)."""

import os
import threading
import time
import uuid

import pytest
import redis

from portal.services import ratelimit

REDIS_URL = os.environ.get("REDIS_URL")


def local():
    return ratelimit.LocalLimiter()


def shared():
    limiter = ratelimit.RedisLimiter(REDIS_URL)
    limiter.redis.flushdb()
    return limiter


LIMITERS = [
    pytest.param(local, id="in-process"),
    pytest.param(
        shared,
        id="redis",
        marks=pytest.mark.skipif(not REDIS_URL, reason="the embedded stack has no Redis"),
    ),
]


def keys():
    """A business number and a person of their own for each test."""
    number = f"number-{uuid.uuid4().hex[:8]}"
    return number, f"{number}:9779841234567"


@pytest.mark.parametrize("make", LIMITERS)
def test_a_second_message_to_the_same_person_waits_for_the_gap(make):
    limiter, (number, pair) = make(), keys()
    assert limiter.admit(pair, number, 80, 80, 6.0) == (0.0, 0.0)
    pair_wait, token_wait = limiter.admit(pair, number, 80, 80, 6.0)
    assert 5.0 < pair_wait <= 6.0 and token_wait == 0.0
    other = f"{number}:9779841234568"
    assert limiter.admit(other, number, 80, 80, 6.0) == (0.0, 0.0)  # someone else: free


@pytest.mark.parametrize("make", LIMITERS)
def test_a_released_pair_is_free_again(make):
    limiter, (number, pair) = make(), keys()
    limiter.admit(pair, number, 80, 80, 6.0)
    limiter.release_pair(pair)
    assert limiter.admit(pair, number, 80, 80, 6.0) == (0.0, 0.0)


@pytest.mark.parametrize("make", LIMITERS)
def test_the_bucket_gives_its_burst_then_asks_to_wait(make):
    limiter, (number, _) = make(), keys()
    granted = [limiter.admit(f"{number}:{i}", number, 5, 5, 6.0) for i in range(6)]
    assert granted[:5] == [(0.0, 0.0)] * 5
    pair_wait, token_wait = granted[5]
    assert pair_wait == 0.0 and 0.1 < token_wait <= 0.2  # one token every 1/5 s


@pytest.mark.parametrize("make", LIMITERS)
def test_senders_waiting_for_tokens_queue_one_behind_another(make):
    """Each call reserves a token: the waits grow by one token's time, so senders asking
    at once go one after another instead of all asking again when one token comes."""
    limiter, (number, _) = make(), keys()
    waits = [limiter.admit(f"{number}:{i}", number, 10, 1, 6.0)[1] for i in range(4)]
    assert waits[0] == 0.0
    assert [round(w, 1) for w in waits[1:]] == [0.1, 0.2, 0.3]


@pytest.mark.parametrize("make", LIMITERS)
def test_a_person_still_in_their_gap_takes_no_token(make):
    limiter, (number, pair) = make(), keys()
    limiter.admit(pair, number, 2, 2, 6.0)
    for _ in range(3):
        assert limiter.admit(pair, number, 2, 2, 6.0)[0] > 0
    assert limiter.admit(f"{number}:other", number, 2, 2, 6.0) == (0.0, 0.0)  # one left


@pytest.mark.parametrize("make", LIMITERS)
def test_no_gap_when_the_gap_is_zero(make):
    limiter, (number, pair) = make(), keys()
    assert limiter.admit(pair, number, 80, 80, 0.0) == (0.0, 0.0)
    assert limiter.admit(pair, number, 80, 80, 0.0) == (0.0, 0.0)


@pytest.mark.parametrize("make", LIMITERS)
def test_admit_waits_for_a_token_and_never_exceeds_the_rate(make):
    limiter, (number, _) = make(), keys()
    rate, sent = 20, []
    started = time.monotonic()
    for i in range(30):  # 20 at once (the burst), then one every 1/20 s
        assert ratelimit.admit(limiter, pair=f"{number}:{i}", bucket=number, rate=rate) == 0.0
        sent.append(time.monotonic() - started)
    assert sent[19] < 0.2
    assert 0.45 <= sent[-1] < 1.5  # the last ten took at least 10/20 s


@pytest.mark.skipif(not REDIS_URL, reason="the embedded stack has no Redis")
def test_consumers_in_many_threads_share_one_redis_bucket():
    """Each thread has its own limiter (as each consumer process has), one Redis bucket."""
    number, granted = keys()[0], []
    redis.Redis.from_url(REDIS_URL).flushdb()

    def consumer(n):
        limiter = ratelimit.RedisLimiter(REDIS_URL)
        for i in range(25):
            pair_wait, token_wait = limiter.admit(f"{number}:{n}:{i}", number, 50, 50, 6.0)
            granted.append(pair_wait == 0 and token_wait == 0)

    threads = [threading.Thread(target=consumer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 100
    assert 50 <= sum(granted) <= 55  # the burst, and what refilled while they asked
