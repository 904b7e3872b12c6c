"""Signing in: password check with argon2id and throttling after repeated failures.

Counts live in the database so every web process sees the same ones. Failures are counted
per email and per client address; either reaching its limit locks that key for a while.
"""

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

ADDRESS_LIMIT_FACTOR = 4  # an address may fail for several people before it is locked


def throttle_keys(email: str, address: str | None) -> list[tuple[str, int]]:
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    return [
        (f"email:{email.strip().lower()}", limit),
        (f"addr:{address or 'unknown'}", limit * ADDRESS_LIMIT_FACTOR),
    ]


def locked_until(email: str, address: str | None) -> datetime | None:
    """When the lock on this email or address ends, if one is in force now."""
    keys = [key for key, _ in throttle_keys(email, address)]
    rows = db.session.scalars(sa.select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    now = utcnow()
    ends = [r.locked_until for r in rows if r.locked_until and r.locked_until > now]
    return max(ends) if ends else None


def authenticate(email: str, password: str, address: str | None) -> User | None:
    """The active user with this email and password, or None (and the failure is counted)."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        dummy_verify(password)
    elif user.active and verify_password(user.password_hash, password):
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login_at = utcnow()
        _clear(email, address)
        return user
    _count_failure(email, address)
    return None


def _count_failure(email: str, address: str | None) -> None:
    window = timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
    now = utcnow()
    for key, limit in throttle_keys(email, address):
        row = db.session.get(LoginThrottle, key) or LoginThrottle(key=key, failures=0)
        if row.first_failure_at is None or now - row.first_failure_at > window:
            row.failures, row.first_failure_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= limit:
            row.locked_until = now + window
        db.session.add(row)


def _clear(email: str, address: str | None) -> None:
    email_key = throttle_keys(email, address)[0][0]
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == email_key))
