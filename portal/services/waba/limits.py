"""The portfolio's messaging limit as Meta reports it: read from the business number
(`whatsapp_business_manager_messaging_limit`) when a school is added, every day and when a
`business_capability_update` or `phone_number_quality_update` arrives, then stored on every
school of the portfolio. A raised limit lets the parents waiting for it go at once."""

import logging
from dataclasses import dataclass

import sqlalchemy as sa

from portal.extensions import db
from portal.models import School
from portal.services.common import clock
from portal.services.delivery import budget
from portal.services.delivery.sending import access_token
from portal.whatsapp.account_changes import LimitChange, limit_of, tier_of
from portal.whatsapp.errors import GraphError, TransportError

log = logging.getLogger(__name__)


@dataclass
class NumberInfo:
    """What Meta says of a school's business number."""

    display_phone_number: str | None
    verified_name: str | None
    quality_rating: str | None
    tier: str | None


def portfolio_of(school: School) -> list[School]:
    """The schools sharing this school's messaging limit (itself included)."""
    if school.portfolio_id is None:
        return [school]
    return list(
        db.session.scalars(sa.select(School).where(School.portfolio_id == school.portfolio_id))
    )


def read_number(*, school: School, graph) -> NumberInfo:
    """Ask Meta about the school's number and store what it says (the caller commits);
    GraphError or TransportError when Meta cannot be asked."""
    found = graph.phone_number(phone_number_id=school.phone_number_id, token=access_token(school))
    info = NumberInfo(
        found.get("display_phone_number"),
        found.get("verified_name"),
        found.get("quality_rating"),
        tier_of(found.get("whatsapp_business_manager_messaging_limit")),
    )
    school.display_phone_number = info.display_phone_number or school.display_phone_number
    school.verified_name = info.verified_name or school.verified_name
    school.quality_rating = info.quality_rating or school.quality_rating
    if info.tier:
        set_tier(school, info.tier)
    return info


def set_tier(school: School, tier: str) -> list[int]:
    """Store a limit for every school of the portfolio; the schools whose waiting parents
    were let go because it rose."""
    group = portfolio_of(school)
    before = limit_of(school.messaging_tier)
    for member in group:
        member.messaging_tier, member.messaging_tier_at = tier, clock.now()
    after = limit_of(tier)
    if after is None or (before is not None and after > before):
        ids = [member.id for member in group]
        budget.release_waiting(ids)
        return ids
    return []


def apply_change(change: LimitChange, *, graph=None) -> list[int]:
    """A limit webhook (named by WABA only), applied to the schools of that account and of
    their portfolios; a webhook without a limit in it makes Sandesh ask Meta again."""
    schools = list(db.session.scalars(sa.select(School).where(School.waba_id == change.account_id)))
    released: list[int] = []
    for school in schools:
        if change.tier:
            released += set_tier(school, change.tier)
        elif graph is not None and school.phone_number_id:
            released += _refresh(school, graph)
    return sorted(set(released))


def _refresh(school: School, graph) -> list[int]:
    before = limit_of(school.messaging_tier)
    try:
        read_number(school=school, graph=graph)
    except (GraphError, TransportError) as exc:
        log.warning("could not read the messaging limit of %s: %s", school.slug, exc)
        return []
    after = limit_of(school.messaging_tier)
    return [m.id for m in portfolio_of(school)] if after is None or (before or 0) < after else []


def refresh_all(*, graph) -> dict[str, int]:
    """Every active school with a number, asked about again (the daily check)."""
    counts = {"checked": 0, "failed": 0}
    schools = db.session.scalars(
        sa.select(School)
        .where(School.active, School.phone_number_id.is_not(None))
        .order_by(School.id)
    ).all()
    for school in schools:
        try:
            read_number(school=school, graph=graph)
            counts["checked"] += 1
        except (GraphError, TransportError) as exc:
            log.warning("daily check of %s failed: %s", school.slug, exc)
            counts["failed"] += 1
    return counts
