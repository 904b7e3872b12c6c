"""API tokens: a school's bearer tokens for /api/v1, stored only as their SHA-256."""

import hashlib
import secrets

from portal.extensions import db
from portal.models import ApiToken, School
from portal.services.common import audit


def create_api_token(*, school: School, user_id: int | None = None) -> tuple[ApiToken, str]:
    """A new bearer token for /api/v1: stored as its SHA-256, returned in full only here."""
    secret = secrets.token_urlsafe(32)
    token = f"sk_{school.slug}_{secret}"
    # The prefix tells a school's tokens apart in lists without revealing enough to use one.
    row = ApiToken(school_id=school.id, token_hash=hash_token(token), prefix=secret[:8])
    db.session.add(row)
    db.session.flush()
    audit.record(
        school_id=school.id,
        user_id=user_id,
        action="token.create",
        target=row,
        changes={"prefix": [None, row.prefix]},
    )
    return row, token


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored and looked up."""
    return hashlib.sha256(token.encode()).hexdigest()
