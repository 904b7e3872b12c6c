"""A teacher's WhatsApp message turned into action: a draft to confirm with YES, YES / NO /
CANCEL / STATUS carried out, help; each answered in the teacher's language
(`teacher_replies` writes the words)."""

import re

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.extensions import db
from portal.models import (
    Broadcast,
    BroadcastStatus,
    InboundMessage,
    Kind,
    MediaFile,
    ScheduleStatus,
    School,
    Source,
    Student,
    Teacher,
)
from portal.services.attendance import streaks
from portal.services.broadcasting import broadcasts, delivery_counts, preview, targets
from portal.services.common import audit, clock
from portal.services.conversations import (
    commands,
    teacher_drafts,
    teacher_previews,
    teacher_replies,
    teacher_schedules,
)
from portal.services.delivery import acknowledgements, outbox, replies
from portal.services.roster import attendance
from portal.services.schedules import schedules

# A tap on a preview's YES or NO button: the preview's number is in the button's id.
TAPPED = re.compile(r"^(yes|no):(\d+)$")


def act(*, message: InboundMessage, teacher, school: School) -> str:
    """Do what the teacher asked (typed, or tapped on a preview's button) and queue the
    reply; what the command was. A Seen tap (on a staff alert's template) is answered with
    nothing."""
    if acknowledgements.is_seen(message):
        return "seen"
    command = _read(message)
    handler = HANDLERS.get(type(command), _unclear)
    with force_locale(teacher.language):
        reply = handler(command, teacher=teacher, school=school)
    send_reply(reply, teacher=teacher, school=school, message_id=message.id)
    return type(command).__name__.lower()


def send_reply(reply, *, teacher, school: School, message_id: int | None) -> None:
    """Queue an answer to a teacher: plain text, or a preview with its YES/NO buttons (and,
    when it is too long for them, what parents will see first)."""
    if isinstance(reply, str):
        reply = teacher_previews.Reply(reply)
    for body, buttons in ((reply.first, None), (reply.text, reply.buttons)):
        if body:
            replies.queue_reply(
                school_id=school.id,
                to_phone=teacher.phone,
                body=body,
                buttons=buttons,
                purpose="teacher_reply",
                inbound_message_id=message_id,
                language=teacher.language,
            )


def _read(message: InboundMessage):
    """A button tap is the same as typing YES 6 or NO 6 for that preview; else the text."""
    tapped = TAPPED.match(message.button_id or "")
    if tapped:
        answer = commands.Confirm if tapped[1] == "yes" else commands.Decline
        return answer(broadcast_id=int(tapped[2]))
    return commands.parse(message.text or "", now=clock.now())


def propose(command, *, teacher, school: School, media_file_id: int | None = None) -> str:
    """A notice command made into a draft (or sent, without confirmation): the reply."""
    return _propose(command, teacher=teacher, school=school, media_file_id=media_file_id)


def _propose(command, *, teacher, school: School, media_file_id: int | None = None) -> str:
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
    student_ids, notes = None, []
    if command.kind == Kind.ABSENCE:
        student_ids, notes, problem = _absent_students(classes, command.rolls)
        if problem:
            return problem
    try:
        broadcast = _create(command, school, teacher, student_ids, media_file_id)
    except broadcasts.BroadcastError as exc:
        return "\n".join(
            [str(exc), _("For example: %(example)s", example=teacher_replies.EXAMPLES["notice"])]
        )
    if media_file_id is not None:
        notes = [teacher_replies.attachment_line(db.session.get(MediaFile, media_file_id))]
    if school.require_confirmation:
        broadcast.status = BroadcastStatus.DRAFT
        shown = preview.preview(broadcast, school=school)
        return teacher_previews.preview_reply(broadcast, shown, notes=notes)
    return "\n".join([*notes, _go(broadcast, teacher)])


def _create(command, school: School, teacher, student_ids, media_file_id) -> Broadcast:
    """The broadcast a command asks for (raises BroadcastError)."""
    return broadcasts.create_broadcast(
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
        media_file_id=media_file_id,
    )


def _absent_students(classes, rolls) -> tuple[list[int] | None, list[str], str | None]:
    """(students to message, notes for the preview, or the problem that stops it)."""
    if len(classes) != 1:
        problem = _(
            "Send absences for one class at a time, for example: %(example)s",
            example=teacher_replies.EXAMPLES["absence"],
        )
        return None, [], problem
    found = dict(
        db.session.execute(
            sa.select(Student.roll, Student.id).where(
                Student.class_id == classes[0].id, Student.roll.in_(rolls), Student.active
            )
        ).all()
    )
    missing = [r for r in rolls if r not in found]
    if missing:
        return None, [], teacher_replies.no_such_rolls(classes[0], missing)
    marked = attendance.already_absent([found[r] for r in rolls], day=attendance.today())
    notes = [teacher_replies.already_absent_text(marked)] if marked else []
    left = [found[r] for r in rolls if found[r] not in {s.id for s in marked}]
    return left, notes, None if left else "\n".join(notes)


def _go(broadcast: Broadcast, teacher) -> str:
    """Schedule it (now or at its time) once committed, recording absences; the reply. A
    student marked absent meanwhile (another list) is not messaged twice."""
    broadcast.status = BroadcastStatus.SCHEDULED
    if broadcast.kind == Kind.ABSENCE:
        newly = attendance.mark_absent(
            school_id=broadcast.school_id,
            student_ids=broadcast.student_ids or [],
            day=attendance.today(),
            teacher_id=teacher.id,
            broadcast_id=broadcast.id,
        )
        if not newly:
            broadcast.status, broadcast.cancelled_at = BroadcastStatus.CANCELLED, clock.now()
            return teacher_replies.nobody_new_text(broadcast)
        broadcast.student_ids = newly
        streaks.escalate(school=broadcast.school, student_ids=newly, day=attendance.today())
    outbox.start_after_commit(broadcast)
    return teacher_replies.scheduled_text(broadcast)


def _answered(command, teacher) -> tuple[Broadcast | None, str | None]:
    """The draft a YES or NO is about, or the reply when there is none to act on."""
    if command.broadcast_id is not None:
        draft = teacher_drafts.own(teacher, command.broadcast_id)
        if draft is None:
            return None, teacher_replies.no_such_message(command.broadcast_id)
        if draft.status != BroadcastStatus.DRAFT or teacher_drafts.is_stale(draft):
            return None, teacher_replies.not_waiting_text(draft)
        return draft, None
    drafts = teacher_drafts.waiting(teacher)
    if len(drafts) > 1:
        return None, teacher_replies.which_one_text(drafts, type(command) is commands.Confirm)
    if not drafts:
        return None, teacher_replies.nothing_waiting_text(type(command) is commands.Confirm)
    return drafts[0], None


def _schedule_draft(command, teacher):
    """The teacher's draft schedule, when a plain YES or NO comes and it is newer than every
    draft broadcast (a numbered YES is always for a broadcast)."""
    if command.broadcast_id is not None:
        return None
    since = clock.now() - teacher_drafts.DRAFT_LIFETIME
    schedule = schedules.latest_draft(teacher_id=teacher.id, since=since)
    drafts = teacher_drafts.waiting(teacher)
    if schedule is None or (drafts and drafts[0].created_at > schedule.created_at):
        return None
    return schedule


def _confirm(command, *, teacher, school: School) -> str:
    if (schedule := _schedule_draft(command, teacher)) is not None:
        return teacher_schedules.confirm(schedule)
    draft, reply = _answered(command, teacher)
    if draft is None:
        return reply
    if not teacher_drafts.take(draft, to=BroadcastStatus.SCHEDULED):
        return teacher_replies.not_waiting_text(draft)
    if draft.scheduled_at < clock.now():
        draft.scheduled_at = broadcasts.after_quiet_hours(school, clock.now(), draft.kind)
    reply = _go(draft, teacher)
    audit.record(
        school_id=school.id, teacher_id=teacher.id, action="broadcast.confirm", target=draft
    )
    return reply


def _decline(command, *, teacher, school: School) -> str:
    if (schedule := _schedule_draft(command, teacher)) is not None:
        return teacher_schedules.decline(schedule)
    draft, reply = _answered(command, teacher)
    if draft is None:
        return reply
    if not teacher_drafts.take(draft, to=BroadcastStatus.CANCELLED):
        return teacher_replies.not_waiting_text(draft)
    audit.record(
        school_id=school.id, teacher_id=teacher.id, action="broadcast.discard", target=draft
    )
    return _("Discarded #%(id)s. Nothing was sent.", id=teacher_replies.n(draft.id))


def expire_drafts() -> int:
    """Drafts (and draft schedules) older than a day are discarded, and their teachers
    told; how many."""
    expired = 0
    for draft in teacher_drafts.stale():
        if not teacher_drafts.take(draft, to=BroadcastStatus.CANCELLED):
            continue
        _tell(draft.author_teacher, teacher_replies.expired_text, draft)
        audit.record(
            school_id=draft.school_id, actor="system", action="broadcast.expire", target=draft
        )
        expired += 1
    since = clock.now() - teacher_drafts.DRAFT_LIFETIME
    for schedule in schedules.stale_drafts(older_than=since):
        if schedules.take_draft(schedule, to=ScheduleStatus.STOPPED):
            _tell(
                db.session.get(Teacher, schedule.author_teacher_id),
                teacher_schedules.expired_text,
                schedule,
            )
            expired += 1
    return expired


def _tell(teacher, text, subject) -> None:
    """A message to a teacher, in their language."""
    with force_locale(teacher.language):
        body = text(subject)
    replies.queue_reply(
        school_id=teacher.school_id,
        to_phone=teacher.phone,
        body=body,
        purpose="teacher_reply",
        language=teacher.language,
    )


def _cancel(command, *, teacher, school: School) -> str:
    broadcast = teacher_drafts.own(teacher, command.broadcast_id)
    if broadcast is None:
        return teacher_replies.no_such_message(command.broadcast_id)
    if broadcasts.cancel(broadcast):
        audit.record(
            school_id=school.id, teacher_id=teacher.id, action="broadcast.cancel", target=broadcast
        )
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
    broadcast = teacher_drafts.own(teacher, command.broadcast_id)
    if broadcast is None:
        return teacher_replies.no_such_message(command.broadcast_id)
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
