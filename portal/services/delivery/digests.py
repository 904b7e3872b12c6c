"""The school's daily digest: a guardian's non-urgent messages are held (status `held`, due
at the school's digest time) and then carried together by one message, a delivery with
purpose "digest" that the engine sends like any other (leases, retries, statuses). The
held ones follow their digest's status, so their broadcasts count and complete as usual.

Linking held messages to a new digest is one conditional update: a second dispatcher
finds them linked and keeps nothing of its own. A held message alone at its digest time
goes on its own, as the ordinary message. A held message whose digest went on without it
following (a worker died between the two statements) is put right by the sweeper."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.models import (
    DIGEST,
    URGENT_KINDS,
    Broadcast,
    Delivery,
    DeliveryStatus,
    Guardian,
    Kind,
)
from portal.services.common import clock, dates
from portal.services.delivery.reasons import OPTED_OUT

SETTLE = timedelta(minutes=1)  # a fan-out finishing in the digest's own minute still makes it
# About how many characters of held text one digest carries: its template's whole body may
# take 1,024 (the sender checks, and lets go of what does not fit).
BUDGET = 700
SUMMARY_LENGTH = 200  # a monthly attendance summary's sentence for a child or two
GUARDIANS_A_ROUND = 500
_d = Delivery.__table__
# What a held message's digest status means for it: waiting while the digest waits.
WAITING = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
FOLLOWING = (
    DeliveryStatus.HELD,
    DeliveryStatus.ACCEPTED,
    DeliveryStatus.SENT,
    DeliveryStatus.DELIVERED,
)
COPIED = (
    "accepted_at",
    "sent_at",
    "delivered_at",
    "read_at",
    "failed_at",
    "error_code",
    "error_reason",
    "sent_as",
    "language",
)


def holds(school, kind: str) -> bool:
    """Whether the school holds this kind of message for its daily digest."""
    return school.digest_at is not None and kind not in URGENT_KINDS


def next_digest_at(school, after: datetime) -> datetime | None:
    """The school's first digest time at or after `after` (None: the school has no digest)."""
    if school.digest_at is None:
        return None
    local = after.astimezone(dates.NEPAL)
    moment = datetime.combine(local.date(), school.digest_at, tzinfo=dates.NEPAL)
    if moment < local:
        moment += timedelta(days=1)
    return moment.astimezone(after.tzinfo)


def make_due() -> int:
    """A digest for each guardian (a round of them) whose held messages are due; how many
    held messages were taken up (into digests, sent on their own, or skipped: opted out)."""
    due = (
        _d.c.status == DeliveryStatus.HELD,
        _d.c.digest_id.is_(None),
        _d.c.next_attempt_at <= clock.now() - SETTLE,
    )
    guardians = list(
        db.session.scalars(
            sa.select(_d.c.guardian_id).where(*due).distinct().limit(GUARDIANS_A_ROUND)
        )
    )
    if not guardians:
        return 0
    rows = db.session.execute(
        sa.select(_d.c.id, _d.c.school_id, _d.c.guardian_id, _d.c.broadcast_id, _d.c.student_ids)
        .where(*due, _d.c.guardian_id.in_(guardians))
        .order_by(_d.c.guardian_id, _d.c.id)
    ).all()
    opted_out, lengths = _opted_out(guardians), _lengths({row.broadcast_id for row in rows})
    by_guardian: dict[int, list] = {}
    for row in rows:
        by_guardian.setdefault(row.guardian_id, []).append(row)
    taken = 0
    for guardian_id, held in by_guardian.items():
        if guardian_id in opted_out:
            taken += _settle(held, status=DeliveryStatus.SKIPPED, error_reason=OPTED_OUT)
            continue
        taken += sum(_carry(chunk) for chunk in chunks(held, lengths))
    return taken


def chunks(held: list, lengths: dict[int, int]) -> list[list]:
    """The guardian's held messages in order, as many to a digest as its budget takes."""
    found, current, used = [], [], 0
    for row in held:
        size = lengths.get(row.broadcast_id, BUDGET)
        if current and used + size > BUDGET:
            found.append(current)
            current, used = [], 0
        current.append(row)
        used += size
    return [*found, current] if current else found


def _carry(chunk: list) -> int:
    """One digest for these held messages (one alone goes as itself); how many it took."""
    if len(chunk) == 1:
        return _settle(chunk, status=DeliveryStatus.PENDING, next_attempt_at=clock.now())
    first, now = chunk[0], clock.now()
    students = list(dict.fromkeys(sid for row in chunk for sid in row.student_ids or ()))
    try:
        with db.session.begin_nested():
            digest = Delivery(
                school_id=first.school_id,
                guardian_id=first.guardian_id,
                purpose=DIGEST,
                status=DeliveryStatus.PENDING,
                student_ids=students,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            db.session.add(digest)
            db.session.flush()
            if _settle(chunk, digest_id=digest.id) != len(chunk):
                raise _TakenAlready
    except _TakenAlready:
        return 0
    return len(chunk)


class _TakenAlready(Exception):
    """Another dispatcher linked these held messages first: this digest is not kept."""


def _settle(rows: list, **values) -> int:
    """Change these held messages if they are still held and unlinked; how many changed."""
    result = db.session.execute(
        sa.update(_d)
        .where(
            _d.c.id.in_([row.id for row in rows]),
            _d.c.status == DeliveryStatus.HELD,
            _d.c.digest_id.is_(None),
        )
        .values(**values)
    )
    return result.rowcount


def _opted_out(guardian_ids: list[int]) -> set[int]:
    """Guardians who replied STOP while their messages were held: those are not sent."""
    return set(
        db.session.scalars(
            sa.select(Guardian.id).where(
                Guardian.id.in_(guardian_ids), Guardian.opted_out_at.is_not(None)
            )
        )
    )


def _lengths(broadcast_ids: set[int]) -> dict[int, int]:
    """About how many characters each broadcast takes in a digest (its longer language)."""
    b = Broadcast
    rows = db.session.execute(
        sa.select(b.id, b.kind, b.subject, b.body_en, b.body_ne).where(b.id.in_(broadcast_ids))
    ).all()
    return {
        row.id: 40
        + len(row.subject or "")
        + max(len(row.body_en or ""), len(row.body_ne or ""))
        + (SUMMARY_LENGTH if row.kind == Kind.ATTENDANCE else 0)
        for row in rows
    }


def mirror(digest_id: int) -> int:
    """Its held messages take the digest's status (waiting while it waits; a cancelled
    digest lets them go to the next one); how many changed."""
    digest = db.session.execute(
        sa.select(_d.c.status, *(_d.c[name] for name in COPIED)).where(_d.c.id == digest_id)
    ).first()
    if digest is None:
        return 0
    mine = _d.c.digest_id == digest_id
    if digest.status == DeliveryStatus.CANCELLED:
        values, which = {"digest_id": None}, _d.c.status == DeliveryStatus.HELD
    else:
        status = DeliveryStatus.HELD if digest.status in WAITING else digest.status
        values = {"status": status, **{name: getattr(digest, name) for name in COPIED}}
        which = sa.and_(_d.c.status.in_(FOLLOWING), _d.c.status != status)
    result = db.session.execute(sa.update(_d).where(mine, which).values(**values))
    return result.rowcount


def repair() -> int:
    """Held messages whose digest has gone on without them follow it now (the sweeper)."""
    digest = _d.alias("digest")
    stale = (
        sa.select(_d.c.digest_id)
        .join(digest, digest.c.id == _d.c.digest_id)
        .where(_d.c.status == DeliveryStatus.HELD, digest.c.status.not_in(WAITING))
        .distinct()
    )
    return sum(mirror(digest_id) for digest_id in db.session.scalars(stale).all())


def replan(school) -> int:
    """The school changed or dropped its digest time: held messages not yet in a digest
    wait for the new time, or go now when there is no digest any more."""
    held = sa.and_(
        _d.c.school_id == school.id,
        _d.c.status == DeliveryStatus.HELD,
        _d.c.digest_id.is_(None),
    )
    now = clock.now()
    if school.digest_at is None:
        values = {"status": DeliveryStatus.PENDING, "next_attempt_at": now}
    else:
        values = {"next_attempt_at": next_digest_at(school, now)}
    return db.session.execute(sa.update(_d).where(held).values(**values)).rowcount


def let_go(delivery_ids: list[int], *, alone: bool) -> int:
    """Held messages a digest cannot carry after all: they wait for the next digest, or
    (`alone`) go on their own now."""
    values: dict = {"digest_id": None}
    if alone:
        values |= {"status": DeliveryStatus.PENDING, "next_attempt_at": clock.now()}
    result = db.session.execute(
        sa.update(_d)
        .where(_d.c.id.in_(delivery_ids), _d.c.status == DeliveryStatus.HELD)
        .values(**values)
    )
    return result.rowcount


def waiting_items(digest_ids: list[int]) -> list:
    """The held messages each digest carries, in order: (id, digest_id, broadcast_id,
    student_ids) rows."""
    if not digest_ids:
        return []
    return db.session.execute(
        sa.select(_d.c.id, _d.c.digest_id, _d.c.broadcast_id, _d.c.student_ids)
        .where(_d.c.digest_id.in_(digest_ids), _d.c.status == DeliveryStatus.HELD)
        .order_by(_d.c.id)
    ).all()
