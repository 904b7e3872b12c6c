"""Inbound messages given meaning: by the school's number and the sender, each message is acted
on exactly once — a teacher's command, a parent's keyword or reply, or a stranger's hello."""

import re

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.extensions import db
from portal.models import InboundMessage, School
from portal.services.common import clock
from portal.services.conversations import (
    identities,
    parent_keywords,
    senders,
    teacher_commands,
    teacher_media,
)
from portal.services.delivery import outbox, replies
from portal.whatsapp.outgoing import BSUID

# A sender Sandesh can answer: an E.164 number's digits (at most 15), as Meta writes `from`.
WA_ID = re.compile(r"^\+?\d{5,15}$")


def claim(message_id: int) -> bool:
    """Take a stored message to act on; only the first caller ever gets it."""
    result = db.session.execute(
        sa.update(InboundMessage)
        .where(InboundMessage.id == message_id, InboundMessage.processed_at.is_(None))
        .values(processed_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def act(message: InboundMessage) -> str:
    """Route a claimed message; what it turned out to be."""
    school = db.session.get(School, message.school_id) if message.school_id else None
    if school is None or not _nameable(message):
        message.route = "unknown"
        return "ignored"  # not one of our numbers, or nobody Sandesh can answer
    if message.type == "system":
        return identities.apply_system(message)
    phone = "+" + message.sender.lstrip("+") if message.sender else None
    sender = senders.identify(school_id=school.id, phone=phone, user_id=message.user_id)
    if phone:
        identities.remember(sender, message.user_id)
    if sender.teacher is not None:
        message.route, message.teacher_id = "teacher", sender.teacher.id
        handled = teacher_media.act(message=message, teacher=sender.teacher, school=school)
        if handled is not None:
            return handled
        return teacher_commands.act(message=message, teacher=sender.teacher, school=school)
    if sender.guardian is not None and sender.guardian.active:
        message.route, message.guardian_id = "guardian", sender.guardian.id
        if message.type in teacher_media.MEDIA and message.media_ref:
            outbox.download_after_commit(message.id)  # a signed slip, a photo: for the inbox
        return parent_keywords.act(message=message, guardian=sender.guardian, school=school)
    message.route = "unknown"
    return _greet_stranger(message, school, phone)


def _nameable(message: InboundMessage) -> bool:
    """A sender Sandesh can answer: a number as Meta writes `from`, or (someone with a
    username, without one) a business-scoped user id."""
    if message.sender:
        return bool(WA_ID.match(message.sender))
    return bool(BSUID.match(message.user_id or ""))


def _greet_stranger(message: InboundMessage, school: School, phone: str | None) -> str:
    """One polite reply in both languages, at most once a day per number (or, for someone
    known only by it, per business-scoped user id)."""
    to = {"to_phone": phone, "to_user_id": None if phone else message.user_id}
    if not replies.courtesy_due(school_id=school.id, purpose="unknown_sender", **to):
        return "unknown"
    parts = []
    for lang in ("ne", "en"):
        with force_locale(lang):
            parts.append(
                _(
                    "This number is not registered with %(school)s. Please ask the school office "
                    "to add your WhatsApp number to your child's record.",
                    school=school.display_name(lang),
                )
            )
    replies.queue_reply(
        school_id=school.id,
        body="\n\n".join(parts),
        purpose="unknown_sender",
        inbound_message_id=message.id,
        **to,
    )
    return "unknown"
