"""What parents can do by replying: STOP, START, choose Nepali or English. Anything else is a
reply for the school's inbox, acknowledged at most once a day."""

import re
import unicodedata

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.extensions import db
from portal.models import Delivery, Guardian, InboundMessage, School
from portal.services.common import clock
from portal.services.delivery import replies

KEYWORDS = {
    "stop": "stop",
    "unsubscribe": "stop",
    "बन्द": "stop",
    "बंद": "stop",
    "start": "start",
    "subscribe": "start",
    "सुरु": "start",
    "शुरु": "start",
    "सुरू": "start",
    "nepali": "ne",
    "नेपाली": "ne",
    "english": "en",
    "अंग्रेजी": "en",
    "अङ्ग्रेजी": "en",
    "अंग्रेज़ी": "en",
}


def keyword(text: str | None) -> str | None:
    """The command a message is, if it is only a keyword (case, spacing and a full stop
    ignored); a longer message that merely contains one is a reply, not a command."""
    if not text:
        return None
    cleaned = unicodedata.normalize("NFC", text).strip().casefold()
    cleaned = re.sub(r"[\s.!।,]+$", "", cleaned)
    cleaned = re.sub(r"\s+", " ", cleaned)
    return KEYWORDS.get(cleaned)


def act(*, message: InboundMessage, guardian: Guardian, school: School) -> str:
    """Apply a parent's message; what it was (stop, start, ne, en or reply)."""
    command = keyword(message.text)
    if command == "stop":
        guardian.opted_out_at = guardian.opted_out_at or clock.now()
        _confirm(guardian, school, message, _stop_text)
    elif command == "start":
        guardian.opted_out_at = None
        _confirm(guardian, school, message, _start_text)
    elif command in ("ne", "en"):
        guardian.language, guardian.language_chosen_at = command, clock.now()
        _confirm(guardian, school, message, _language_text)
    else:
        _to_inbox(message, guardian, school)
        return "reply"
    return command


def _confirm(guardian, school, message, text_for, *, purpose="parent_command") -> None:
    """Answer the parent in their language (Nepali for `both`)."""
    lang = "en" if guardian.language == "en" else "ne"
    with force_locale(lang):
        body = text_for(school.display_name(lang))
    replies.queue_reply(
        school_id=school.id,
        to_phone=guardian.phone,
        body=body,
        purpose=purpose,
        inbound_message_id=message.id,
        guardian_id=guardian.id,
        language=lang,
    )


def _stop_text(school_name: str) -> str:
    return _(
        "You will no longer receive messages from %(school)s on WhatsApp. "
        "Reply START to receive them again.",
        school=school_name,
    )


def _start_text(school_name: str) -> str:
    return _(
        "You will receive messages from %(school)s on WhatsApp again. Reply STOP to stop them.",
        school=school_name,
    )


def _language_text(school_name: str) -> str:
    return _(
        "Messages from %(school)s will now come in this language. "
        "Reply NEPALI or ENGLISH to change it.",
        school=school_name,
    )


def _to_inbox(message: InboundMessage, guardian: Guardian, school: School) -> None:
    message.in_inbox = True
    message.broadcast_id = _answered_broadcast(message.context_wamid)
    if replies.courtesy_due(school_id=school.id, to_phone=guardian.phone, purpose="reply_ack"):
        _confirm(guardian, school, message, _thanks_text, purpose="reply_ack")


def _thanks_text(school_name: str) -> str:
    return _(
        "Thank you. %(school)s has received your message and will reply if needed.",
        school=school_name,
    )


def _answered_broadcast(context_wamid: str | None) -> int | None:
    """The broadcast a reply answers, when WhatsApp says which message it replies to."""
    if not context_wamid:
        return None
    return db.session.scalar(
        sa.select(Delivery.broadcast_id).where(Delivery.wamid == context_wamid)
    )
