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
    parent_keywords,
    senders,
    teacher_commands,
    teacher_media,
)
from portal.services.delivery import outbox, replies

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
    if school is None or not WA_ID.match(message.sender or ""):
        message.route = "unknown"
        return "ignored"  # not one of our numbers, a user known only by an id, or no phone
    phone = "+" + message.sender.lstrip("+")
    sender = senders.identify(school_id=school.id, phone=phone)
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


def _greet_stranger(message: InboundMessage, school: School, phone: str) -> str:
    """One polite reply in both languages, at most once a day per number."""
    if not replies.courtesy_due(school_id=school.id, to_phone=phone, purpose="unknown_sender"):
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
        to_phone=phone,
        body="\n\n".join(parts),
        purpose="unknown_sender",
        inbound_message_id=message.id,
    )
    return "unknown"
