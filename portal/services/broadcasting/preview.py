"""The one preview of a broadcast not yet sent: who it reaches, who is skipped, when it goes
after quiet hours, whether it waits for the school's daily digest or for the next day
(the daily cap), in which languages, and the message as each language's parents will see
it. The teacher's WhatsApp reply and the compose page only format it."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.models import URGENT_KINDS, Broadcast, Guardian, School, SchoolClass, Student
from portal.services.broadcasting import targets
from portal.services.calendar.days import Marked, holiday_on
from portal.services.common import clock
from portal.services.common.dates import NEPAL
from portal.services.delivery import caps, digests
from portal.services.wording import long_messages, parent_messages
from portal.services.wording.parent_messages import Child

LANGUAGES = ("ne", "en")


@dataclass
class Preview:
    """Who a checked, unsaved broadcast reaches, when it goes, and what parents read."""

    guardians: int  # everyone the targets name, opted out or not
    opted_out: int  # skipped: they replied STOP
    send_at: datetime  # after the school's quiet hours
    delayed: bool  # quiet hours moved it from the time asked for
    paused: bool  # the school's sending is paused
    languages: list[str]  # the languages the school wrote it in (none: absence alerts)
    texts: dict[str, str]  # the message as parents reading each language see it
    # How many WhatsApp messages a parent gets: inside their 24-hour window, and outside it
    # (templates; in the cheaper form, the rest comes when they reply MORE).
    messages_in_window: int = 1
    messages_outside: int = 1
    more_on_reply: bool = False
    holiday: Marked | None = None  # the send day is a holiday at the school (it still goes)
    digest_at: datetime | None = None  # held: parents get it in the daily digest then
    daily_cap: int | None = None  # the school's most non-urgent messages a parent a day
    at_cap: int = 0  # parents who have had them today: theirs goes the next morning
    next_morning: datetime | None = None  # when those get it

    @property
    def receiving(self) -> int:
        return self.guardians - self.opted_out


def preview(broadcast: Broadcast, *, school: School, requested: datetime | None = None) -> Preview:
    """Recipients as of now, the send time after quiet hours, the message in both languages
    for the first guardian it reaches (with every child of theirs it names)."""
    classes = targets.resolve_classes(school_id=school.id, targets=broadcast.targets)
    who = targets.recipients(
        school_id=school.id, class_ids=[c.id for c in classes], student_ids=broadcast.student_ids
    )
    children = sample_children(who, classes)
    requested = broadcast.scheduled_at if requested is None else requested
    shown = Preview(
        guardians=len(who),
        opted_out=_opted_out(list(who)),
        send_at=broadcast.scheduled_at,
        delayed=broadcast.scheduled_at != requested,
        paused=school.sending_paused_at is not None,
        languages=broadcast.languages,
        texts={
            lang: parent_messages.render_text(broadcast, school, children, lang)
            for lang in LANGUAGES
        },
        holiday=holiday_on(school.id, broadcast.scheduled_at.astimezone(NEPAL).date()),
        **_message_counts(broadcast, school, children),
    )
    _waiting(shown, broadcast, school, list(who))
    return shown


def _waiting(shown: Preview, broadcast: Broadcast, school: School, guardian_ids: list[int]):
    """Whether it waits for the daily digest, and who has had the day's most messages."""
    if broadcast.kind in URGENT_KINDS:
        return
    if (
        digests.holds(school, broadcast.kind) and broadcast.media_file_id is None
    ):  # a file goes alone
        shown.digest_at = digests.next_digest_at(school, broadcast.scheduled_at)
    shown.daily_cap = school.daily_cap
    today = clock.now().astimezone(NEPAL).date()
    goes_today = broadcast.scheduled_at.astimezone(NEPAL).date() == today
    if shown.daily_cap and shown.digest_at is None and goes_today:
        shown.at_cap = caps.reached_today(school, guardian_ids)
        shown.next_morning = caps.next_morning(school, clock.now())


def _message_counts(broadcast: Broadcast, school: School, children: list[Child]) -> dict:
    """The most messages a parent of either language gets, inside and outside the window."""
    form = school.long_notice_form
    inside = [long_messages.plan_text(broadcast, school, children, lang) for lang in LANGUAGES]
    outside = [
        long_messages.plan_template(broadcast, school, children, lang, form=form)
        for lang in LANGUAGES
    ]
    return {
        "messages_in_window": max(plan.count for plan in inside),
        "messages_outside": max(plan.count for plan in outside),
        "more_on_reply": any(plan.on_reply for plan in outside),
    }


def _opted_out(guardian_ids: list[int]) -> int:
    if not guardian_ids:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Guardian)
        .where(Guardian.id.in_(guardian_ids), Guardian.opted_out_at.is_not(None))
    )


def sample_children(who: dict[int, list[int]], classes: list[SchoolClass]) -> list[Child]:
    """The children the first guardian's message names, or a stand-in when nobody is there."""
    student_ids = next((ids for ids in who.values() if ids), [])
    students = db.session.scalars(
        sa.select(Student)
        .where(Student.id.in_(student_ids))
        .options(joinedload(Student.school_class))
        .order_by(Student.id)
    ).all()
    if students:
        return [
            Child(s.name, s.name_ne, s.school_class.name, s.school_class.name_ne) for s in students
        ]
    with force_locale("en"):
        name = _("Student's name")
    with force_locale("ne"):
        name_ne = _("Student's name")
    cls = classes[0]
    return [Child(name, name_ne, cls.name, cls.name_ne)]
