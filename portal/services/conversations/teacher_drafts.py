"""A teacher's previews waiting for YES: found by their number or as the one waiting, taken
once (a conditional update, so a double-tapped YES never sends anything twice), and expired
after a day."""

from datetime import timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Broadcast, BroadcastStatus
from portal.services.common import clock

DRAFT_LIFETIME = timedelta(days=1)


def waiting(teacher) -> list[Broadcast]:
    """The teacher's previews still waiting for an answer, newest first."""
    return list(
        db.session.scalars(
            sa.select(Broadcast)
            .where(
                Broadcast.author_teacher_id == teacher.id,
                Broadcast.status == BroadcastStatus.DRAFT,
                Broadcast.created_at > clock.now() - DRAFT_LIFETIME,
            )
            .order_by(Broadcast.id.desc())
        )
    )


def own(teacher, broadcast_id: int) -> Broadcast | None:
    """The teacher's own broadcast with this number, whatever its status."""
    return db.session.scalar(
        sa.select(Broadcast).where(
            Broadcast.id == broadcast_id,
            Broadcast.school_id == teacher.school_id,
            Broadcast.author_teacher_id == teacher.id,
        )
    )


def is_stale(draft: Broadcast) -> bool:
    """A draft older than a day: it can no longer be confirmed."""
    return draft.created_at <= clock.now() - DRAFT_LIFETIME


def take(draft: Broadcast, *, to: BroadcastStatus) -> bool:
    """Move a waiting draft on (scheduled or cancelled); True only for the one caller that
    did, so a YES that comes twice, or a YES and a NO at once, act only once."""
    values = {"status": to}
    if to == BroadcastStatus.CANCELLED:
        values["cancelled_at"] = clock.now()
    result = db.session.execute(
        sa.update(Broadcast)
        .where(Broadcast.id == draft.id, Broadcast.status == BroadcastStatus.DRAFT)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        for name, value in values.items():
            setattr(draft, name, value)
        db.session.flush()
        return True
    db.session.refresh(draft)
    return False


def stale(limit: int = 200) -> list[Broadcast]:
    """Drafts of every school whose day has passed, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Broadcast)
            .where(
                Broadcast.status == BroadcastStatus.DRAFT,
                Broadcast.author_teacher_id.is_not(None),
                Broadcast.created_at <= clock.now() - DRAFT_LIFETIME,
            )
            .order_by(Broadcast.id)
            .limit(limit)
        )
    )
