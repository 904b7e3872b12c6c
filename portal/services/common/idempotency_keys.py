"""Kept answers by key, per school, for a day: the API's `Idempotency-Key` values
(`portal.api.idempotency`) and the portal's compose submissions
(`portal.services.broadcasting.submissions`). A key is written in the transaction that
makes what it names, under the unique constraint (school, key), so two uses racing each
other make one thing; the loser reads the winner's answer."""

from datetime import timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.models import IdempotencyKey
from portal.services.common import clock

KEPT_FOR = timedelta(hours=24)


def find(school_id: int, key: str) -> IdempotencyKey | None:
    """The key's record if it was used within the last day."""
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
