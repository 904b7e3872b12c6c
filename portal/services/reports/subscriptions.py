"""STOP and START over time: each change as it was applied, with the broadcast the guardian
had received just before (the one their STOP answered, when WhatsApp says so), so a report
can show what made parents stop; and who is opted out now."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.models import Broadcast, Delivery, Guardian, SubscriptionChange
from portal.services.common.dates import NEPAL
from portal.services.reports.periods import Period


def record(
    *, guardian: Guardian, stopped: bool, at: datetime, by_office: bool = False, answered=None
) -> SubscriptionChange:
    """Keep a STOP (or START) just applied; `answered` is the broadcast it replied to."""
    change = SubscriptionChange(
        school_id=guardian.school_id,
        guardian_id=guardian.id,
        stopped=stopped,
        by_office=by_office,
        at=at,
        after_broadcast_id=answered or last_received(guardian.id, at),
    )
    db.session.add(change)
    return change


def last_received(guardian_id: int, at: datetime) -> int | None:
    """The last broadcast that went to the guardian before a moment (Meta's timestamps are
    whole seconds: one that went within the same second counts)."""
    went = sa.func.coalesce(Delivery.accepted_at, Delivery.sent_at)
    at = at + timedelta(seconds=1)
    return db.session.scalar(
        sa.select(Delivery.broadcast_id)
        .where(
            Delivery.guardian_id == guardian_id,
            Delivery.broadcast_id.is_not(None),
            went.is_not(None),
            went <= at,
        )
        .order_by(went.desc(), Delivery.id.desc())
        .limit(1)
    )


@dataclass
class Subscriptions:
    over_time: list[tuple[date, int, int]]  # (day or week, stopped, started)
    stopped: int
    started: int
    before: list[tuple[Broadcast, int]]  # broadcasts most often followed by a STOP


def changes(school_id: int, period: Period) -> list[SubscriptionChange]:
    return list(
        db.session.scalars(
            sa.select(SubscriptionChange)
            .where(
                SubscriptionChange.school_id == school_id,
                SubscriptionChange.at >= period.start,
                SubscriptionChange.at < period.end,
            )
            .order_by(SubscriptionChange.at, SubscriptionChange.id)
        )
    )


def load(school_id: int, period: Period, *, top: int = 5) -> Subscriptions:
    found = changes(school_id, period)
    buckets = {day: [0, 0] for day in period.buckets()}
    for change in found:
        day = period.bucket_of(change.at.astimezone(NEPAL).date())
        buckets.setdefault(day, [0, 0])[0 if change.stopped else 1] += 1
    stops = Counter(c.after_broadcast_id for c in found if c.stopped and c.after_broadcast_id)
    named = {
        b.id: b
        for b in db.session.scalars(
            sa.select(Broadcast).where(Broadcast.id.in_(stops), Broadcast.school_id == school_id)
        )
    }
    before = [(named[bid], n) for bid, n in stops.most_common() if bid in named][:top]
    return Subscriptions(
        over_time=[(day, s, st) for day, (s, st) in sorted(buckets.items())],
        stopped=sum(1 for c in found if c.stopped),
        started=sum(1 for c in found if not c.stopped),
        before=before,
    )


def opted_out(school_id: int) -> list[tuple[Guardian, SubscriptionChange | None]]:
    """Guardians opted out now, newest first, each with the STOP that did it (if kept)."""
    guardians = list(
        db.session.scalars(
            sa.select(Guardian)
            .where(Guardian.school_id == school_id, Guardian.opted_out_at.is_not(None))
            .order_by(Guardian.opted_out_at.desc(), Guardian.id)
        )
    )
    latest: dict[int, SubscriptionChange] = {}
    if guardians:
        rows = db.session.scalars(
            sa.select(SubscriptionChange)
            .where(
                SubscriptionChange.school_id == school_id,
                SubscriptionChange.stopped.is_(True),
                SubscriptionChange.guardian_id.in_([g.id for g in guardians]),
            )
            .options(joinedload(SubscriptionChange.after_broadcast))
            .order_by(SubscriptionChange.at, SubscriptionChange.id)
        )
        latest = {change.guardian_id: change for change in rows}
    return [(guardian, latest.get(guardian.id)) for guardian in guardians]
