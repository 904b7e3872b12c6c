"""Direct replies (to a teacher, a parent or an unknown number) travel as deliveries, so the
same engine sends them: leases, rate limits, retries, statuses."""

from datetime import timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.models import DailyReply, Delivery, DeliveryStatus
from portal.services.common import clock, dates, dialects
from portal.whatsapp.outgoing import MAX_TEXT_LENGTH


def queue_reply(
    *,
    school_id: int,
    to_phone: str | None,
    body: str,
    purpose: str,
    inbound_message_id=None,
    guardian_id: int | None = None,
    language: str | None = None,
    to_user_id: str | None = None,
    buttons: list[dict] | None = None,
) -> Delivery:
    """A text reply waiting for a sender (the caller commits, then wakes the senders), to a
    number or (for someone known only by it) a business-scoped user id, with reply buttons
    if given; replies go before broadcasts."""
    if len(body) > MAX_TEXT_LENGTH:
        body = body[: MAX_TEXT_LENGTH - 1] + "…"
    now = clock.now()
    reply = Delivery(
        school_id=school_id,
        guardian_id=guardian_id,
        to_phone=to_phone,
        to_user_id=to_user_id,
        buttons=buttons,
        priority=0,
        body=body,
        purpose=purpose,
        inbound_message_id=inbound_message_id,
        language=language,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        student_ids=[],
    )
    db.session.add(reply)
    return reply


def replied_recently(
    *,
    school_id: int,
    to_phone: str | None,
    purpose: str,
    to_user_id: str | None = None,
    within: timedelta = timedelta(days=1),
) -> bool:
    """Whether a reply for this purpose went to this number (or business-scoped user id)
    lately (at most one a day)."""
    to = Delivery.to_phone == to_phone if to_phone else Delivery.to_user_id == to_user_id
    query = sa.select(Delivery.id).where(
        Delivery.school_id == school_id,
        to,
        Delivery.purpose == purpose,
        Delivery.created_at > clock.now() - within,
    )
    return db.session.scalar(query.limit(1)) is not None


def first_today(*, school_id: int, to_phone: str, purpose: str) -> bool:
    """Claim today's (Nepal day's) one courtesy reply of this purpose to this number: True
    for the first caller only. A primary key decides, not a read before a write, so six
    messages processed at once by six workers still get one reply."""
    values = {
        "school_id": school_id,
        "phone": to_phone[:32],
        "purpose": purpose,
        "day": clock.now().astimezone(dates.NEPAL).date(),
        "created_at": clock.now(),
    }
    statement = dialects.insert(DailyReply).values(values).on_conflict_do_nothing()
    return db.session.execute(statement).rowcount == 1


def courtesy_due(
    *, school_id: int, to_phone: str | None, purpose: str, to_user_id: str | None = None
) -> bool:
    """Whether this number (or, for someone known only by it, business-scoped user id)
    should get its courtesy reply now: none in the last day, and the day's one not taken by
    another message (see `first_today`)."""
    recent = replied_recently(
        school_id=school_id, to_phone=to_phone, purpose=purpose, to_user_id=to_user_id
    )
    who = to_phone or to_user_id or ""
    return not recent and first_today(school_id=school_id, to_phone=who, purpose=purpose)
