"""Bearer tokens: `Authorization: Bearer sk_<school>_...`, looked up by their SHA-256."""

import hmac

import sqlalchemy as sa
from flask import g, request

from portal.extensions import db
from portal.models import ApiToken, School
from portal.services.accounts.tokens import hash_token
from portal.services.common import clock


def error(status: int, code: str, message: str, fields: dict | None = None):
    """The API's error shape: {"error": {"code", "message", "fields"}} with the right status."""
    return {"error": {"code": code, "message": message, "fields": fields or {}}}, status


def require_token():
    """Find the school for the request's bearer token, or answer 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthorized("Send Authorization: Bearer <token>.")
    digest = hash_token(token.strip())
    row = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))
    )
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return _unauthorized("The token is not valid.")
    school = db.session.get(School, row.school_id)
    if school is None or not school.active:
        return _unauthorized("The token's school is not active.")
    row.last_used_at = clock.now()
    db.session.commit()
    g.api_school, g.api_token = school, row
    return None


def _unauthorized(message: str):
    body, status = error(401, "unauthorized", message)
    return body, status, {"WWW-Authenticate": 'Bearer realm="sandesh"'}
