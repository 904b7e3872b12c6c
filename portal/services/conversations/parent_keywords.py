"""What parents can do by replying: STOP, START, choose Nepali or English. Anything else is a
reply for the school's inbox, acknowledged at most once a day; a sentence that asks to stop
("stop please", "मलाई सन्देश नपठाउनुहोस्") never opts anyone out by itself, but is answered
with how to stop and flagged in the inbox for the office.

Keywords take effect in the order the parent sent them (the message's timestamp), whatever
order Meta delivers them in: each is a conditional update that applies only when it is newer
than the last one applied, so a late older START cannot undo a newer STOP."""

import re
import unicodedata
from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.extensions import db
from portal.models import Delivery, Guardian, InboundMessage, School
from portal.services.delivery import acknowledgements, parts, replies
from portal.services.reports import subscriptions

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
    "more": "more",
    "थप": "more",
    "बाँकी": "more",
}
# Words and phrases that make a longer message sound like a request to stop the messages.
STOP_HINTS = (
    "stop", "unsubscribe", "opt out", "optout", "remove me", "no more message",
    "don't send", "dont send", "do not send", "बन्द", "बंद", "नपठाउ", "नपठाई", "रोक",
    "नचाहि", "napathau", "band garnu", "band gara",
)  # fmt: skip


def keyword(text: str | None) -> str | None:
    """The command a message is, if it is only a keyword (case, spacing and a full stop
    ignored); a longer message that merely contains one is a reply, not a command."""
    if not text:
        return None
    cleaned = unicodedata.normalize("NFC", text).strip().casefold()
    cleaned = re.sub(r"[\s.!।,]+$", "", cleaned)
    cleaned = re.sub(r"\s+", " ", cleaned)
    return KEYWORDS.get(cleaned)


def sounds_like_stop(text: str | None) -> bool:
    """Whether a message that is not the bare keyword still asks for the messages to stop."""
    folded = unicodedata.normalize("NFC", text or "").casefold().replace("’", "'")
    return keyword(text) is None and any(hint in folded for hint in STOP_HINTS)


def act(*, message: InboundMessage, guardian: Guardian, school: School) -> str:
    """Apply a parent's message; what it was (seen, stop, start, ne, en, more, stop_hint or
    reply). Whatever it says, it opens the parent's window: the rest of a long notice sent in
    the cheaper form goes now."""
    command, at = keyword(message.text), message.sent_at
    released = parts.release_on_reply(school_id=school.id, to_phone=guardian.phone)
    if acknowledgements.is_seen(message):  # counted once; no reply, not for the inbox
        acknowledgements.acknowledge(message, guardian_id=guardian.id)
        return "seen"
    if command == "more" and released:
        return command
    if command in ("stop", "start"):
        answered = _answered_broadcast(message.context_wamid)
        if _set_subscription(guardian, stopped=command == "stop", at=at, answered=answered):
            _confirm(guardian, school, message, _stop_text if command == "stop" else _start_text)
        return command
    if command in ("ne", "en"):
        if _set_language(guardian, command, at=at):
            _confirm(guardian, school, message, _language_text)
        return command
    _to_inbox(message, guardian, school)
    return "stop_hint" if sounds_like_stop(message.text) else "reply"


def _set_subscription(
    guardian: Guardian, *, stopped: bool, at: datetime, by_office=False, answered=None
) -> bool:
    """STOP or START as of `at`, unless a newer one was applied already; whether it was. A
    change is kept for the reports, with the broadcast it answered."""
    # Meta's timestamps are whole seconds: two in the same second go in arrival order.
    newer = sa.or_(
        Guardian.subscription_changed_at.is_(None), Guardian.subscription_changed_at <= at
    )
    values = {"opted_out_at": at if stopped else None, "subscription_changed_at": at}
    was_out = guardian.opted_out_at is not None
    if not _update_if(guardian, newer, values):
        return False
    if stopped != was_out:  # a change, not a STOP repeated (or a START when already in)
        subscriptions.record(
            guardian=guardian, stopped=stopped, at=at, by_office=by_office, answered=answered
        )
    return True


def _set_language(guardian: Guardian, language: str, *, at: datetime) -> bool:
    newer = sa.or_(Guardian.language_chosen_at.is_(None), Guardian.language_chosen_at <= at)
    return _update_if(guardian, newer, {"language": language, "language_chosen_at": at})


def _update_if(guardian: Guardian, condition, values: dict) -> bool:
    result = db.session.execute(
        sa.update(Guardian)
        .where(Guardian.id == guardian.id, condition)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(guardian)
    return result.rowcount == 1


def opt_out(*, guardian: Guardian, at: datetime) -> bool:
    """The office opts a guardian out (they asked in a sentence); False if already out."""
    if guardian.opted_out_at is not None:
        return False
    return _set_subscription(guardian, stopped=True, at=at, by_office=True)


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
    """Keep a reply for the office; thank the parent (once a day), or, when it asks to stop,
    say how (once a day)."""
    message.in_inbox = True
    message.broadcast_id = _answered_broadcast(message.context_wamid)
    purpose, text = "reply_ack", _thanks_text
    if sounds_like_stop(message.text) and guardian.opted_out_at is None:
        purpose, text = "stop_hint", _how_to_stop_text
    if replies.courtesy_due(school_id=school.id, to_phone=guardian.phone, purpose=purpose):
        _confirm(guardian, school, message, text, purpose=purpose)


def _thanks_text(school_name: str) -> str:
    return _(
        "Thank you. %(school)s has received your message and will reply if needed.",
        school=school_name,
    )


def _how_to_stop_text(school_name: str) -> str:
    return _(
        "To stop messages from %(school)s, reply with just the word STOP (or बन्द). "
        "The school has also received your message.",
        school=school_name,
    )


def _answered_broadcast(context_wamid: str | None) -> int | None:
    """The broadcast a reply answers, when WhatsApp says which message it replies to."""
    if not context_wamid:
        return None
    return db.session.scalar(
        sa.select(Delivery.broadcast_id).where(Delivery.wamid == context_wamid)
    )
