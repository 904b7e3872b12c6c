"""The sending limits: a token bucket per business number and a gap between two messages to
the same person, in Redis (shared by every consumer) and in-process (the embedded mode)."""

import os
import threading
import time
import uuid

import pytest
import redis

from portal.services.delivery import ratelimit

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


def one(limiter, pair, bucket, rate, burst, gap):
    """Admit a single message: (seconds until the person is free, until its token)."""
    [answer] = limiter.admit([pair], bucket, rate, burst, gap)
    return answer


def keys():
    """A business number and a person of their own for each test."""
    number = f"number-{uuid.uuid4().hex[:8]}"
    return number, f"{number}:9779841234567"


@pytest.mark.parametrize("make", LIMITERS)
def test_a_second_message_to_the_same_person_waits_for_the_gap(make):
    limiter, (number, pair) = make(), keys()
    assert one(limiter, pair, number, 80, 80, 6.0) == (0.0, 0.0)
    pair_wait, token_wait = one(limiter, pair, number, 80, 80, 6.0)
    assert 5.0 < pair_wait <= 6.0 and token_wait == 0.0
    other = f"{number}:9779841234568"
    assert one(limiter, other, number, 80, 80, 6.0) == (0.0, 0.0)  # someone else: free


@pytest.mark.parametrize("make", LIMITERS)
def test_a_released_pair_is_free_again(make):
    limiter, (number, pair) = make(), keys()
    one(limiter, pair, number, 80, 80, 6.0)
    limiter.release_pair(pair)
    assert one(limiter, pair, number, 80, 80, 6.0) == (0.0, 0.0)


@pytest.mark.parametrize("make", LIMITERS)
def test_the_bucket_gives_its_burst_then_asks_to_wait(make):
    limiter, (number, _) = make(), keys()
    granted = [one(limiter, f"{number}:{i}", number, 5, 5, 6.0) for i in range(6)]
    assert granted[:5] == [(0.0, 0.0)] * 5
    pair_wait, token_wait = granted[5]
    assert pair_wait == 0.0 and 0.1 < token_wait <= 0.2  # one token every 1/5 s


@pytest.mark.parametrize("make", LIMITERS)
def test_senders_waiting_for_tokens_queue_one_behind_another(make):
    """Each call reserves a token: the waits grow by one token's time, so senders asking
    at once go one after another instead of all asking again when one token comes."""
    limiter, (number, _) = make(), keys()
    waits = [one(limiter, f"{number}:{i}", number, 10, 1, 6.0)[1] for i in range(4)]
    assert waits[0] == 0.0
    assert [round(w, 1) for w in waits[1:]] == [0.1, 0.2, 0.3]


@pytest.mark.parametrize("make", LIMITERS)
def test_a_person_still_in_their_gap_takes_no_token(make):
    limiter, (number, pair) = make(), keys()
    one(limiter, pair, number, 2, 2, 6.0)
    for _ in range(3):
        assert one(limiter, pair, number, 2, 2, 6.0)[0] > 0
    assert one(limiter, f"{number}:other", number, 2, 2, 6.0) == (0.0, 0.0)  # one left


@pytest.mark.parametrize("make", LIMITERS)
def test_no_gap_when_the_gap_is_zero(make):
    limiter, (number, pair) = make(), keys()
    assert one(limiter, pair, number, 80, 80, 0.0) == (0.0, 0.0)
    assert one(limiter, pair, number, 80, 80, 0.0) == (0.0, 0.0)


@pytest.mark.parametrize("make", LIMITERS)
def test_reserved_tokens_come_due_no_faster_than_the_rate(make):
    limiter, (number, _) = make(), keys()
    rate, sent = 20, []
    started = time.monotonic()
    for batch in range(3):  # 20 at once (the burst), then one every 1/20 s
        pairs = [f"{number}:{batch}:{i}" for i in range(10)]
        for busy, wait in ratelimit.admit(limiter, pairs=pairs, bucket=number, rate=rate):
            assert busy == 0.0
            sent.append(time.monotonic() - started + wait)  # when its token is due
    assert sent[19] < 0.2
    assert 0.45 <= sent[-1] < 1.5  # the last ten are due at least 10/20 s later
    assert sent == sorted(sent)


@pytest.mark.parametrize("make", LIMITERS)
def test_a_batch_is_admitted_in_one_call_and_a_busy_person_reserves_nothing(make):
    limiter, (number, pair) = make(), keys()
    one(limiter, pair, number, 2, 3, 6.0)  # a message to this person a moment ago
    answers = limiter.admit([f"{number}:a", pair, f"{number}:b", f"{number}:a"], number, 2, 3, 6.0)
    assert answers[0] == (0.0, 0.0) and answers[2] == (0.0, 0.0)  # the last two tokens
    assert answers[1][0] > 5 and answers[1][1] == 0.0  # busy: no token taken
    assert answers[3][0] > 5  # the same person twice in one batch: the second waits
    assert 0.4 < one(limiter, f"{number}:c", number, 2, 3, 6.0)[1] <= 0.5  # bucket empty


@pytest.mark.parametrize("make", LIMITERS)
def test_a_persons_gap_runs_from_when_their_message_is_due(make):
    """A message that waits for its token keeps its person's gap that much longer, so two
    messages to one person are never sent closer than the gap."""
    limiter, (number, pair) = make(), keys()
    first = limiter.admit([f"{number}:x{i}" for i in range(4)] + [pair], number, 2, 2, 6.0)
    due = first[-1][1]
    assert 1.0 < due <= 1.5  # behind three others: 3/2 s minus the burst of two
    busy, _ = one(limiter, pair, number, 2, 2, 6.0)
    assert due + 5.5 < busy <= due + 6.0


@pytest.mark.skipif(not REDIS_URL, reason="the embedded stack has no Redis")
def test_consumers_in_many_threads_share_one_redis_bucket():
    """Each thread has its own limiter (as each consumer process has), one Redis bucket."""
    number, granted = keys()[0], []
    redis.Redis.from_url(REDIS_URL).flushdb()

    def consumer(n):
        limiter = ratelimit.RedisLimiter(REDIS_URL)
        for i in range(25):
            pair_wait, token_wait = one(limiter, f"{number}:{n}:{i}", number, 50, 50, 6.0)
            granted.append(pair_wait == 0 and token_wait == 0)

    threads = [threading.Thread(target=consumer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 100
    assert 50 <= sum(granted) <= 55  # the burst, and what refilled while they asked
