"""A school's month of broadcasts with every outcome a report shows, written row by row, and
the expected numbers counted from those rows directly (not through the reports' code).

Mangsir 2083 runs from 17 Nov to 15 Dec 2026; "today" is 2 Dec 2026 (Mangsir 16)."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from portal.extensions import db
from portal.models import Broadcast, Delivery, Guardian, SubscriptionChange
from portal.services.common.dates import NEPAL
from tests.factories import (
    ClassFactory,
    GuardianFactory,
    SchoolFactory,
    StudentFactory,
    StudentGuardianFactory,
    TeacherFactory,
)

TODAY = date(2026, 12, 2)
MANGSIR = (date(2026, 11, 17), date(2026, 12, 15))


def nepal(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NEPAL).astimezone(UTC)


@dataclass
class Sent:
    """What happened to one guardian's copy: status, seconds to the phone and to read."""

    guardian: str
    status: str
    delivered: int | None = None
    read: int | None = None
    seen: bool = False
    code: int | None = None
    reason: str | None = None
    pricing: tuple[str, str] | None = None  # (category, type)


@dataclass
class Data:
    school: object
    other: object
    guardians: dict
    classes: dict
    teacher: object
    broadcasts: dict
    sends: dict = field(default_factory=dict)  # broadcast name -> [Sent]
    children: dict = field(default_factory=dict)  # guardian id -> student ids


# guardian -> the classes of their children
FAMILIES = {
    "g0": ("Nur",),
    "g1": ("1A",),
    "g2": ("1A", "1B"),
    "g3": ("1B",),
    "g4": ("1A", "5A"),
    "g5": ("5A",),
    "g6": ("5A",),
    "g7": ("Nur",),
}
CLASSES = {"Nur": (-3, ""), "1A": (1, "A"), "1B": (1, "B"), "5A": (5, "A")}
UTILITY = ("utility", "regular")
SERVICE = ("service", "free_customer_service")

BROADCASTS = {
    # name: (kind, teacher?, started (Nepal), subject, sends)
    "b1": (
        "notice",
        False,
        (date(2026, 11, 20), 10),
        "=cmd|' /C calc'!A0",
        [
            Sent("g0", "read", 60, 600, seen=True, pricing=UTILITY),
            Sent("g1", "delivered", 120, pricing=UTILITY),
            Sent("g2", "read", 30, 30, pricing=UTILITY),
            Sent("g3", "failed", code=131026),
            Sent("g4", "delivered", 400, pricing=UTILITY),
            Sent("g5", "sent"),
            Sent("g6", "skipped", reason="opted out"),
            Sent("g7", "failed", reason="+977 98000 is not on WhatsApp"),
        ],
    ),
    "b2": (
        "homework",
        True,
        (date(2026, 11, 25), 14),
        "गृहकार्य: अभ्यास ५",
        [
            Sent("g1", "read", 10, 90, seen=True, pricing=SERVICE),
            Sent("g2", "delivered", 20, pricing=UTILITY),
            Sent("g4", "pending"),
        ],
    ),
    "b3": (  # last BS month (Kartik): in the last 30 days, not in this month
        "emergency",
        False,
        (date(2026, 11, 10), 7),
        "Flood: school closed",
        [Sent("g0", "read", 5, 50), Sent("g3", "failed", code=131026), Sent("g5", "delivered", 8)],
    ),
    "b4": (  # in the last 7 days (and this month)
        "event",
        True,
        (date(2026, 12, 1), 10),
        "Sports day",
        [
            Sent("g4", "read", 5, 20, seen=True),
            Sent("g5", "delivered", 5),  # g5 reads nothing this month
            Sent("g6", "skipped", reason="opted out"),
        ],
    ),
}


def seed() -> Data:
    school = SchoolFactory(prices={"utility": "1.25"}, currency="NPR")
    other = SchoolFactory()
    classes = {
        name: ClassFactory(school=school, grade=grade, section=section)
        for name, (grade, section) in CLASSES.items()
    }
    guardians, children = {}, {}
    for roll, (name, family) in enumerate(FAMILIES.items(), start=1):
        guardian = GuardianFactory(school=school, name=f"Guardian {name}")
        children[guardian.id] = []
        for index, class_name in enumerate(family):
            student = StudentFactory(school_class=classes[class_name], roll=roll * 10 + index)
            StudentGuardianFactory(student=student, guardian=guardian, school_id=school.id)
            children[guardian.id].append(student.id)
        guardians[name] = guardian
    teacher = TeacherFactory(school=school, name="Sita Thapa")
    db.session.flush()
    data = Data(school, other, guardians, classes, teacher, {}, children=children)
    for name, (kind, by_teacher, (day, hour), subject, sends) in BROADCASTS.items():
        data.broadcasts[name] = _broadcast(data, kind, by_teacher, nepal(day, hour), subject, sends)
        data.sends[name] = sends
    # Not reports' business: a draft, and another school's broadcast on the same day.
    db.session.add(Broadcast(school_id=school.id, kind="notice", source="teacher", status="draft"))
    theirs = GuardianFactory(school=other)
    _broadcast_for(other, theirs, nepal(date(2026, 11, 20), 10))
    _stop(data, "g6", nepal(date(2026, 11, 21), 8), data.broadcasts["b1"])
    db.session.commit()
    return data


def _broadcast(data: Data, kind, by_teacher, started, subject, sends) -> Broadcast:
    broadcast = Broadcast(
        school_id=data.school.id,
        kind=kind,
        source="teacher" if by_teacher else "portal",
        status="completed",
        targets=["ALL"],
        subject=subject,
        body_en=subject,
        author_teacher_id=data.teacher.id if by_teacher else None,
        scheduled_at=started,
        started_at=started,
        completed_at=started + timedelta(minutes=1),
    )
    db.session.add(broadcast)
    db.session.flush()
    for sent in sends:
        guardian = data.guardians[sent.guardian]
        db.session.add(_delivery(broadcast, guardian, sent, started, data.children[guardian.id]))
    return broadcast


def _delivery(broadcast, guardian: Guardian, sent: Sent, started, student_ids) -> Delivery:
    at = lambda seconds: None if seconds is None else started + timedelta(seconds=seconds)  # noqa: E731
    went = sent.status in ("sent", "delivered", "read")
    return Delivery(
        school_id=broadcast.school_id,
        broadcast_id=broadcast.id,
        guardian_id=guardian.id,
        student_ids=student_ids,
        status=sent.status,
        accepted_at=started + timedelta(seconds=1) if went else None,
        sent_at=started + timedelta(seconds=2) if went else None,
        delivered_at=at(sent.delivered),
        read_at=at(sent.read),
        acknowledged_at=at(sent.read) if sent.seen else None,
        failed_at=started + timedelta(seconds=3) if sent.status == "failed" else None,
        error_code=sent.code,
        error_reason=sent.reason,
        pricing_category=sent.pricing[0] if sent.pricing else None,
        pricing_type=sent.pricing[1] if sent.pricing else None,
        billable=None if not sent.pricing else sent.pricing[1] == "regular",
    )


def _broadcast_for(school, guardian, started) -> None:
    broadcast = Broadcast(
        school_id=school.id,
        kind="notice",
        source="portal",
        status="completed",
        targets=["ALL"],
        body_en="Not yours",
        scheduled_at=started,
        started_at=started,
    )
    db.session.add(broadcast)
    db.session.flush()
    db.session.add(
        Delivery(
            school_id=school.id,
            broadcast_id=broadcast.id,
            guardian_id=guardian.id,
            student_ids=[],
            status="failed",
            error_code=131026,
        )
    )


def _stop(data: Data, name: str, at: datetime, after: Broadcast) -> None:
    guardian = data.guardians[name]
    guardian.opted_out_at = at
    db.session.add(
        SubscriptionChange(
            school_id=data.school.id,
            guardian_id=guardian.id,
            stopped=True,
            at=at,
            after_broadcast_id=after.id,
        )
    )


# The expected numbers, counted from the rows above.
def expected(names: list[str], data_sends: dict) -> dict[str, int]:
    sends = [s for name in names for s in data_sends[name]]
    return {
        "targeted": len(sends),
        "sent": sum(s.status in ("sent", "delivered", "read") for s in sends),
        "delivered": sum(s.status in ("delivered", "read") for s in sends),
        "read": sum(s.status == "read" for s in sends),
        "acknowledged": sum(s.seen for s in sends),
        "failed": sum(s.status == "failed" for s in sends),
        "skipped": sum(s.status == "skipped" for s in sends),
        "pending": sum(s.status == "pending" for s in sends),
        "prompt": sum(s.delivered is not None and s.delivered <= 300 for s in sends),
    }


def expected_for_classes(class_names: set[str], names: list[str], data_sends: dict) -> dict:
    """Counts of the deliveries whose guardian has a child in any of these classes."""
    chosen = {
        name: [s for s in data_sends[name] if set(FAMILIES[s.guardian]) & class_names]
        for name in names
    }
    return expected(names, chosen)
