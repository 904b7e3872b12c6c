"""One thing made per form page and request: a compose page (a broadcast, a recurring
broadcast) carries a random submission id, and the press that makes something keeps it,
with a fingerprint of what the form asked for, beside what it made (in the same
transaction, under the idempotency keys' unique constraint per school). A second press of
the same page asking the same (a double tap on a slow link before htmx has loaded, the
browser's Back and the button again, a resubmitted form) finds what the first made instead
of sending every parent the notice twice; two racing each other make one. A page whose
message was changed first makes a new one. Kept, as the API's keys are, for a day.
"""

import hashlib
import json
import secrets

import sqlalchemy as sa

from portal.extensions import db
from portal.services.common import idempotency_keys

PREFIX = "portal "  # beside the API's Idempotency-Key values, in their table
_TOKEN_LENGTH = 22  # secrets.token_urlsafe(16)


def new_token() -> str:
    return secrets.token_urlsafe(16)


def valid(token: str | None) -> str | None:
    """The token a form sent back, if it is one this module made; else None (no guard)."""
    if not token or len(token) != _TOKEN_LENGTH or not token.isascii():
        return None
    return token if all(c.isalnum() or c in "-_" for c in token) else None


def key(form: str, token: str, fields: list[tuple[str, str]]) -> str:
    """The kept key of a submission: which form, its page's token and what it asked for."""
    text = json.dumps(sorted(fields), ensure_ascii=False, separators=(",", ":"))
    fingerprint = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{PREFIX}{form} {token}:{fingerprint}"


def made_by(school_id: int, key: str, model):
    """The `model` row (of this school) this submission already made in the last day."""
    kept = idempotency_keys.find(school_id, key)
    made_id = (kept.response or {}).get("id") if kept else None
    if made_id is None:
        return None
    return db.session.scalar(
        sa.select(model).where(model.id == made_id, model.school_id == school_id)
    )


def remember(made, key: str) -> None:
    """Keep the submission with what it made (a row with `id` and `school_id`), in the
    caller's transaction."""
    db.session.flush()  # the row's id
    idempotency_keys.remember(
        school_id=made.school_id,
        key=key,
        request_hash="portal",
        status=303,
        response={"id": made.id},
    )
