"""Each broadcast's deliveries counted once for the reports, for the whole school and for
each class and grade, kept as rollups (`broadcast_tallies`) so a year of broadcasts reads in
a few rows each. A database trigger marks a broadcast whenever one of its deliveries changes
what is counted; the tally task (every minute) takes the marks and counts those broadcasts
again, and a report counts the marked ones of its period afresh, so nothing it shows is
older than the deliveries."""

import math
from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Broadcast, BroadcastTally, Delivery, SchoolClass, Student, report_marks
from portal.services.common import clock

REACH_WINDOW = timedelta(minutes=5)  # reach is counted within this of the start of sending
FREE_TYPES = ("free_customer_service", "free_entry_point")
SENT = ("accepted", "sent", "delivered", "read")
DELIVERED = ("delivered", "read")
SKIPPED = ("skipped", "cancelled")
BATCH = 50  # broadcasts counted at a time


@dataclass
class Counts:
    """One scope's deliveries: the funnel (each step includes those past it), what failed or
    was skipped, what is still on its way, and how many reached the phone within 5 minutes."""

    targeted: int = 0
    sent: int = 0
    delivered: int = 0
    read: int = 0
    acknowledged: int = 0
    failed: int = 0
    skipped: int = 0
    pending: int = 0
    prompt: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def messaged(self) -> int:
        """Guardians Sandesh tried to reach (the skipped were not to be messaged)."""
        return self.targeted - self.skipped


COUNTED = tuple(f.name for f in fields(Counts))


@dataclass
class Tally:
    """A broadcast's counts: the whole school's, per class and per grade, how long its
    messages took to reach the phones, and what Meta charged by category."""

    school: Counts = field(default_factory=Counts)
    classes: dict[int, Counts] = field(default_factory=lambda: defaultdict(Counts))
    grades: dict[int, Counts] = field(default_factory=lambda: defaultdict(Counts))
    p50_seconds: int | None = None
    p95_seconds: int | None = None
    charges: dict[str, dict[str, int]] = field(default_factory=dict)


def percentile(sorted_values: list[int], share: float) -> int | None:
    """The nearest-rank percentile of values in order (None for none)."""
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(share * len(sorted_values)) - 1)]


_ROW = (
    Delivery.broadcast_id,
    Delivery.status,
    Delivery.student_ids,
    Delivery.delivered_at,
    Delivery.read_at,
    Delivery.acknowledged_at,
    Delivery.pricing_category,
    Delivery.pricing_type,
)


def count(broadcast_ids: list[int]) -> dict[int, Tally]:
    """The tallies of these broadcasts, counted now from their deliveries."""
    found: dict[int, Tally] = {}
    for start in range(0, len(broadcast_ids), BATCH):
        found |= _count(broadcast_ids[start : start + BATCH])
    return found


def _count(ids: list[int]) -> dict[int, Tally]:
    broadcasts = db.session.execute(
        sa.select(Broadcast.id, Broadcast.school_id, Broadcast.started_at).where(
            Broadcast.id.in_(ids)
        )
    ).all()
    classes = _classes_of({school_id for _, school_id, _ in broadcasts})
    started = {bid: at for bid, _, at in broadcasts}
    tallies = {bid: Tally() for bid in started}
    seconds: dict[int, list[int]] = defaultdict(list)
    rows = db.session.execute(
        sa.select(*_ROW).where(Delivery.broadcast_id.in_(ids), Delivery.first_id.is_(None))
    )
    for row in rows:
        one, took = _one(row, started[row.broadcast_id])
        tally = tallies[row.broadcast_id]
        tally.school += one
        places = {classes[sid] for sid in row.student_ids or () if sid in classes}
        for class_id in {class_id for class_id, _ in places}:
            tally.classes[class_id] += one
        for grade in {grade for _, grade in places}:
            tally.grades[grade] += one
        if took is not None:
            seconds[row.broadcast_id].append(took)
        _charge(tally, row)
    for bid, tally in tallies.items():
        ordered = sorted(seconds[bid])
        tally.p50_seconds, tally.p95_seconds = percentile(ordered, 0.5), percentile(ordered, 0.95)
    return tallies


def _classes_of(school_ids: set[int]) -> dict[int, tuple[int, int]]:
    """Each student's class and grade, for these schools."""
    rows = db.session.execute(
        sa.select(Student.id, SchoolClass.id, SchoolClass.grade)
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .where(SchoolClass.school_id.in_(school_ids))
    )
    return {sid: (class_id, grade) for sid, class_id, grade in rows}


def _one(row, started: datetime | None) -> tuple[Counts, int | None]:
    """One delivery as counts, and the seconds it took to reach the phone (if it did)."""
    status = row.status
    reached = row.delivered_at or row.read_at
    took = None
    if status in DELIVERED and reached is not None and started is not None:
        took = max(0, int((reached - started).total_seconds()))
    one = Counts(
        targeted=1,
        sent=int(status in SENT),
        delivered=int(status in DELIVERED),
        read=int(status == "read"),
        acknowledged=int(row.acknowledged_at is not None),
        failed=int(status == "failed"),
        skipped=int(status in SKIPPED),
        pending=int(status not in SENT and status not in SKIPPED and status != "failed"),
        prompt=int(took is not None and took <= REACH_WINDOW.total_seconds()),
    )
    return one, took


def _charge(tally: Tally, row) -> None:
    if row.pricing_type is None:
        return
    category = row.pricing_category or "?"
    kind = "free" if row.pricing_type in FREE_TYPES else "paid"
    counted = tally.charges.setdefault(category, {"free": 0, "paid": 0})
    counted[kind] += 1


def store(tallies: dict[int, Tally], school_of: dict[int, int]) -> None:
    """Keep these tallies (the caller commits), in place of what was kept before."""
    if not tallies:
        return
    db.session.execute(sa.delete(BroadcastTally).where(BroadcastTally.broadcast_id.in_(tallies)))
    now = clock.now()
    rows = []
    for bid, tally in tallies.items():
        common = {"broadcast_id": bid, "school_id": school_of[bid], "computed_at": now}
        rows.append(
            common
            | _values(tally.school)
            | {"scope": "school", "scope_id": 0, "charges": tally.charges or None}
            | {"p50_seconds": tally.p50_seconds, "p95_seconds": tally.p95_seconds}
        )
        for scope, counted in (("class", tally.classes), ("grade", tally.grades)):
            rows += [
                common | _values(c) | {"scope": scope, "scope_id": key}
                for key, c in counted.items()
            ]
    db.session.execute(sa.insert(BroadcastTally), rows)


def _values(counts: Counts) -> dict[str, int]:
    return {name: getattr(counts, name) for name in COUNTED}


def refresh(limit: int = 500) -> int:
    """Count again the broadcasts whose deliveries changed (their marks taken first, so a
    change made meanwhile marks them again), then up to `limit` started broadcasts never
    counted; how many were counted. Run by one task at a time."""
    marked = list(
        db.session.scalars(sa.select(report_marks.c.broadcast_id).distinct().limit(limit))
    )
    if marked:
        db.session.execute(sa.delete(report_marks).where(report_marks.c.broadcast_id.in_(marked)))
    never = list(
        db.session.scalars(
            sa.select(Broadcast.id)
            .where(Broadcast.started_at.is_not(None), ~_tallied(Broadcast.id))
            .order_by(Broadcast.id)
            .limit(max(0, limit - len(marked)))
        )
    )
    ids = sorted(set(marked) | set(never))
    school_of = dict(
        db.session.execute(
            sa.select(Broadcast.id, Broadcast.school_id).where(Broadcast.id.in_(ids))
        )
        .tuples()
        .all()
    )
    store(count([bid for bid in ids if bid in school_of]), school_of)
    db.session.commit()
    return len(school_of)


def _tallied(broadcast_id) -> sa.ColumnElement[bool]:
    return (
        sa.select(BroadcastTally.broadcast_id)
        .where(BroadcastTally.broadcast_id == broadcast_id, BroadcastTally.scope == "school")
        .exists()
    )
