"""One broadcast per compose page and message: the page carries a random submission id, and
Send keeps it, with a fingerprint of what the form asked for, beside the broadcast it made
(in the same transaction, under the idempotency keys' unique constraint per school). A
second Send of the same page with the same message (a double tap on a slow link before
htmx has loaded, the browser's Back and Send again, a resubmitted form) finds the
broadcast the first made instead of sending every parent the notice twice; two racing each
other make one. A page whose message was changed before Send goes as a new broadcast. Kept,
as the API's keys are, for a day.
"""

import hashlib
import json
import secrets
from datetime import timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Broadcast, IdempotencyKey
from portal.services.common import clock

KEPT_FOR = timedelta(hours=24)
PREFIX = "portal compose "  # beside the API's Idempotency-Key values, in their table
_TOKEN_LENGTH = 22  # secrets.token_urlsafe(16)


def new_token() -> str:
    return secrets.token_urlsafe(16)


def valid(token: str | None) -> str | None:
    """The token a form sent back, if it is one this module made; else None (no guard)."""
    if not token or len(token) != _TOKEN_LENGTH or not token.isascii():
        return None
    return token if all(c.isalnum() or c in "-_" for c in token) else None


def key(token: str, fields: list[tuple[str, str]]) -> str:
    """The kept key of a submission: its page's token and what the form asked for."""
    text = json.dumps(sorted(fields), ensure_ascii=False, separators=(",", ":"))
    fingerprint = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{PREFIX}{token}:{fingerprint}"


def made_by(school_id: int, key: str) -> Broadcast | None:
    """The broadcast this submission already made, within the last day."""
    kept = db.session.scalar(
        sa.select(IdempotencyKey.response).where(
            IdempotencyKey.school_id == school_id,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at > clock.now() - KEPT_FOR,
        )
    )
    broadcast_id = (kept or {}).get("broadcast_id")
    if broadcast_id is None:
        return None
    return db.session.scalar(
        sa.select(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.school_id == school_id)
    )


def remember(broadcast: Broadcast, key: str) -> None:
    """Keep the submission with the broadcast, in the caller's transaction (a use of the
    same key more than a day ago gives way)."""
    db.session.execute(
        sa.delete(IdempotencyKey).where(
            IdempotencyKey.school_id == broadcast.school_id,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at <= clock.now() - KEPT_FOR,
        )
    )
    db.session.flush()  # the broadcast's id
    db.session.add(
        IdempotencyKey(
            school_id=broadcast.school_id,
            key=key,
            request_hash="portal",
            status_code=303,
            response={"broadcast_id": broadcast.id},
            created_at=clock.now(),
        )
    )
