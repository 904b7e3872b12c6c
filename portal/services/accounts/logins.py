"""Signing in: password check with argon2id and throttling of repeated attempts.

Attempts are counted in the database, so every web process sees the same counts, per
account *at one client address* and per client address. A key over its limit refuses
attempts for the rest of its window; nothing is keyed on the account alone, so a stranger
guessing a user's password from elsewhere can never lock that user out.

Every attempt is counted before its password is checked, by one atomic statement
(INSERT … ON CONFLICT DO UPDATE … RETURNING) committed at once: a burst of concurrent guesses
is counted exactly, and only the first ones within the limit get a password check. A
correct password clears its account's count at that address and gives its address back
the attempt it took.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.models import LoginThrottle, User, utcnow
from portal.services.accounts.passwords import (
    dummy_verify,
    hash_password,
    needs_rehash,
    verify_password,
)
from portal.services.common import dialects

ADDRESS_LIMIT_FACTOR = 4  # an address may fail for several people before it is locked


@dataclass(frozen=True)
class Attempt:
    """One counted attempt: the keys it was counted under, and when it may be tried again
    (None: it may be checked now)."""

    keys: tuple[str, str]
    retry_at: datetime | None


def throttle_keys(email: str, address: str | None) -> list[tuple[str, int]]:
    """The account at this address (hashed: an email and an address may be long) and the
    address on its own, each with its limit."""
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    address = address or "unknown"
    pair = hashlib.sha256(f"{email.strip().lower()}\n{address}".encode()).hexdigest()
    return [(f"account-at:{pair}", limit), (f"addr:{address}"[:300], limit * ADDRESS_LIMIT_FACTOR)]


def begin_attempt(email: str, address: str | None) -> Attempt:
    """Count this attempt under both keys (committed at once, so concurrent attempts see
    it); it may go on only when every key is still within its limit."""
    window = timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
    now, keys, retry_at = utcnow(), [], None
    for key, limit in throttle_keys(email, address):
        count, started = _count(key, now, window)
        keys.append(key)
        if count > limit:
            retry_at = max(retry_at or started + window, started + window)
    db.session.commit()
    return Attempt(tuple(keys), retry_at)


def _count(key: str, now: datetime, window: timedelta) -> tuple[int, datetime]:
    """Add one to a key's count in its window (a window that has ended starts afresh); the
    count and the window's start, read back from the same statement."""
    table = LoginThrottle.__table__
    insert = dialects.insert(table)
    expired = table.c.first_failure_at <= now - window
    statement = insert.values(key=key, failures=1, first_failure_at=now).on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failures": sa.case((expired, 1), else_=table.c.failures + 1),
            "first_failure_at": sa.case((expired, now), else_=table.c.first_failure_at),
        },
    )
    row = db.session.execute(statement.returning(table.c.failures, table.c.first_failure_at))
    count, started = row.one()
    return count, started


def authenticate(email: str, password: str, attempt: Attempt) -> User | None:
    """The active user with this email and password, or None (the attempt stays counted)."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        dummy_verify(password)
    elif user.active and verify_password(user.password_hash, password):
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login_at = utcnow()
        _succeeded(attempt)
        return user
    return None


def _succeeded(attempt: Attempt) -> None:
    """The account's count at this address ends; the address gets its attempt back."""
    pair_key, address_key = attempt.keys
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == pair_key))
    db.session.execute(
        sa.update(LoginThrottle)
        .where(LoginThrottle.key == address_key, LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1)
    )
