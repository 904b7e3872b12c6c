"""Claiming deliveries: a batch leased to one worker (a conditional update, so two workers
never hold the same one), read with everything a sender needs; leases that ran out
given back; when the next waiting delivery is due."""

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g

from portal.extensions import db
from portal.lexicon import classnames
from portal.models import (
    DIGEST,
    Broadcast,
    Delivery,
    DeliveryStatus,
    Guardian,
    School,
    SchoolClass,
    Student,
)
from portal.services.common import clock, dialects
from portal.services.delivery import digests
from portal.services.wording import parent_messages
from portal.services.wording.digest_messages import DigestItem

_deliveries, _schools = Delivery.__table__, School.__table__


BATCH_SIZE = 25


@dataclass
class Recipient:
    """The guardian a delivery goes to, as a sender needs them."""

    wa_id: str | None
    phone: str
    language: str
    last_inbound_at: datetime | None


@dataclass
class Job:
    """One claimed delivery with everything needed to send it. The delivery is a plain
    row (what a sender reads and the conditional updates key on), not a loaded entity."""

    delivery: sa.Row
    guardian: Recipient | None
    broadcast: Broadcast | None
    school: School
    children: list[parent_messages.Child]
    # From the limiter (see `admit`): seconds until the person is free (0: reserved), and
    # when the message's token is due (time.monotonic()).
    person_busy: float = 0.0
    due: float = 0.0
    followed: bool = False  # a long message's first part: its next part goes after it
    media_id_used: str | None = None  # the Meta media id a photo or PDF went with
    # A digest's held messages, in order (empty for every other delivery).
    items: list[DigestItem] = field(default_factory=list)


# What a sender reads of each claimed delivery and its guardian, as plain rows.
_guardians = Guardian.__table__


JOBS = (
    sa.select(
        _deliveries.c.id,
        _deliveries.c.broadcast_id,
        _deliveries.c.school_id,
        _deliveries.c.guardian_id,
        _deliveries.c.purpose,
        _deliveries.c.student_ids,
        _deliveries.c.to_phone,
        _deliveries.c.to_user_id,
        _deliveries.c.body,
        _deliveries.c.buttons,
        _deliveries.c.waiting,
        _deliveries.c.language,
        _deliveries.c.sent_as,
        _deliveries.c.attempts,
        _deliveries.c.first_id,
        _deliveries.c.part,
        _deliveries.c.parts,
        _guardians.c.wa_id,
        _guardians.c.phone,
        _guardians.c.language.label("guardian_language"),
        _guardians.c.last_inbound_at,
    )
    .outerjoin(_guardians, _guardians.c.id == _deliveries.c.guardian_id)
    .where(
        _deliveries.c.id.in_(sa.bindparam("ids", expanding=True)),
        _deliveries.c.status == DeliveryStatus.SENDING,
    )
    .order_by(_deliveries.c.id)
)


# The students a batch's messages name, as plain rows (no class entities to load).
_students, _classes = Student.__table__, SchoolClass.__table__
CHILDREN = (
    sa.select(
        _students.c.id,
        _students.c.name,
        _students.c.name_ne,
        _classes.c.grade,
        _classes.c.section,
    )
    .join(_classes, _classes.c.id == _students.c.class_id)
    .where(_students.c.id.in_(sa.bindparam("ids", expanding=True)))
)


def lease() -> timedelta:
    """How long a worker holds the deliveries it claims."""
    return timedelta(seconds=current_app.config["DELIVERY_LEASE_SECONDS"])


def claim_batch(*, limit: int = BATCH_SIZE, broadcast_id: int | None = None) -> list[int]:
    """Lease up to `limit` due pending deliveries to this worker; their ids."""
    now, d = clock.now(), _deliveries
    paused = sa.select(_schools.c.id).where(_schools.c.sending_paused_at.is_not(None))
    candidates = (
        sa.select(d.c.id)
        .where(
            d.c.status == DeliveryStatus.PENDING,
            d.c.next_attempt_at <= now,
            d.c.school_id.not_in(paused),
        )
        .order_by(d.c.priority, d.c.id)  # emergencies and direct replies first
        .limit(limit)
    )
    if broadcast_id is not None:
        candidates = candidates.where(d.c.broadcast_id == broadcast_id)
    chosen = d.c.id.in_(candidates.scalar_subquery())
    if dialects.on_postgresql():
        # ARRAY(...) runs the locking subquery once. With `IN (subquery)` PostgreSQL may
        # rescan it for every row, each rescan skipping the rows this statement has just
        # locked and updated, so one claim could take far more than `limit` deliveries.
        candidates = candidates.with_for_update(skip_locked=True)
        chosen = d.c.id == sa.any_(sa.func.array(candidates.scalar_subquery()))
    claimed = db.session.execute(  # Core statements throughout: no ORM bookkeeping
        sa.update(d)
        .where(chosen, d.c.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SENDING, lease_until=now + lease(), attempts=d.c.attempts + 1)
        .returning(d.c.id)
    )
    return sorted(claimed.scalars())


class BatchLease:
    """A claimed batch's lease, kept while its sender lives: renewed once a third of it
    has passed, so the lease can be short and a dead sender's batch is free soon after."""

    def __init__(self, delivery_ids: list[int]):
        self.ids, self.renewed = delivery_ids, time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self.renewed >= lease().total_seconds() / 3

    def renew(self) -> int:
        """Extend the lease of the batch's deliveries still being sent (the caller
        commits); how many."""
        self.renewed = time.monotonic()
        result = db.session.execute(
            sa.update(_deliveries)
            .where(_deliveries.c.id.in_(self.ids), _deliveries.c.status == DeliveryStatus.SENDING)
            .values(lease_until=clock.now() + lease())
        )
        return result.rowcount


def load_jobs(delivery_ids: list[int]) -> list[Job]:
    """The claimed deliveries with their guardians, broadcasts, schools and the children to
    name (and a digest's held messages). A sender reads each broadcast and school once per
    task (the pause and cancel checks read the database before every message anyway)."""
    rows = db.session.execute(JOBS, {"ids": delivery_ids}).all()
    carried = digests.waiting_items([row.id for row in rows if row.purpose == DIGEST])
    children = _children({sid for row in (*rows, *carried) for sid in row.student_ids or ()})
    named = lambda ids: [children[i] for i in ids or () if i in children]  # noqa: E731
    items: dict[int, list[DigestItem]] = {}
    for item in carried:
        broadcast = _kept(Broadcast, item.broadcast_id)
        carried_item = DigestItem(broadcast, named(item.student_ids), item.id)
        items.setdefault(item.digest_id, []).append(carried_item)
    return [
        Job(
            delivery=row,
            guardian=Recipient(row.wa_id, row.phone, row.guardian_language, row.last_inbound_at)
            if row.phone is not None
            else None,
            broadcast=_kept(Broadcast, row.broadcast_id),
            school=_kept(School, row.school_id),
            children=named(row.student_ids),
            items=items.get(row.id, []),
        )
        for row in rows
    ]


def _children(student_ids: set[int]) -> dict[int, parent_messages.Child]:
    """The students as messages name them, by id."""
    if not student_ids:
        return {}
    names = db.session.execute(CHILDREN, {"ids": list(student_ids)})
    return {
        sid: parent_messages.Child(
            name, ne, classnames.name_of(grade, section), classnames.name_ne_of(grade, section), sid
        )
        for sid, name, ne, grade, section in names
    }


def _kept(model, object_id: int | None):
    """An object read once per task and held for it (a sender sends many of the same)."""
    if object_id is None:
        return None
    kept = g.setdefault("sandesh_kept", {})
    if (model, object_id) not in kept:
        kept[model, object_id] = db.session.get(model, object_id)
    return kept[model, object_id]


def release_expired_leases(*, grace: timedelta = timedelta(minutes=3)) -> int:
    """Deliveries whose worker died: back to pending once the lease and a grace period have
    passed (a `sent` status arriving meanwhile shows Meta took it, and it is not sent again)."""
    now = clock.now()
    result = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.status == DeliveryStatus.SENDING, Delivery.lease_until < now - grace)
        .values(status=DeliveryStatus.PENDING, lease_until=None, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def next_attempt_at(*, broadcast_id: int | None = None):
    """When the earliest waiting delivery (of a school that may send) is due; None if none."""
    paused = sa.select(School.id).where(School.sending_paused_at.is_not(None))
    query = sa.select(sa.func.min(Delivery.next_attempt_at)).where(
        Delivery.status == DeliveryStatus.PENDING, Delivery.school_id.not_in(paused)
    )
    if broadcast_id is not None:
        query = query.where(Delivery.broadcast_id == broadcast_id)
    return db.session.scalar(query)


def has_due_work() -> bool:
    """Whether some delivery is waiting for a worker now."""
    query = sa.select(Delivery.id).where(
        Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= clock.now()
    )
    return db.session.scalar(query.limit(1)) is not None
