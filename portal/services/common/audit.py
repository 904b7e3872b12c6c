"""Audit log entries for every change an admin makes."""

from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import Actor, AuditLog

# Every action recorded, with how people read it. Record only actions listed here.
ACTIONS = {
    "school.create": _l("added the school"),
    "user.create": _l("added a portal user"),
    "user.password": _l("changed a portal user's password"),
    "user.deactivate": _l("deactivated a portal user"),
    "token.create": _l("created an API token"),
    "roster.import": _l("imported a roster file"),
    "class.create": _l("added a class"),
    "class.update": _l("changed a class"),
    "student.create": _l("added a student"),
    "student.update": _l("changed a student"),
    "student.deactivate": _l("deactivated a student"),
    "student.reactivate": _l("reactivated a student"),
    "guardian.create": _l("added a guardian"),
    "guardian.update": _l("changed a guardian"),
    "guardian.deactivate": _l("deactivated a guardian"),
    "guardian.reactivate": _l("reactivated a guardian"),
    "guardian.link": _l("linked a guardian to a student"),
    "guardian.unlink": _l("unlinked a guardian from a student"),
    "guardian.opt_out": _l("opted a guardian out at their request"),
    "teacher.create": _l("added a teacher"),
    "teacher.update": _l("changed a teacher"),
    "teacher.deactivate": _l("deactivated a teacher"),
    "teacher.reactivate": _l("reactivated a teacher"),
    "school.resume_sending": _l("resumed sending after a pause"),
    "settings.update": _l("changed the school's settings"),
    "whatsapp.update": _l("changed the WhatsApp number or access token"),
    "templates.update": _l("changed the WhatsApp templates"),
    "templates.sync": _l("submitted the WhatsApp templates to Meta"),
    "school.portfolio": _l("changed the school's business portfolio"),
    "school.check": _l("checked the school's WhatsApp setup with Meta"),
    "broadcast.create": _l("created a broadcast"),
    "broadcast.confirm": _l("confirmed a broadcast"),
    "broadcast.discard": _l("discarded a preview"),
    "broadcast.expire": _l("let a preview expire unanswered"),
    "broadcast.cancel": _l("cancelled a broadcast"),
    "inbox.handle": _l("marked a parent's reply as handled"),
    "alert.resolve": _l("marked an alert as dealt with"),
    "holiday.prefill": _l("filled in Nepal's public holidays"),
    "holiday.create": _l("added a day to the calendar"),
    "holiday.update": _l("changed a day in the calendar"),
    "holiday.delete": _l("removed a day from the calendar"),
    "holiday.import": _l("imported calendar days"),
    "schedule.create": _l("created a recurring broadcast"),
    "schedule.update": _l("changed a recurring broadcast"),
    "schedule.pause": _l("paused a recurring broadcast"),
    "schedule.resume": _l("resumed a recurring broadcast"),
    "schedule.stop": _l("stopped a recurring broadcast"),
}


def action_label(action: str):
    """The action as a sentence fragment in the reader's language."""
    return ACTIONS.get(action, action)


def record(
    *,
    school_id,
    action: str,
    user_id: int | None = None,
    teacher_id: int | None = None,
    api_token_id: int | None = None,
    actor: str | None = None,
    target=None,
    changes: dict | None = None,
):
    """Add an audit row with who made the change: a portal user, a teacher, an API token,
    or (none of those) the command line unless `actor` says Sandesh itself. The caller
    commits it with the change it describes."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditLog(
        school_id=school_id,
        actor=actor or _actor(user_id, teacher_id, api_token_id),
        user_id=user_id,
        teacher_id=teacher_id,
        api_token_id=api_token_id,
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=getattr(target, "id", None),
        changes=changes or {},
    )
    db.session.add(entry)
    return entry


def _actor(user_id, teacher_id, api_token_id) -> Actor:
    if user_id is not None:
        return Actor.USER
    if teacher_id is not None:
        return Actor.TEACHER
    return Actor.API if api_token_id is not None else Actor.CLI


def diff(obj, fields, new_values: dict) -> dict:
    """Set the given fields on obj and return {field: [old, new]} for those that changed."""
    changes = {}
    for field in fields:
        old, new = getattr(obj, field), new_values[field]
        if old != new:
            changes[field] = [_plain(old), _plain(new)]
            setattr(obj, field, new)
    return changes


def _plain(value):
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)
