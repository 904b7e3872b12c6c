"""A teacher's WhatsApp message turned into action: a draft to confirm with YES, YES / NO /
CANCEL / STATUS carried out, help; each answered in the teacher's language
(`teacher_replies` writes the words)."""

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.extensions import db
from portal.models import (
    AttendanceRecord,
    Broadcast,
    BroadcastStatus,
    InboundMessage,
    Kind,
    School,
    Source,
    Student,
)
from portal.services.broadcasting import broadcasts, delivery_counts, preview, targets
from portal.services.common import clock, dates
from portal.services.conversations import commands, teacher_replies, teacher_schedules
from portal.services.delivery import outbox, replies
from portal.services.schedules import schedules

DRAFT_LIFETIME = timedelta(hours=2)


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
        return teacher_replies.explain("unknown_target", exc.target)
    if not school.teachers_may_target_any:
        mine = {c.id for c in teacher.classes}
        others = [teacher_replies.class_name(c) for c in classes if c.id not in mine]
        if others:
            return _(
                "You can only send to your own classes. Not yours: %(classes)s.",
                classes=", ".join(others),
            )
    student_ids = None
    if command.kind == Kind.ABSENCE:
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
            source=Source.TEACHER,
            author_teacher_id=teacher.id,
        )
    except broadcasts.BroadcastError as exc:
        return "\n".join(
            [str(exc), _("For example: %(example)s", example=teacher_replies.EXAMPLES["notice"])]
        )
    if school.require_confirmation:
        broadcast.status = BroadcastStatus.DRAFT
        return teacher_replies.preview_text(broadcast, preview.preview(broadcast, school=school))
    _go(broadcast, teacher)
    return teacher_replies.scheduled_text(broadcast)


def _absent_students(classes, rolls) -> tuple[list[int] | None, str | None]:
    if len(classes) != 1:
        return None, _(
            "Send absences for one class at a time, for example: %(example)s",
            example=teacher_replies.EXAMPLES["absence"],
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
            cls=teacher_replies.class_name(classes[0]),
            rolls=", ".join(teacher_replies.n(roll) for roll in missing),
        )
    return [found[r] for r in rolls], None


def _go(broadcast: Broadcast, teacher) -> None:
    """Schedule it (for now or its time) once committed; absences are recorded."""
    broadcast.status = BroadcastStatus.SCHEDULED
    if broadcast.kind == Kind.ABSENCE:
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


def _latest_draft(teacher) -> Broadcast | None:
    return db.session.scalar(
        sa.select(Broadcast)
        .where(
            Broadcast.author_teacher_id == teacher.id,
            Broadcast.status == BroadcastStatus.DRAFT,
            Broadcast.created_at > clock.now() - DRAFT_LIFETIME,
        )
        .order_by(Broadcast.id.desc())
        .limit(1)
    )


def _schedule_draft(teacher, draft: Broadcast | None):
    """The teacher's draft schedule when it is newer than their draft broadcast."""
    since = clock.now() - DRAFT_LIFETIME
    schedule = schedules.latest_draft(teacher_id=teacher.id, since=since)
    if schedule is None or (draft is not None and draft.created_at > schedule.created_at):
        return None
    return schedule


def _confirm(command, *, teacher, school: School) -> str:
    draft = _latest_draft(teacher)
    if (schedule := _schedule_draft(teacher, draft)) is not None:
        return teacher_schedules.confirm(schedule)
    if draft is None:
        return _(
            "There is nothing waiting for your YES. Send a message first, for example: %(example)s",
            example=teacher_replies.EXAMPLES["notice"],
        )
    if draft.scheduled_at < clock.now():
        draft.scheduled_at = broadcasts.after_quiet_hours(school, clock.now(), draft.kind)
    _go(draft, teacher)
    return teacher_replies.scheduled_text(draft)


def _decline(command, *, teacher, school: School) -> str:
    draft = _latest_draft(teacher)
    if (schedule := _schedule_draft(teacher, draft)) is not None:
        return teacher_schedules.decline(schedule)
    if draft is None:
        return _("There is nothing to discard.")
    draft.status, draft.cancelled_at = BroadcastStatus.CANCELLED, clock.now()
    return _("Discarded #%(id)s. Nothing was sent.", id=teacher_replies.n(draft.id))


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
        return _("You have no message #%(id)s.", id=teacher_replies.n(command.broadcast_id))
    if broadcasts.cancel(broadcast):
        tally = delivery_counts.of_broadcast(broadcast.id)
        return _(
            "Cancelled #%(id)s. Already sent: %(sent)s; not sent: %(skipped)s.",
            id=teacher_replies.n(broadcast.id),
            sent=teacher_replies.n(tally["sent"] + tally["delivered"] + tally["read"]),
            skipped=teacher_replies.n(tally["skipped"]),
        )
    return _(
        "#%(id)s can no longer be cancelled: it is %(status)s.",
        id=teacher_replies.n(broadcast.id),
        status=teacher_replies.status_word(broadcast.status),
    )


def _status(command, *, teacher, school: School) -> str:
    broadcast = _own_broadcast(teacher, command.broadcast_id)
    if broadcast is None:
        return _("You have no message #%(id)s.", id=teacher_replies.n(command.broadcast_id))
    return teacher_replies.status_text(broadcast, delivery_counts.of_broadcast(broadcast.id))


def _help(command, *, teacher, school: School) -> str:
    return teacher_replies.help_text()


def _unclear(command, *, teacher, school: School) -> str:
    return teacher_replies.explain(
        getattr(command, "reason_code", ""), getattr(command, "hint", None)
    )


HANDLERS = {
    commands.Broadcast: _propose,
    commands.Recurring: teacher_schedules.propose,
    commands.Confirm: _confirm,
    commands.Decline: _decline,
    commands.Cancel: _cancel,
    commands.Status: _status,
    commands.Help: _help,
}
