"""The school's daily cap: at most so many non-urgent messages reach a guardian in a Nepal
day (a digest counts as one); the rest wait until the next morning, when quiet hours end.
Emergencies, absence alerts and replies are never counted nor held back. Counted just
before a message goes: the limiter keeps six seconds between two messages to one person,
so two senders never both take a guardian's last place."""

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.models import DIGEST, URGENT_KINDS, Broadcast, Delivery
from portal.services.common import clock, dates


def counts(school, broadcast, delivery) -> bool:
    """Whether this message is one the school's cap counts."""
    if school.daily_cap is None or delivery.guardian_id is None:
        return False
    if delivery.purpose == DIGEST:
        return True
    return broadcast is not None and broadcast.kind not in URGENT_KINDS


def _today_start(now: datetime) -> datetime:
    local = now.astimezone(dates.NEPAL)
    return datetime.combine(local.date(), time(0), tzinfo=dates.NEPAL)


def _counted_today(guardian_ids: list[int], now: datetime):
    """(guardian id, non-urgent messages that reached Meta today) for these guardians."""
    urgent = sa.select(Broadcast.id).where(Broadcast.kind.in_(URGENT_KINDS))
    return (
        sa.select(Delivery.guardian_id, sa.func.count())
        .where(
            Delivery.guardian_id.in_(guardian_ids),
            Delivery.accepted_at >= _today_start(now),
            Delivery.digest_id.is_(None),  # carried by a digest: the digest is counted
            sa.or_(
                Delivery.purpose == DIGEST,
                sa.and_(Delivery.broadcast_id.is_not(None), Delivery.broadcast_id.not_in(urgent)),
            ),
        )
        .group_by(Delivery.guardian_id)
    )


def wait_until(school, guardian_id: int) -> datetime | None:
    """When a counted message to this guardian may go, if not now: the next morning."""
    now = clock.now()
    row = db.session.execute(_counted_today([guardian_id], now)).first()
    if row is None or row[1] < school.daily_cap:
        return None
    return next_morning(school, now)


def next_morning(school, now: datetime) -> datetime:
    """The end of quiet hours on the next Nepal day (06:00 where there are none)."""
    tomorrow: date = now.astimezone(dates.NEPAL).date() + timedelta(days=1)
    morning = school.quiet_end if school.quiet_start != school.quiet_end else time(6)
    return datetime.combine(tomorrow, morning, tzinfo=dates.NEPAL).astimezone(now.tzinfo)


def reached_today(school, guardian_ids: list[int]) -> int:
    """How many of these guardians have had the school's cap of messages today."""
    if school.daily_cap is None or not guardian_ids:
        return 0
    rows = db.session.execute(_counted_today(guardian_ids, clock.now())).all()
    return sum(1 for _guardian, count in rows if count >= school.daily_cap)
