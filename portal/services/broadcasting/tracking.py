"""What a broadcast's page reads: reach, how long delivery took, per-guardian rows, the
children they name, failures by reason, and the school's newest broadcasts."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, joinedload

from portal.extensions import db
from portal.models import Broadcast, Delivery, DeliveryStatus, Guardian, Student
from portal.services.delivery import reasons
from portal.services.roster.guardians import phone_digits


def reach(counts: dict[str, int]) -> int | None:
    """Delivered or read, in percent of the guardians messaged (None when nobody was)."""
    targeted = counts["total"] - counts["skipped"]
    if not targeted:
        return None
    return round(100 * (counts["delivered"] + counts["read"]) / targeted)


def time_to_deliver(broadcast: Broadcast) -> timedelta | None:
    """From the start of sending to the last parent's phone receiving it."""
    last = db.session.scalar(
        sa.select(sa.func.max(sa.func.coalesce(Delivery.delivered_at, Delivery.read_at))).where(
            Delivery.broadcast_id == broadcast.id,
            Delivery.status.in_((DeliveryStatus.DELIVERED, DeliveryStatus.READ)),
        )
    )
    if last is None or broadcast.started_at is None:
        return None
    return max(last - broadcast.started_at, timedelta(0))


def delivery_rows(*, broadcast_id: int, q: str = ""):
    """A broadcast's deliveries with their guardians, by guardian name; `q` matches a
    guardian's name or (part of) their phone number."""
    query = (
        sa.select(Delivery)
        .join(Guardian, Guardian.id == Delivery.guardian_id)
        .where(Delivery.broadcast_id == broadcast_id)
        .order_by(Guardian.name, Delivery.id)
        .options(contains_eager(Delivery.guardian))
    )
    q = (q or "").strip()
    if q:
        conditions = [Guardian.name.icontains(q, autoescape=True)]
        phone = phone_digits(q)
        if phone:
            conditions.append(Guardian.phone.contains(phone, autoescape=True))
        query = query.where(sa.or_(*conditions))
    return query


def children_of(deliveries) -> dict[int, Student]:
    """The students these deliveries name, with their classes, in one query."""
    ids = {sid for d in deliveries for sid in d.student_ids or ()}
    if not ids:
        return {}
    found = db.session.scalars(
        sa.select(Student).where(Student.id.in_(ids)).options(joinedload(Student.school_class))
    )
    return {s.id: s for s in found}


@dataclass
class Failure:
    code: int | None
    reason: str
    count: int


def failures(broadcast_id: int) -> list[Failure]:
    """Failed deliveries counted per Meta error code (per stored reason when there is none)."""
    no_code_reason = sa.case((Delivery.error_code.is_(None), Delivery.error_reason), else_=None)
    count = sa.func.count().label("n")
    rows = db.session.execute(
        sa.select(Delivery.error_code, no_code_reason, count)
        .where(Delivery.broadcast_id == broadcast_id, Delivery.status == DeliveryStatus.FAILED)
        .group_by(Delivery.error_code, no_code_reason)
        .order_by(count.desc(), Delivery.error_code)
    )
    return [
        Failure(
            code,
            reasons.code_reason(code) if code is not None else (stored or _("No reason given")),
            n,
        )
        for code, stored, n in rows
    ]


def latest(school_id: int, limit: int = 5) -> list[Broadcast]:
    """The school's newest broadcasts."""
    return list(
        db.session.scalars(
            sa.select(Broadcast)
            .where(Broadcast.school_id == school_id)
            .order_by(Broadcast.id.desc())
            .limit(limit)
        )
    )


FREE_TYPES = ("free_customer_service", "free_entry_point")


@dataclass
class Charge:
    """Messages of one pricing category, free or charged, and what the charged ones cost."""

    category: str
    free: bool
    count: int
    cost: Decimal | None  # at the school's price (None: no price set)


def charges(broadcast: Broadcast) -> list[Charge]:
    """What Meta reported it charged for a broadcast's messages, by category."""
    free = Delivery.pricing_type.in_(FREE_TYPES)
    rows = db.session.execute(
        sa.select(Delivery.pricing_category, free, sa.func.count())
        .where(Delivery.broadcast_id == broadcast.id, Delivery.pricing_type.is_not(None))
        .group_by(Delivery.pricing_category, free)
        .order_by(Delivery.pricing_category, free)
    ).all()
    prices = broadcast.school.prices or {}
    return [
        Charge(category or "?", bool(is_free), n, _cost(prices, category, n, is_free))
        for category, is_free, n in rows
    ]


def _cost(prices: dict, category: str | None, count: int, is_free: bool) -> Decimal | None:
    if is_free:
        return Decimal(0)
    price = prices.get(category or "")
    return None if price in (None, "") else Decimal(str(price)) * count
