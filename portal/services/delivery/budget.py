"""The business portfolio's messaging limit, budgeted: Meta lets a portfolio message at most
so many unique people outside their 24-hour window in any moving 24 hours (TIER_250 for a
new one) and returns no error past it, so Sandesh counts them itself (`limit_slots`) and
never goes past it. People inside their window do not count and are never held; the rest
of a broadcast waits, visibly (`waiting`), until places free up, emergencies first (they
are claimed first). Schools of one portfolio share one budget."""

import threading
import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Delivery, DeliveryStatus, LimitSlot, School
from portal.services.common import clock, dialects
from portal.services.common.quiet_hours import after_quiet_hours
from portal.whatsapp.account_changes import limit_of

WINDOW = timedelta(hours=24)
_slots = LimitSlot.__table__
_local_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)


def portfolio_key(school) -> str:
    """The budget a school draws from: its portfolio's, or its own."""
    return f"p{school.portfolio_id}" if school.portfolio_id else f"s{school.id}"


def limit(school) -> int | None:
    """Unique people a day outside their window (None: unlimited)."""
    return limit_of(school.messaging_tier)


def take_places(jobs: list, *, recipient_of, needs_place) -> list:
    """The jobs that may go now; the others are put back to wait for a place (committed).
    `recipient_of(job)` is who Meta counts, `needs_place(job)` whether the job counts."""
    held: set[int] = set()
    groups: dict[str, list] = defaultdict(list)
    for job in jobs:
        if needs_place(job) and limit(job.school) is not None:
            groups[portfolio_key(job.school)].append(job)
    for key, group in groups.items():
        with _lock(key):
            held |= _share(key, limit(group[0].school), group, recipient_of)
            db.session.commit()
    return [job for job in jobs if job.delivery.id not in held]


def _share(key: str, most: int, group: list, recipient_of) -> set[int]:
    """Give places in claim order to people not counted yet while there are any; the ids
    of the deliveries that must wait."""
    now = clock.now()
    people = {recipient_of(job) for job in group}
    counted = set(db.session.scalars(_counted(key, now).where(_slots.c.recipient.in_(people))))
    free = most - db.session.scalar(_used(key, now))
    granted, waiting = [], []
    for job in group:
        person = recipient_of(job)
        if person not in counted and free <= 0:
            waiting.append(job)
            continue
        if person not in counted:
            free -= 1
            counted.add(person)
        granted.append(job)
    _record(key, granted, recipient_of, now)
    _hold(key, waiting, now)
    return {job.delivery.id for job in waiting}


def _counted(key: str, now: datetime) -> sa.Select:
    """The people counted against this budget in the moving 24 hours."""
    return sa.select(_slots.c.recipient).where(
        _slots.c.portfolio_key == key, _slots.c.used_at > now - WINDOW
    )


def _used(key: str, now: datetime) -> sa.Select:
    return sa.select(sa.func.count(sa.distinct(_slots.c.recipient))).where(
        _slots.c.portfolio_key == key, _slots.c.used_at > now - WINDOW
    )


def _record(key: str, granted: list, recipient_of, now: datetime) -> None:
    if not granted:
        return
    rows = [
        {"portfolio_key": key, "recipient": recipient_of(j), "used_at": now}
        | {"delivery_id": j.delivery.id}
        for j in granted
    ]
    db.session.execute(sa.insert(_slots), rows)
    was_waiting = [j.delivery.id for j in granted if j.delivery.waiting]
    if was_waiting:
        db.session.execute(
            sa.update(Delivery)
            .where(Delivery.id.in_(was_waiting))
            .values(waiting=False)
            .execution_options(synchronize_session=False)
        )


def _hold(key: str, waiting: list, now: datetime) -> None:
    """Back to pending until the place each will get frees up (after quiet hours)."""
    frees = free_times(key, len(waiting), now=now)
    for job, free_at in zip(waiting, frees, strict=True):
        kind = job.broadcast.kind if job.broadcast is not None else "notice"
        db.session.execute(
            sa.update(Delivery)
            .where(Delivery.id == job.delivery.id, Delivery.status == DeliveryStatus.SENDING)
            .values(
                status=DeliveryStatus.PENDING,
                waiting=True,
                lease_until=None,
                attempts=Delivery.attempts - 1,
                next_attempt_at=after_quiet_hours(job.school, free_at, kind),
            )
            .execution_options(synchronize_session=False)
        )


def free_times(key: str, count: int, *, now: datetime, fresh: int = 0) -> list[datetime]:
    """When the next `count` places free up, earliest first: 24 hours after each counted
    person's latest message (and after `fresh` more people messaged now), and a day later
    again for each round past them."""
    if count <= 0:
        return []
    latest = sa.func.max(_slots.c.used_at).label("latest")
    rows = db.session.scalars(
        sa.select(latest)
        .where(_slots.c.portfolio_key == key, _slots.c.used_at > now - WINDOW)
        .group_by(_slots.c.recipient)
        .order_by(latest)
        .limit(count)
    ).all()
    moments = sorted([*rows, *[now] * fresh])[:count] or [now]
    step = timedelta(seconds=1)  # just past the 24 hours
    n = len(moments)
    return [moments[i % n] + WINDOW * (1 + i // n) + step for i in range(count)]


class _lock:
    """One sender at a time shares out a budget: a PostgreSQL advisory lock held until the
    caller commits (every consumer on every machine), and a lock in this process (SQLite:
    the embedded stack's one consumer, its threads)."""

    def __init__(self, key: str):
        self.key = key
        self.local = _local_locks[key]

    def __enter__(self):
        self.local.acquire()
        if dialects.on_postgresql():
            number = zlib.crc32(f"sandesh-limit:{self.key}".encode()) - 2**31
            db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:n)"), {"n": number})
        return self

    def __exit__(self, *exc):
        self.local.release()


@dataclass
class Forecast:
    """How a broadcast not yet sent meets the messaging limit."""

    now: int  # parents messaged at once
    later: int  # parents who wait for places
    last_at: datetime | None  # when the last of them can go
    limit: int | None  # the portfolio's limit (None: unlimited)


def forecast(school: School, *, inside: int, outside: list[str], kind: str) -> Forecast:
    """For `inside` parents in their window and the `outside` ones (by who Meta counts):
    how many go now, how many wait, and until when."""
    most, now = limit(school), clock.now()
    if most is None:
        return Forecast(inside + len(outside), 0, None, None)
    key = portfolio_key(school)
    counted: set[str] = set()
    for start in range(0, len(outside), 500):
        chunk = outside[start : start + 500]
        counted |= set(db.session.scalars(_counted(key, now).where(_slots.c.recipient.in_(chunk))))
    new = len(set(outside) - counted)
    fits = min(new, max(most - db.session.scalar(_used(key, now)), 0))
    later = new - fits
    last_at = None
    if later:
        last_at = free_times(key, later, now=now, fresh=fits)[-1]
        last_at = after_quiet_hours(school, last_at, kind)
    return Forecast(inside + len(outside) - later, later, last_at, most)


def release_waiting(school_ids: list[int]) -> int:
    """Waiting deliveries of these schools may try again now (their limit rose); how many."""
    if not school_ids:
        return 0
    result = db.session.execute(
        sa.update(Delivery)
        .where(
            Delivery.school_id.in_(school_ids),
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.waiting,
        )
        .values(next_attempt_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
