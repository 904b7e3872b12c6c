"""`Idempotency-Key` on POST /api/v1/broadcasts, as payment APIs have it: a program that
retries after a lost answer sends the same key, and gets the first answer again with
nothing created twice. The same key with another body is refused (422). Keys last 24 hours.

The key row is written in the transaction that creates the broadcast, under a unique
constraint (school, key): two retries racing each other create one broadcast, and the loser
answers with the winner's response.
"""

import hashlib
import json
from datetime import timedelta

import sqlalchemy as sa
from flask import request

from portal.extensions import db
from portal.models import IdempotencyKey
from portal.services.common import clock

HEADER = "Idempotency-Key"
KEPT_FOR = timedelta(hours=24)
MAX_KEY = 255


class InvalidKey(ValueError):
    """A key that cannot be used as given; `str()` says why."""


def given_key() -> str | None:
    """The request's key, checked (printable ASCII, 1–255 characters), or None."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY or not key.isascii() or not key.isprintable():
        raise InvalidKey(f"{HEADER} must be 1 to {MAX_KEY} printable ASCII characters.")
    return key


def digest(payload) -> str:
    """The request body's fingerprint: the same JSON however it is spaced or ordered."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def find(school_id: int, key: str) -> IdempotencyKey | None:
    """The key's record if it was used within the last 24 hours."""
    return db.session.scalar(
        sa.select(IdempotencyKey).where(
            IdempotencyKey.school_id == school_id,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at > clock.now() - KEPT_FOR,
        )
    )


def remember(*, school_id: int, key: str, request_hash: str, status: int, response) -> None:
    """Keep the answer with the key, in the caller's transaction (an expired use of the same
    key gives way, so the key may be used again after a day)."""
    db.session.execute(
        sa.delete(IdempotencyKey).where(
            IdempotencyKey.school_id == school_id,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at <= clock.now() - KEPT_FOR,
        )
    )
    db.session.add(
        IdempotencyKey(
            school_id=school_id,
            key=key,
            request_hash=request_hash,
            status_code=status,
            response=response,
            created_at=clock.now(),
        )
    )
