"""A teacher's WhatsApp message turned into action, with a reply in the teacher's language:
a preview to confirm with YES, the result of YES / NO / CANCEL / STATUS, help, or what was not
understood with an example of the right form."""

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.lexicon.numerals import localize_digits
from portal.models import AttendanceRecord, Broadcast, Guardian, InboundMessage, School, Student
from portal.services.broadcasting import broadcasts, delivery_counts, targets
from portal.services.common import clock, dates
from portal.services.conversations import commands
from portal.services.delivery import outbox, replies
from portal.services.wording.parent_messages import KIND_LABELS, Child, render_text

DRAFT_LIFETIME = timedelta(hours=2)

EXAMPLES = {
    "notice": "5A: Tomorrow school is closed for Tihar.",
    "homework": "HW 5A Science: Page 23, exercises 1-5",
    "absence": "ABSENT 5A: 3 7 12",
    "cancel": "CANCEL 42",
    "status": "STATUS 42",
}
UNCLEAR = {
    "empty_message": (_l("Your message was empty."), "notice"),
    "unknown_command": (
        _l("I did not understand that. Start with the classes, a colon, then the message."),
        "notice",
    ),
    "no_colon": (_l("Put a colon after the classes, then the message: %(hint)s"), "notice"),
    "no_targets": (_l("Start with the classes the message is for."), "notice"),
    "unknown_target": (_l("I do not know the class “%(hint)s”."), "notice"),
    "one_class": (_l("Send absences for one class at a time."), "absence"),
    "empty_text": (_l("There is no message after the colon."), "notice"),
    "no_rolls": (_l("List the roll numbers of the absent students."), "absence"),
    "bad_rolls": (_l("“%(hint)s” is not a roll number."), "absence"),
    "bad_time": (
        _l("I could not read the time “%(hint)s”. Write it like @ 6:00 or @ tomorrow 7am."),
        "notice",
    ),
    "past_time": (_l("That time has already passed."), "notice"),
    "too_far": (_l("That time is more than a year away. Check the year."), "notice"),
    "two_times": (_l("Give only one time with @."), "notice"),
    "bad_id": (_l("Give the number of the message, as in the example."), "status"),
}


def act(*, message: InboundMessage, teacher, school: School) -> str:
    """Do what the teacher asked and queue the reply; what the command was."""
    command = commands.parse(message.text or "", now=clock.now())
    handler = HANDLERS.get(type(command), _unclear)
    with force_locale(teacher.language):
        text = handler(command, teacher=teacher, school=school)
    replies.queue_reply(
        school_id=school.id,
        to_phone=teacher.phone,
        body=text,
        purpose="teacher_reply",
        inbound_message_id=message.id,
        language=teacher.language,
    )
    return type(command).__name__.lower()


def _propose(command, *, teacher, school: School) -> str:
    try:
        classes = targets.resolve_classes(school_id=school.id, targets=command.targets)
    except targets.UnknownTarget as exc:
        return _explain("unknown_target", exc.target)
    if not school.teachers_may_target_any:
        mine = {c.id for c in teacher.classes}
        others = [c.name for c in classes if c.id not in mine]
        if others:
            return _(
                "You can only send to your own classes. Not yours: %(classes)s.",
                classes=", ".join(others),
            )
    student_ids = None
    if command.kind == "absence":
        student_ids, problem = _absent_students(classes, command.rolls)
        if problem:
            return problem
    try:
        broadcast = broadcasts.create_broadcast(
            school=school,
            kind=command.kind,
            targets_given=command.targets,
            body_en=command.body_en,
            body_ne=command.body_ne,
            subject=command.subject,
            scheduled_at=command.when,
            student_ids=student_ids,
            source="teacher",
            author_teacher_id=teacher.id,
        )
    except broadcasts.BroadcastError as exc:
        return "\n".join([str(exc), _("For example: %(example)s", example=EXAMPLES["notice"])])
    if school.require_confirmation:
        broadcast.status = "draft"
        return preview(broadcast, school=school)
    _go(broadcast, teacher)
    return _scheduled_text(broadcast)


def _absent_students(classes, rolls) -> tuple[list[int] | None, str | None]:
    if len(classes) != 1:
        return None, _(
            "Send absences for one class at a time, for example: %(example)s",
            example=EXAMPLES["absence"],
        )
    found = dict(
        db.session.execute(
            sa.select(Student.roll, Student.id).where(
                Student.class_id == classes[0].id, Student.roll.in_(rolls), Student.active
            )
        ).all()
    )
    missing = [str(r) for r in rolls if r not in found]
    if missing:
        return None, _(
            "Class %(cls)s has no student with roll number %(rolls)s.",
            cls=classes[0].name,
            rolls=", ".join(missing),
        )
    return [found[r] for r in rolls], None


def preview(broadcast: Broadcast, *, school: School) -> str:
    """What the teacher confirms: kind, classes, parents reached, when, languages, the text."""
    who = targets.recipients(
        school_id=school.id,
        class_ids=[
            c.id for c in targets.resolve_classes(school_id=school.id, targets=broadcast.targets)
        ],
        student_ids=broadcast.student_ids,
    )
    opted_out = _count_opted_out(list(who))
    lines = [
        _(
            "Preview #%(id)s — %(kind)s to %(classes)s",
            id=_n(broadcast.id),
            kind=KIND_LABELS[broadcast.kind],
            classes=", ".join(broadcast.targets),
        ),
        _("Parents: %(count)s", count=_n(len(who) - opted_out))
        + (" " + _("(%(n)s opted out, skipped)", n=_n(opted_out)) if opted_out else ""),
        _("When: %(when)s", when=_when_text(broadcast)),
        _("Languages: %(languages)s", languages=_languages(broadcast)),
        "",
        _("Parents will see:"),
        _sample(broadcast, school, who),
        "",
        _("Reply YES to send or NO to discard."),
    ]
    return "\n".join(lines)


def _count_opted_out(guardian_ids: list[int]) -> int:
    if not guardian_ids:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Guardian)
        .where(Guardian.id.in_(guardian_ids), Guardian.opted_out_at.is_not(None))
    )


def _when_text(broadcast: Broadcast) -> str:
    from flask_babel import get_locale

    if broadcast.scheduled_at <= clock.now() + timedelta(minutes=1):
        return _("now")
    return _(
        "%(when)s (Nepal time)",
        when=dates.format_dual_datetime(broadcast.scheduled_at, str(get_locale())),
    )


def _languages(broadcast: Broadcast) -> str:
    names = {"ne": _("Nepali"), "en": _("English")}
    given = broadcast.languages or ["ne", "en"]
    return ", ".join(names[lang] for lang in given)


def _sample(broadcast: Broadcast, school: School, who: dict) -> str:
    from flask_babel import get_locale

    student_ids = next(iter(who.values()), [])
    rows = db.session.execute(sa.select(Student).where(Student.id.in_(student_ids))).scalars().all()
    children = [Child(s.name, s.name_ne, s.school_class.name, s.school_class.name_ne) for s in rows]
    lang = str(get_locale())
    return render_text(broadcast, school, children, lang if lang in ("ne", "en") else "ne")


def _go(broadcast: Broadcast, teacher) -> None:
    """Schedule it (for now or its time) once committed; absences are recorded."""
    broadcast.status = "scheduled"
    if broadcast.kind == "absence":
        day = clock.now().astimezone(dates.NEPAL).date()
        for student_id in broadcast.student_ids or []:
            db.session.add(
                AttendanceRecord(
                    school_id=broadcast.school_id,
                    student_id=student_id,
                    day=day,
                    teacher_id=teacher.id,
                    broadcast_id=broadcast.id,
                )
            )
    outbox.start_after_commit(broadcast)


def _scheduled_text(broadcast: Broadcast) -> str:
    if broadcast.scheduled_at <= clock.now() + timedelta(minutes=1):
        return _(
            "Sending #%(id)s now. Reply STATUS %(id)s to see how it goes.", id=_n(broadcast.id)
        )
    return _(
        "#%(id)s will be sent %(when)s. Reply CANCEL %(id)s to stop it.",
        id=_n(broadcast.id),
        when=_when_text(broadcast),
    )


def _latest_draft(teacher) -> Broadcast | None:
    return db.session.scalar(
        sa.select(Broadcast)
        .where(
            Broadcast.author_teacher_id == teacher.id,
            Broadcast.status == "draft",
            Broadcast.created_at > clock.now() - DRAFT_LIFETIME,
        )
        .order_by(Broadcast.id.desc())
        .limit(1)
    )


def _confirm(command, *, teacher, school: School) -> str:
    draft = _latest_draft(teacher)
    if draft is None:
        return _(
            "There is nothing waiting for your YES. Send a message first, for example: %(example)s",
            example=EXAMPLES["notice"],
        )
    if draft.scheduled_at < clock.now():
        draft.scheduled_at = broadcasts.after_quiet_hours(school, clock.now(), draft.kind)
    _go(draft, teacher)
    return _scheduled_text(draft)


def _decline(command, *, teacher, school: School) -> str:
    draft = _latest_draft(teacher)
    if draft is None:
        return _("There is nothing to discard.")
    draft.status, draft.cancelled_at = "cancelled", clock.now()
    return _("Discarded #%(id)s. Nothing was sent.", id=_n(draft.id))


def _own_broadcast(teacher, broadcast_id: int) -> Broadcast | None:
    return db.session.scalar(
        sa.select(Broadcast).where(
            Broadcast.id == broadcast_id,
            Broadcast.school_id == teacher.school_id,
            Broadcast.author_teacher_id == teacher.id,
        )
    )


def _cancel(command, *, teacher, school: School) -> str:
    broadcast = _own_broadcast(teacher, command.broadcast_id)
    if broadcast is None:
        return _("You have no message #%(id)s.", id=_n(command.broadcast_id))
    if broadcasts.cancel(broadcast):
        tally = delivery_counts.of_broadcast(broadcast.id)
        return _(
            "Cancelled #%(id)s. Already sent: %(sent)s; not sent: %(skipped)s.",
            id=_n(broadcast.id),
            sent=_n(tally["sent"] + tally["delivered"] + tally["read"]),
            skipped=_n(tally["skipped"]),
        )
    return _(
        "#%(id)s can no longer be cancelled: it is %(status)s.",
        id=_n(broadcast.id),
        status=_status_word(broadcast.status),
    )


def _status(command, *, teacher, school: School) -> str:
    broadcast = _own_broadcast(teacher, command.broadcast_id)
    if broadcast is None:
        return _("You have no message #%(id)s.", id=_n(command.broadcast_id))
    tally = delivery_counts.of_broadcast(broadcast.id)
    return _(
        "#%(id)s is %(status)s. Parents: %(total)s; waiting %(pending)s, sent %(sent)s, "
        "delivered %(delivered)s, read %(read)s, failed %(failed)s, skipped %(skipped)s.",
        id=_n(broadcast.id),
        status=_status_word(broadcast.status),
        **{name: _n(value) for name, value in tally.items()},
    )


def _status_word(status: str) -> str:
    words = {
        "draft": _("waiting for your YES"),
        "scheduled": _("scheduled"),
        "sending": _("being sent"),
        "completed": _("sent"),
        "cancelled": _("cancelled"),
    }
    return words.get(status, status)


def _n(number) -> str:
    """A number in the reply's script (Devanagari digits for Nepali)."""
    from flask_babel import get_locale

    return localize_digits(str(number), str(get_locale()))


def _help(command=None, *, teacher=None, school=None) -> str:
    return "\n".join(
        [
            _("Sandesh commands:"),
            _("Notice: %(example)s", example=EXAMPLES["notice"]),
            _("Several classes: 5A 5B: … · a whole grade: 5: … · everyone: ALL: …"),
            _("Homework: %(example)s", example=EXAMPLES["homework"]),
            _("Absent students: %(example)s", example=EXAMPLES["absence"]),
            _("Later: add @ 6:00, @ tomorrow 7am or @ 2082-08-15 10:00 (Nepal time)"),
            _("Both languages: English text || नेपाली पाठ"),
            _("Then YES to send or NO to discard · CANCEL 42 · STATUS 42"),
        ]
    )


def _explain(code: str, hint: str | None = None) -> str:
    reason, example = UNCLEAR.get(code, UNCLEAR["unknown_command"])
    if code == "no_colon" and not hint:
        reason = UNCLEAR["no_targets"][0]
    text = str(reason).replace("%(hint)s", hint or "")
    return "\n".join(
        [
            text,
            _("For example: %(example)s", example=EXAMPLES[example]),
            _("Send HELP to see every command."),
        ]
    )


def _unclear(command, *, teacher, school: School) -> str:
    return _explain(getattr(command, "reason_code", ""), getattr(command, "hint", None))


HANDLERS = {
    commands.Broadcast: _propose,
    commands.Confirm: _confirm,
    commands.Decline: _decline,
    commands.Cancel: _cancel,
    commands.Status: _status,
    commands.Help: _help,
}
