"""What the broadcast pages show: counts for many broadcasts at once, who and what a draft
reaches, per-guardian rows, failures by reason and how long delivery took."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, joinedload

from portal.extensions import db
from portal.lexicon.numerals import to_devanagari
from portal.models import Broadcast, Delivery, Guardian, School, SchoolClass, Student
from portal.models.roster import SECTIONS_NE
from portal.services.broadcasting import targets
from portal.services.broadcasting.broadcasts import tally
from portal.services.roster.guardians import phone_digits
from portal.services.wording import parent_messages
from portal.whatsapp import errors

BROADCAST_STATUS_LABELS = {
    "draft": _l("Draft"),
    "scheduled": _l("Scheduled"),
    "sending": _l("Sending"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
}
DELIVERY_STATUS_LABELS = {
    "pending": _l("Waiting"),
    "sending": _l("Sending"),
    "accepted": _l("Sent"),
    "sent": _l("Sent"),
    "delivered": _l("Delivered"),
    "read": _l("Read"),
    "failed": _l("Failed"),
    "skipped": _l("Skipped"),
    "cancelled": _l("Cancelled"),
}
SOURCE_LABELS = {
    "portal": _l("in the portal"),
    "api": _l("through the API"),
    "teacher": _l("on WhatsApp"),
    "schedule": _l("on a recurring schedule"),
}
LIVE = ("scheduled", "sending")
# The order the progress bar stacks its parts in, from the best news to none yet.
BAR_PARTS = ("read", "delivered", "sent", "failed", "skipped")


def counts_for(broadcast_ids: list[int]) -> dict[int, dict[str, int]]:
    """Counts for many broadcasts in one query (a list page's worth)."""
    grouped: dict[int, dict[str, int]] = defaultdict(dict)
    if broadcast_ids:
        rows = db.session.execute(
            sa.select(Delivery.broadcast_id, Delivery.status, sa.func.count())
            .where(Delivery.broadcast_id.in_(broadcast_ids))
            .group_by(Delivery.broadcast_id, Delivery.status)
        )
        for broadcast_id, status, count in rows:
            grouped[broadcast_id][status] = count
    return {bid: tally(grouped.get(bid, {})) for bid in broadcast_ids}


def bar(counts: dict[str, int]) -> list[tuple[str, float, float]]:
    """The progress bar's parts as (status, x, width) in percent of all deliveries."""
    total, x, parts = counts["total"], 0.0, []
    for part in BAR_PARTS:
        if total and counts[part]:
            width = round(100 * counts[part] / total, 2)
            parts.append((part, round(x, 2), width))
            x += width
    return parts


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
            Delivery.broadcast_id == broadcast.id, Delivery.status.in_(("delivered", "read"))
        )
    )
    if last is None or broadcast.started_at is None:
        return None
    return max(last - broadcast.started_at, timedelta(0))


def target_label(text: str, locale: str) -> str:
    """`ALL` → "Whole school", `5` → "Grade 5", `5A` → "5A" (`५क` in Nepali)."""
    target = targets.parse_target(text)
    if target is None:
        return text
    if target.grade is None:
        return str(_("Whole school"))
    grade = to_devanagari(str(target.grade)) if locale == "ne" else str(target.grade)
    if target.section is None:
        return str(_("Grade %(grade)s", grade=grade))
    section = target.section
    if locale == "ne" and len(section) == 1 and "A" <= section <= "J":
        section = SECTIONS_NE[ord(section) - ord("A")]
    return f"{grade}{section}"


def target_choices(school_id: int) -> list[tuple[int, list[SchoolClass]]]:
    """The classes a broadcast can name, grouped by grade (the year targets resolve in)."""
    year = targets.latest_year(school_id)
    classes = db.session.scalars(
        sa.select(SchoolClass)
        .where(SchoolClass.school_id == school_id, SchoolClass.academic_year == year)
        .order_by(SchoolClass.grade, SchoolClass.section)
    )
    grades: dict[int, list[SchoolClass]] = {}
    for cls in classes:
        grades.setdefault(cls.grade, []).append(cls)
    return list(grades.items())


@dataclass
class Preview:
    """Who a checked, unsaved broadcast reaches, when it goes, and what parents read."""

    guardians: int
    opted_out: int
    send_at: datetime
    delayed: bool
    paused: bool
    texts: dict[str, str]

    @property
    def receiving(self) -> int:
        return self.guardians - self.opted_out


def preview(broadcast: Broadcast, *, school: School, requested: datetime) -> Preview:
    """Recipients as of now, the send time after quiet hours, the message in both languages."""
    classes = targets.resolve_classes(school_id=school.id, targets=broadcast.targets)
    who = targets.recipients(
        school_id=school.id, class_ids=[c.id for c in classes], student_ids=broadcast.student_ids
    )
    opted_out = 0
    if who:
        opted_out = db.session.scalar(
            sa.select(sa.func.count()).where(
                Guardian.id.in_(list(who)), Guardian.opted_out_at.is_not(None)
            )
        )
    child = sample_child(who, classes)
    return Preview(
        guardians=len(who),
        opted_out=opted_out,
        send_at=broadcast.scheduled_at,
        delayed=broadcast.scheduled_at != requested,
        paused=school.sending_paused_at is not None,
        texts={
            lang: parent_messages.render_text(broadcast, school, [child], lang)
            for lang in ("ne", "en")
        },
    )


def sample_child(who: dict[int, list[int]], classes: list[SchoolClass]) -> parent_messages.Child:
    """The first child the broadcast names, or a stand-in when the classes have nobody."""
    first = next((ids[0] for ids in who.values() if ids), None)
    student = first and db.session.get(Student, first, options=[joinedload(Student.school_class)])
    if student:
        cls = student.school_class
        return parent_messages.Child(student.name, student.name_ne, cls.name, cls.name_ne)
    with force_locale("en"):
        name = _("Student's name")
    with force_locale("ne"):
        name_ne = _("Student's name")
    cls = classes[0]
    return parent_messages.Child(name, name_ne, cls.name, cls.name_ne)


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


def delivery_reason(delivery: Delivery) -> str | None:
    """Why a delivery failed, is waiting again or was skipped, in the reader's language."""
    if delivery.status == "skipped" and delivery.error_reason == "opted out":
        return _("Opted out (replied STOP)")
    if delivery.error_code is not None:
        return str(errors.reason(delivery.error_code))
    return delivery.error_reason


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
        .where(Delivery.broadcast_id == broadcast_id, Delivery.status == "failed")
        .group_by(Delivery.error_code, no_code_reason)
        .order_by(count.desc(), Delivery.error_code)
    )
    return [
        Failure(
            code,
            str(errors.reason(code)) if code is not None else (stored or _("No reason given")),
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


def alert_text(alert) -> str:
    """An open alert as its school's admins read it."""
    reason = errors.reason(alert.code)
    if alert.action == "paused":
        return _("Sending is paused: %(reason)s", reason=reason)
    return _("Some messages cannot be sent: %(reason)s", reason=reason)
