"""A parent's Seen: a tap on the button under a notice (a reply button inside the 24-hour
window, a template's quick reply outside it) marks that delivery acknowledged, once however
often it is tapped or its webhook redelivered. A long notice's parts all name its first
part, the one counted; a digest's Seen marks every message it carried. The tap is answered
with nothing: a reply would cost money and open nothing."""

import re

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from portal.extensions import db
from portal.models import Delivery
from portal.services.common import clock
from portal.services.wording.template_texts import SEEN_LABELS
from portal.whatsapp.outgoing import MAX_INTERACTIVE_BODY

PAYLOAD = re.compile(r"^seen:(\d+)$")
LABELS = frozenset(SEEN_LABELS.values())


def seen_button(delivery_id: int, language: str) -> dict:
    """The reply button a notice inside the window carries."""
    return {"id": f"seen:{delivery_id}", "title": SEEN_LABELS["en" if language == "en" else "ne"]}


def seen_on_last_part(first_id: int, language: str) -> int:
    """A long text's last part, written down, carries the Seen button (if it fits one
    interactive message), naming the first part."""
    result = db.session.execute(
        sa.update(Delivery)
        .where(
            Delivery.first_id == first_id,
            Delivery.part == Delivery.parts,
            Delivery.sent_as == "text",
            sa.func.length(Delivery.body) <= MAX_INTERACTIVE_BODY,
        )
        .values(buttons=[seen_button(first_id, language)])
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def is_seen(message) -> bool:
    """Whether a parent's message is a Seen tap: Sandesh's payload, or (a template made by
    hand, whose quick reply comes back with its label as the payload) the label itself."""
    if message.type not in ("button", "interactive"):
        return False
    return bool(PAYLOAD.match(message.button_id or "")) or (message.button_id or "") in LABELS


def acknowledge(message, *, guardian_id: int) -> bool:
    """Mark the delivery the tap is about (by its payload, else the message it answers)
    acknowledged, if it is this guardian's and not marked yet; whether this marked any."""
    found = PAYLOAD.match(message.button_id or "")
    if found:
        target = int(found[1])
    else:  # the message it answers, or that message's first part
        answered = aliased(Delivery)
        target = (
            sa.select(sa.func.coalesce(answered.first_id, answered.id))
            .where(answered.wamid == (message.context_wamid or ""))
            .scalar_subquery()
        )
    which = sa.or_(Delivery.id == target, Delivery.digest_id == target)  # a digest: its own
    result = db.session.execute(
        sa.update(Delivery)
        .where(
            which,
            Delivery.school_id == message.school_id,
            Delivery.guardian_id == guardian_id,
            Delivery.broadcast_id.is_not(None),
            Delivery.acknowledged_at.is_(None),
        )
        .values(acknowledged_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount > 0
