"""A person's identifiers as Meta sends them: the business-scoped user id kept beside the
number the first time both come, and a new number or a new user id (system messages) moved
onto the same teacher or guardian, never a second record for the same person."""

import logging

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Guardian, InboundMessage, Teacher
from portal.services.conversations import senders

log = logging.getLogger(__name__)


def remember(sender: senders.Sender, user_id: str | None) -> None:
    """Keep the user id Meta sent with a known number on the person it belongs to."""
    record = sender.record
    if record is None or not user_id or record.user_id == user_id:
        return
    _take(type(record), record, user_id)


def _take(model, record, user_id: str) -> None:
    """Give `user_id` to `record`, taking it from a stale holder of it first (ids are unique
    per school, and the number is what identifies a person)."""
    db.session.execute(
        sa.update(model)
        .where(model.school_id == record.school_id, model.user_id == user_id, model.id != record.id)
        .values(user_id=None)
        .execution_options(synchronize_session=False)
    )
    record.user_id = user_id


def apply_system(message: InboundMessage) -> str:
    """A user's new number or new user id, onto the teacher and guardian who had the old."""
    change = message.system or {}
    old_phone = "+" + message.sender.lstrip("+") if message.sender else None
    previous = change.get("previous_user_id") or message.user_id
    moved = 0
    for model in (Teacher, Guardian):
        record = senders.find(model, message.school_id, old_phone, previous)
        if record is None:
            continue
        if change.get("kind") == "user_changed_number" and change.get("new_wa_id"):
            moved += _renumber(model, record, "+" + change["new_wa_id"].lstrip("+"))
        if change.get("new_user_id"):
            _take(model, record, change["new_user_id"])
            moved += 1
    message.route = "system"
    return "identity" if moved else "ignored"


def _renumber(model, record, phone: str) -> int:
    taken = sa.select(model.id).where(
        model.school_id == record.school_id, model.phone == phone, model.id != record.id
    )
    if db.session.scalar(taken) is not None:
        log.warning(
            "%s %s changed number to one another record has; kept", model.__name__, record.id
        )
        return 0
    record.phone = phone
    if isinstance(record, Guardian):
        record.wa_id = phone.lstrip("+")
    return 1
