"""A period's reach, from the broadcasts that started in it: the funnel (targeted → sent →
delivered → read → acknowledged, with failed and skipped), the same day by day or week by
week, by class, grade, teacher and kind, how long each broadcast took to reach the phones
(and those below the school's 5-minute reach target), and what Meta charged."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Broadcast, BroadcastTally, School, SchoolClass, Teacher, report_marks
from portal.services.common.dates import NEPAL
from portal.services.reports.periods import Period
from portal.services.reports.tallies import COUNTED, Counts, Tally, count


@dataclass
class Line:
    """One broadcast of the period and its counts."""

    broadcast: Broadcast
    counts: Counts
    p50_seconds: int | None = None
    p95_seconds: int | None = None
    charges: dict = field(default_factory=dict)

    @property
    def started(self) -> datetime:
        return self.broadcast.started_at.astimezone(NEPAL)

    def reach_share(self) -> float | None:
        """Reached within 5 minutes, as a share of the guardians messaged."""
        messaged = self.counts.messaged
        return self.counts.prompt / messaged if messaged else None

    def below(self, target: int) -> bool:
        share = self.reach_share()
        return share is not None and share * 100 < target


@dataclass
class Cost:
    category: str
    free: int
    paid: int
    amount: Decimal | None  # at the school's price (None: no price set)


@dataclass
class Report:
    school: School
    period: Period
    lines: list[Line]
    classes: list[tuple[SchoolClass, Counts]]
    grades: list[tuple[int, Counts]]

    @property
    def target(self) -> int:
        return self.school.reach_target

    @property
    def funnel(self) -> Counts:
        return sum((line.counts for line in self.lines), Counts())

    def over_time(self) -> list[tuple["datetime", Counts]]:
        """Counts per day (or week) of the period, every bucket shown, empty ones too."""
        buckets = {day: Counts() for day in self.period.buckets()}
        for line in self.lines:
            day = self.period.bucket_of(line.started.date())
            buckets[day] = buckets.get(day, Counts()) + line.counts
        return sorted(buckets.items())

    def by_kind(self) -> list[tuple[str, int, Counts]]:
        return _grouped(self.lines, lambda line: line.broadcast.kind)

    def by_teacher(self) -> list[tuple[Teacher | None, int, Counts]]:
        """Per teacher who wrote them on WhatsApp; None: made in the portal or the API, or
        by a schedule."""
        return _grouped(self.lines, lambda line: line.broadcast.author_teacher)

    def slow(self) -> list[Line]:
        """Broadcasts that reached fewer than the target within 5 minutes, worst first."""
        return sorted(
            (line for line in self.lines if line.below(self.target)),
            key=lambda line: (line.reach_share(), line.broadcast.id),
        )

    def costs(self) -> list[Cost]:
        totals: dict[str, dict[str, int]] = defaultdict(lambda: {"free": 0, "paid": 0})
        for line in self.lines:
            for category, counted in (line.charges or {}).items():
                totals[category]["free"] += counted.get("free", 0)
                totals[category]["paid"] += counted.get("paid", 0)
        prices = self.school.prices or {}
        return [
            Cost(category, n["free"], n["paid"], _amount(prices.get(category), n["paid"]))
            for category, n in sorted(totals.items())
        ]


def _amount(price, paid: int) -> Decimal | None:
    return None if price in (None, "") else Decimal(str(price)) * paid


def _grouped(lines: list[Line], key) -> list:
    groups: dict = {}
    for line in lines:
        found = groups.setdefault(key(line), [0, Counts()])
        found[0] += 1
        found[1] += line.counts
    rows = [(group, n, counts) for group, (n, counts) in groups.items()]
    return sorted(rows, key=lambda row: (-row[2].targeted, str(getattr(row[0], "name", row[0]))))


def load(school: School, period: Period) -> Report:
    """The report of a school's broadcasts that started in the period: kept tallies where
    they are up to date, the rest counted now."""
    broadcasts = list(
        db.session.scalars(
            sa.select(Broadcast)
            .where(
                Broadcast.school_id == school.id,
                Broadcast.started_at >= period.start,
                Broadcast.started_at < period.end,
            )
            .order_by(Broadcast.started_at, Broadcast.id)
            .options(selectinload(Broadcast.author_teacher))
        )
    )
    ids = [b.id for b in broadcasts]
    kept = _kept(school.id, ids)
    fresh = count([bid for bid in ids if bid not in kept])
    lines = [_line(b, kept.get(b.id) or fresh[b.id]) for b in broadcasts]
    class_counts, grade_counts = _scoped(school.id, [i for i in ids if i in kept])
    for tally in fresh.values():
        for class_id, counts in tally.classes.items():
            class_counts[class_id] += counts
        for grade, counts in tally.grades.items():
            grade_counts[grade] += counts
    return Report(school, period, lines, _with_classes(class_counts), sorted(grade_counts.items()))


def _line(broadcast: Broadcast, tally) -> Line:
    if isinstance(tally, Tally):
        return Line(broadcast, tally.school, tally.p50_seconds, tally.p95_seconds, tally.charges)
    return Line(
        broadcast,
        Counts(**{name: getattr(tally, name) for name in COUNTED}),
        tally.p50_seconds,
        tally.p95_seconds,
        tally.charges or {},
    )


def _kept(school_id: int, ids: list[int]) -> dict[int, BroadcastTally]:
    """The kept whole-school tallies of these broadcasts that no change has marked since."""
    if not ids:
        return {}
    marked = set(
        db.session.scalars(
            sa.select(report_marks.c.broadcast_id)
            .where(report_marks.c.broadcast_id.in_(ids))
            .distinct()
        )
    )
    rows = db.session.scalars(
        sa.select(BroadcastTally).where(
            BroadcastTally.school_id == school_id,
            BroadcastTally.scope == "school",
            BroadcastTally.broadcast_id.in_(ids),
        )
    )
    return {row.broadcast_id: row for row in rows if row.broadcast_id not in marked}


def _scoped(school_id: int, ids: list[int]) -> tuple[dict, dict]:
    """Kept class and grade tallies of these broadcasts, summed per class and per grade."""
    classes: dict[int, Counts] = defaultdict(Counts)
    grades: dict[int, Counts] = defaultdict(Counts)
    if not ids:
        return classes, grades
    t = BroadcastTally
    rows = db.session.execute(
        sa.select(t.scope, t.scope_id, *(sa.func.sum(getattr(t, name)) for name in COUNTED))
        .where(t.school_id == school_id, t.scope != "school", t.broadcast_id.in_(ids))
        .group_by(t.scope, t.scope_id)
    )
    for scope, scope_id, *sums in rows:
        target = classes if scope == "class" else grades
        target[scope_id] += Counts(*(int(n or 0) for n in sums))
    return classes, grades


def _with_classes(counts: dict[int, Counts]) -> list[tuple[SchoolClass, Counts]]:
    if not counts:
        return []
    found = db.session.scalars(sa.select(SchoolClass).where(SchoolClass.id.in_(counts)))
    ordered = sorted(found, key=lambda c: (c.academic_year, c.grade, c.section))
    return [(school_class, counts[school_class.id]) for school_class in ordered]
