"""`Idempotency-Key` on POST /api/v1/broadcasts, as payment APIs have it: a program that
retries after a lost answer sends the same key, and gets the first answer again with
nothing created twice. The same key with another body is refused (422). Keys last 24 hours
(kept by `portal.services.common.idempotency_keys`).

The key row is written in the transaction that creates the broadcast, under a unique
constraint (school, key): two retries racing each other create one broadcast, and the loser
answers with the winner's response.
"""

import hashlib
import json

from flask import request

HEADER = "Idempotency-Key"
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
