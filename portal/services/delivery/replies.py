"""Direct replies (to a teacher, a parent or an unknown number) travel as deliveries, so the
same engine sends them: leases, rate limits, retries, statuses."""

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from portal.extensions import db
from portal.models import DailyReply, Delivery, DeliveryStatus
from portal.services.common import clock, dates
from portal.whatsapp.outgoing import MAX_TEXT_LENGTH


def queue_reply(
    *,
    school_id: int,
    to_phone: str,
    body: str,
    purpose: str,
    inbound_message_id=None,
    guardian_id: int | None = None,
    language: str | None = None,
) -> Delivery:
    """A text reply waiting for a sender (the caller commits, then wakes the senders)."""
    if len(body) > MAX_TEXT_LENGTH:
        body = body[: MAX_TEXT_LENGTH - 1] + "…"
    now = clock.now()
    reply = Delivery(
        school_id=school_id,
        guardian_id=guardian_id,
        to_phone=to_phone,
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
    *, school_id: int, to_phone: str, purpose: str, within: timedelta = timedelta(days=1)
) -> bool:
    """Whether a reply for this purpose went to this number lately (at most one a day)."""
    query = sa.select(Delivery.id).where(
        Delivery.school_id == school_id,
        Delivery.to_phone == to_phone,
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
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(DailyReply)
    statement = insert.values(values).on_conflict_do_nothing()
    return db.session.execute(statement).rowcount == 1


def courtesy_due(*, school_id: int, to_phone: str, purpose: str) -> bool:
    """Whether this number should get its courtesy reply now: none in the last day, and
    the day's one not taken by another message (see `first_today`)."""
    recent = replied_recently(school_id=school_id, to_phone=to_phone, purpose=purpose)
    return not recent and first_today(school_id=school_id, to_phone=to_phone, purpose=purpose)
