"""Starting broadcasts: the due ones claimed (a conditional update, so the dispatcher and a
Huey eta never both start one), fanned out to one delivery per guardian, and completed once
nothing waits."""

from datetime import timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.models import (
    Broadcast,
    BroadcastStatus,
    Delivery,
    DeliveryStatus,
    Guardian,
    Kind,
    School,
)
from portal.services.broadcasting import delivery_counts, targets
from portal.services.common import clock, dialects
from portal.services.delivery import digests
from portal.services.delivery.reasons import OPTED_OUT

WAITING = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.HELD)
ANALYZE_AFTER_ROWS = 500  # smaller fan-outs never mislead the planner much


def due_ids(limit: int = 100) -> list[int]:
    """Scheduled broadcasts whose time has come."""
    query = (
        sa.select(Broadcast.id)
        .where(Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.scheduled_at <= clock.now())
        .order_by(Broadcast.scheduled_at)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def claim(broadcast_id: int) -> bool:
    """Move a due broadcast from scheduled to sending; True only for the one caller that did."""
    now = clock.now()
    paused = sa.select(School.id).where(
        School.id == Broadcast.school_id, School.sending_paused_at.is_not(None)
    )
    result = db.session.execute(
        sa.update(Broadcast)
        .where(
            Broadcast.id == broadcast_id,
            Broadcast.status == BroadcastStatus.SCHEDULED,
            Broadcast.scheduled_at <= now,
            ~sa.exists(paused),
        )
        .values(status=BroadcastStatus.SENDING, started_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def fan_out(broadcast: Broadcast) -> int:
    """Every delivery of the broadcast at once (`delivery_rows`, `make_deliveries`); how
    many rows that was."""
    return make_deliveries(broadcast, delivery_rows(broadcast), last=True)


def delivery_rows(broadcast: Broadcast) -> list[dict]:
    """One delivery per guardian (several children → one message); opted-out guardians
    get a `skipped` row; at a school with a daily digest, non-urgent ones are held until
    its time."""
    classes = targets.resolve_classes(school_id=broadcast.school_id, targets=broadcast.targets)
    who = targets.recipients(
        school_id=broadcast.school_id,
        class_ids=[c.id for c in classes],
        student_ids=broadcast.student_ids,
    )
    opted_out = _opted_out(list(who))
    now, school = clock.now(), broadcast.school
    waiting, due = DeliveryStatus.PENDING, now
    if (
        digests.holds(school, broadcast.kind) and broadcast.media_file_id is None
    ):  # a file goes alone
        waiting, due = DeliveryStatus.HELD, digests.next_digest_at(school, broadcast.scheduled_at)
    return [
        {
            "school_id": broadcast.school_id,
            "broadcast_id": broadcast.id,
            "guardian_id": guardian_id,
            "student_ids": student_ids,
            "status": DeliveryStatus.SKIPPED if guardian_id in opted_out else waiting,
            "error_reason": OPTED_OUT if guardian_id in opted_out else None,
            "attempts": 0,
            "next_attempt_at": due,
            "created_at": now,
            "priority": 0 if broadcast.kind == Kind.EMERGENCY else 1,  # claimed first
        }
        for guardian_id, student_ids in who.items()
    ]


def make_deliveries(broadcast: Broadcast, rows: list[dict], *, last: bool) -> int:
    """Make these deliveries, in bulk; with the `last` part the broadcast is marked fanned
    out (it may complete once nothing waits). Unique per (broadcast, guardian): a part made
    again adds nothing. How many rows were given."""
    if rows:
        db.session.execute(_insert_ignoring_duplicates(), rows)
    if last:
        db.session.execute(
            sa.update(Broadcast)
            .where(Broadcast.id == broadcast.id, Broadcast.fanned_out_at.is_(None))
            .values(fanned_out_at=clock.now())
            .execution_options(synchronize_session=False)
        )
    return len(rows)


def unfinished_fan_outs(*, older_than: timedelta) -> list[int]:
    """Broadcasts being sent whose fan-out stopped part way (its worker died) and began
    longer ago than a live worker would take."""
    return list(
        db.session.scalars(
            sa.select(Broadcast.id).where(
                Broadcast.status == BroadcastStatus.SENDING,
                Broadcast.fanned_out_at.is_(None),
                Broadcast.started_at < clock.now() - older_than,
            )
        )
    )


def refresh_statistics(added: int) -> bool:
    """After a fan-out that grew the deliveries by more than a tenth of what PostgreSQL's
    planner believes they hold: ANALYZE them, so the statements finding deliveries by id
    (claims, wamids, statuses) go by index. With stale figures a young table looks empty
    and each of those statements scans every delivery; autovacuum catches up a minute or
    more later, after the broadcast is sent. Whether it analyzed."""
    if not dialects.on_postgresql() or added < ANALYZE_AFTER_ROWS:
        return False
    believed = db.session.scalar(
        sa.text("SELECT reltuples FROM pg_class WHERE oid = 'deliveries'::regclass")
    )
    if believed is not None and added <= max(believed, 0) / 10:
        return False
    db.session.execute(sa.text("ANALYZE deliveries"))
    return True


def _opted_out(guardian_ids: list[int]) -> set[int]:
    if not guardian_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Guardian.id).where(
                Guardian.id.in_(guardian_ids), Guardian.opted_out_at.is_not(None)
            )
        )
    )


def _insert_ignoring_duplicates():
    """The deliveries' INSERT for many rows at once: the table's, not the ORM's (no
    bookkeeping, its compiled form cached across broadcasts). RETURNING makes SQLAlchemy
    send it as multi-row INSERTs of a thousand rows each ("insertmanyvalues"); without it
    psycopg2 runs one statement a row, ten times slower."""
    deliveries = Delivery.__table__
    return (
        dialects.insert(deliveries)
        .on_conflict_do_nothing(index_elements=["broadcast_id", "guardian_id"])
        .returning(deliveries.c.id)
    )


def complete_if_done(broadcast_id: int) -> bool:
    """Mark a sending broadcast completed once its deliveries are all made and nothing
    waits (for a worker or for the digest); records its reach."""
    if _waits(broadcast_id):
        return False
    # Its row locked, then read again: a fan-out making its last part holds this row until
    # that part is committed, so what waits is read after it, never from before it.
    fanned_out = db.session.scalar(
        sa.select(Broadcast.fanned_out_at)
        .where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.SENDING)
        .with_for_update()
    )
    if fanned_out is None or _waits(broadcast_id):
        return False
    tally = delivery_counts.of_broadcast(broadcast_id)
    result = db.session.execute(
        sa.update(Broadcast)
        .where(
            Broadcast.id == broadcast_id,
            Broadcast.status == BroadcastStatus.SENDING,
        )
        .values(
            status=BroadcastStatus.COMPLETED,
            completed_at=clock.now(),
            targeted_count=tally["total"] - tally["skipped"],
            delivered_count=tally["delivered"] + tally["read"],
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _waits(broadcast_id: int) -> bool:
    """Whether a delivery of the broadcast waits for a worker or for the digest."""
    waiting = sa.select(Delivery.id).where(
        Delivery.broadcast_id == broadcast_id, Delivery.status.in_(WAITING)
    )
    return db.session.scalar(waiting.limit(1)) is not None


def sending_ids() -> list[int]:
    """Broadcasts being sent now."""
    return list(
        db.session.scalars(
            sa.select(Broadcast.id)
            .where(Broadcast.status == BroadcastStatus.SENDING)
            .order_by(Broadcast.id)  # completing one locks its row: always in this order
        )
    )
