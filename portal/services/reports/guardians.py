"""Guardians the office can act on: whose messages failed in a period and why (wrong numbers,
not on WhatsApp), and who read nothing the school sent them in it."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from portal.extensions import db
from portal.models import Broadcast, Delivery, Guardian
from portal.services.delivery import reasons
from portal.services.reports.periods import Period
from portal.services.reports.tallies import SENT


def _in_period(school_id: int, period: Period):
    """The period's broadcasts' deliveries to guardians, one per guardian each."""
    return (
        sa.select()
        .select_from(Delivery)
        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
        .where(
            Broadcast.school_id == school_id,
            Broadcast.started_at >= period.start,
            Broadcast.started_at < period.end,
            Delivery.first_id.is_(None),
            Delivery.guardian_id.is_not(None),
        )
    )


@dataclass
class Failed:
    guardian: Guardian
    reason: str
    count: int
    last_at: datetime | None


def failures(school_id: int, period: Period) -> list[Failed]:
    """Each guardian whose messages failed, per reason, most failures first."""
    no_code_reason = sa.case((Delivery.error_code.is_(None), Delivery.error_reason), else_=None)
    rows = db.session.execute(
        _in_period(school_id, period)
        .add_columns(
            Delivery.guardian_id,
            Delivery.error_code,
            no_code_reason,
            sa.func.count(),
            sa.func.max(Delivery.failed_at),
        )
        .where(Delivery.status == "failed")
        .group_by(Delivery.guardian_id, Delivery.error_code, no_code_reason)
    ).all()
    guardians = _guardians(school_id, {row[0] for row in rows})
    found = [
        Failed(guardians[gid], _reason(code, stored), n, last)
        for gid, code, stored, n, last in rows
        if gid in guardians
    ]
    return sorted(found, key=lambda f: (-f.count, f.reason, f.guardian.name, f.guardian.id))


def _reason(code: int | None, stored: str | None) -> str:
    if code is not None:
        return reasons.code_reason(code)
    return stored or _("No reason given")


def by_reason(found: list[Failed]) -> list[tuple[str, int, int]]:
    """(reason, failed messages, guardians), most messages first."""
    totals: dict[str, list[int]] = {}
    for failed in found:
        counted = totals.setdefault(failed.reason, [0, 0])
        counted[0] += failed.count
        counted[1] += 1
    return sorted(((r, n, g) for r, (n, g) in totals.items()), key=lambda t: (-t[1], t[0]))


@dataclass
class Unread:
    guardian: Guardian
    messaged: int  # messages that reached Meta
    delivered: int


def never_read(school_id: int, period: Period) -> list[Unread]:
    """Guardians sent something in the period who read none of it, by name."""
    delivered = sa.func.sum(sa.case((Delivery.status == "delivered", 1), else_=0))
    read = sa.func.sum(sa.case((Delivery.status == "read", 1), else_=0))
    rows = db.session.execute(
        _in_period(school_id, period)
        .add_columns(Delivery.guardian_id, sa.func.count(), delivered)
        .where(Delivery.status.in_(SENT))
        .group_by(Delivery.guardian_id)
        .having(read == 0)
    ).all()
    guardians = _guardians(school_id, {row[0] for row in rows})
    found = [Unread(guardians[g], n, int(d or 0)) for g, n, d in rows if g in guardians]
    return sorted(found, key=lambda u: (u.guardian.name, u.guardian.id))


def _guardians(school_id: int, ids: set[int]) -> dict[int, Guardian]:
    if not ids:
        return {}
    found = db.session.scalars(
        sa.select(Guardian).where(Guardian.school_id == school_id, Guardian.id.in_(ids))
    )
    return {g.id: g for g in found}
