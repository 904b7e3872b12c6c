"""Each broadcast's deliveries counted once for the reports, for the whole school and for
each class and grade, kept as rollups (`broadcast_tallies`) so a year of broadcasts reads in
a few rows each. A database trigger marks a broadcast whenever one of its deliveries changes
what is counted; the tally task (every minute) takes the marks and counts those broadcasts
again, and a report counts the marked ones of its period afresh, so nothing it shows is
older than the deliveries."""

import math
from collections import Counter, defaultdict
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

    def __add__(self, other: "Counts") -> "Counts":  # written out: a year adds millions
        return Counts(
            self.targeted + other.targeted,
            self.sent + other.sent,
            self.delivered + other.delivered,
            self.read + other.read,
            self.acknowledged + other.acknowledged,
            self.failed + other.failed,
            self.skipped + other.skipped,
            self.pending + other.pending,
            self.prompt + other.prompt,
        )

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
    """Deliveries alike (status, Seen, within the window, classes, charge) are counted
    together, then added to each scope once: a broadcast's thousands of rows fall into a
    few dozen kinds."""
    broadcasts = db.session.execute(
        sa.select(Broadcast.id, Broadcast.school_id, Broadcast.started_at).where(
            Broadcast.id.in_(ids)
        )
    ).all()
    started = {bid: at for bid, _, at in broadcasts}
    alike, seconds = _alike(ids, started, _classes_of({school for _, school, _ in broadcasts}))
    tallies = {bid: Tally() for bid in started}
    for (bid, status, seen, prompt, (class_ids, grades), charge), n in alike.items():
        one = _counts(status, seen, prompt, n)
        tally = tallies[bid]
        tally.school += one
        for class_id in class_ids:
            tally.classes[class_id] += one
        for grade in grades:
            tally.grades[grade] += one
        if charge is not None:
            counted = tally.charges.setdefault(charge[0], {"free": 0, "paid": 0})
            counted[charge[1]] += n
    for bid, tally in tallies.items():
        ordered = sorted(seconds[bid])
        tally.p50_seconds, tally.p95_seconds = percentile(ordered, 0.5), percentile(ordered, 0.95)
    return tallies


def _alike(ids: list[int], started: dict, classes: dict) -> tuple[Counter, dict]:
    """The broadcasts' deliveries counted by kind, and each one's seconds to the phone."""
    alike: Counter = Counter()
    seconds: dict[int, list[int]] = defaultdict(list)
    places_of: dict[tuple, tuple] = {}
    rows = db.session.execute(
        sa.select(*_ROW).where(Delivery.broadcast_id.in_(ids), Delivery.first_id.is_(None))
    )
    for row in rows:
        took = _took(row, started[row.broadcast_id])
        if took is not None:
            seconds[row.broadcast_id].append(took)
        kids = tuple(row.student_ids or ())
        places = places_of.get(kids)
        if places is None:
            places = places_of[kids] = _places(kids, classes)
        seen = row.acknowledged_at is not None
        key = (row.broadcast_id, row.status, seen, _prompt(took), places, _charge_key(row))
        alike[key] += 1
    return alike, seconds


def _places(kids: tuple, classes: dict) -> tuple[tuple, tuple]:
    """The classes and grades of a delivery's children, each once."""
    found = {classes[sid] for sid in kids if sid in classes}
    return tuple(sorted({c for c, _ in found})), tuple(sorted({g for _, g in found}))


def _classes_of(school_ids: set[int]) -> dict[int, tuple[int, int]]:
    """Each student's class and grade, for these schools."""
    rows = db.session.execute(
        sa.select(Student.id, SchoolClass.id, SchoolClass.grade)
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .where(SchoolClass.school_id.in_(school_ids))
    )
    return {sid: (class_id, grade) for sid, class_id, grade in rows}


def _took(row, started: datetime | None) -> int | None:
    """Seconds from the start of sending to the phone, for a delivery that got there."""
    reached = row.delivered_at or row.read_at
    if row.status not in DELIVERED or reached is None or started is None:
        return None
    return max(0, int((reached - started).total_seconds()))


def _prompt(took: int | None) -> bool:
    return took is not None and took <= REACH_WINDOW.total_seconds()


def _charge_key(row) -> tuple[str, str] | None:
    """What Meta charged for it: (category, "free" or "paid"), if it said."""
    if row.pricing_type is None:
        return None
    return row.pricing_category or "?", "free" if row.pricing_type in FREE_TYPES else "paid"


def _counts(status: str, seen: bool, prompt: bool, n: int) -> Counts:
    """`n` deliveries alike as counts."""
    return Counts(
        targeted=n,
        sent=n * (status in SENT),
        delivered=n * (status in DELIVERED),
        read=n * (status == "read"),
        acknowledged=n * seen,
        failed=n * (status == "failed"),
        skipped=n * (status in SKIPPED),
        pending=n * (status not in SENT and status not in SKIPPED and status != "failed"),
        prompt=n * prompt,
    )


def store(tallies: dict[int, Tally], school_of: dict[int, int]) -> None:
    """Keep these tallies (the caller commits), in place of what was kept before."""
    if not tallies:
        return
    db.session.execute(sa.delete(BroadcastTally).where(BroadcastTally.broadcast_id.in_(tallies)))
    now = clock.now()
    rows = []
    for bid, tally in tallies.items():
        common = {"broadcast_id": bid, "school_id": school_of[bid], "computed_at": now}
        common |= {"p50_seconds": None, "p95_seconds": None, "charges": None}
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
    db.session.execute(sa.insert(BroadcastTally.__table__), rows)  # Core: many rows at once


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
