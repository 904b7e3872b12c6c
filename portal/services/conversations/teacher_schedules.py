"""A teacher's recurring command (`EVERY DAY 6am 5A: …`) turned into a schedule: checked
like a broadcast, previewed with its next occurrences, started on YES; each reply in the
teacher's language (the caller forces it)."""

from flask_babel import gettext as _

from portal.models import ScheduleStatus, School, Source
from portal.services.broadcasting import broadcasts, preview, targets
from portal.services.common import dates
from portal.services.conversations import teacher_previews, teacher_replies
from portal.services.schedules import describe, schedules
from portal.services.wording.parent_messages import KIND_LABELS


def propose(command, *, teacher, school: School) -> str:
    """A draft schedule (or a started one, where the school asks no YES) and its preview."""
    wanted = command.broadcast
    refusal = _not_allowed(wanted.targets, teacher=teacher, school=school)
    if refusal:
        return refusal
    rule = {
        "every": command.every,
        "at": command.at,
        "weekdays": list(command.weekdays),
        "bs_day": command.bs_day,
        "on_holiday": "skip",
        "starts_on": None,
        "ends_on": None,
    }
    texts = {"kind": wanted.kind, "targets": wanted.targets, "subject": wanted.subject}
    texts |= {"body_en": wanted.body_en, "body_ne": wanted.body_ne}
    status = ScheduleStatus.DRAFT if school.require_confirmation else ScheduleStatus.ACTIVE
    try:
        schedule = schedules.create_schedule(
            school=school,
            source=Source.TEACHER,
            rule=rule,
            texts=texts,
            author_teacher_id=teacher.id,
            status=status,
        )
    except broadcasts.BroadcastError as exc:
        example = teacher_replies.EXAMPLES["recurring"]
        return "\n".join([str(exc), _("For example: %(example)s", example=example)])
    if status == ScheduleStatus.ACTIVE:
        return started_text(schedule)
    return preview_text(schedule, school=school)


def _not_allowed(wanted: list[str], *, teacher, school: School) -> str | None:
    try:
        classes = targets.resolve_classes(school_id=school.id, targets=wanted)
    except targets.UnknownTarget as exc:
        return teacher_replies.explain("unknown_target", exc.target)
    if school.teachers_may_target_any:
        return None
    mine = {c.id for c in teacher.classes}
    others = [teacher_replies.class_name(c) for c in classes if c.id not in mine]
    if not others:
        return None
    return _(
        "You can only send to your own classes. Not yours: %(classes)s.",
        classes=", ".join(others),
    )


def preview_text(schedule, *, school: School) -> str:
    """What the teacher confirms: the repeat, parents reached, the next five, the text."""
    n, locale = teacher_replies.n, teacher_replies.locale()
    upcoming, skipped = schedules.next_occurrences(schedule)
    sample = schedules.sample_broadcast(schedule, upcoming[0] if upcoming else None)
    shown = preview.preview(sample, school=school)
    lines = [
        _(
            "Preview — recurring %(kind)s to %(classes)s",
            kind=KIND_LABELS[schedule.kind],
            classes=", ".join(schedule.targets),
        ),
        _("When: %(rule)s (Nepal time)", rule=describe.describe_schedule(schedule)),
        _("Parents: %(count)s", count=n(shown.receiving)),
        *teacher_previews.waiting_lines(shown),
        _("Next:"),
        *(f"• {occurrence_text(o, locale)}" for o in upcoming),
        *(skipped_text(s, locale) for s in skipped),
        "",
        _("Parents will see:"),
        shown.texts[locale],
        "",
        _("Reply YES to start it or NO to discard."),
    ]
    return "\n".join(lines)


def occurrence_text(occurrence, locale: str) -> str:
    """`२०८२ मंसिर ९ · २५ नोभे २०२५, ०६:००`, and why it moved if it did."""
    text = dates.format_dual_datetime(occurrence.at, locale)
    if occurrence.holiday is None:
        return text
    return _(
        "%(when)s (moved: %(day)s is %(holiday)s)",
        when=text,
        day=dates.format_bs(occurrence.on, locale),
        holiday=occurrence.holiday.label(locale),
    )


def skipped_text(skipped, locale: str) -> str:
    return _(
        "Skipped: %(day)s (%(holiday)s)",
        day=dates.format_dual_date(skipped.on, locale),
        holiday=skipped.holiday.label(locale),
    )


def confirm(schedule) -> str:
    """YES to a draft schedule: it starts from its next occurrence after now (once, however
    often the YES comes)."""
    if not schedules.take_draft(schedule, to=ScheduleStatus.ACTIVE):
        return not_waiting_text(schedule)
    schedules.activate(schedule)
    schedules.record_created(schedule)
    return started_text(schedule)


def not_waiting_text(schedule) -> str:
    if schedule.status == ScheduleStatus.STOPPED:
        return _("That recurring broadcast was discarded or stopped. Nothing will be sent.")
    return _(
        "Recurring broadcast %(id)s is already on. Pause or stop it in the portal "
        "(Recurring broadcasts).",
        id=teacher_replies.n(schedule.id),
    )


def expired_text(schedule) -> str:
    return _(
        "The recurring broadcast you previewed (%(rule)s) waited more than a day and has "
        "expired. Nothing will be sent; send it again if it is still needed.",
        rule=describe.describe_schedule(schedule),
    )


def started_text(schedule) -> str:
    n = teacher_replies.n
    if schedule.next_at is None:
        return _("Recurring broadcast %(id)s has no school day left to go on.", id=n(schedule.id))
    return _(
        "Recurring broadcast %(id)s is on: %(rule)s. First: %(when)s. "
        "Pause or stop it in the portal (Recurring broadcasts).",
        id=n(schedule.id),
        rule=describe.describe_schedule(schedule),
        when=dates.format_dual_datetime(schedule.next_at, teacher_replies.locale()),
    )


def decline(schedule) -> str:
    if not schedules.take_draft(schedule, to=ScheduleStatus.STOPPED):
        return not_waiting_text(schedule)
    return _("Discarded the recurring broadcast. Nothing will be sent.")
