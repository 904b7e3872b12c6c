"""Webhook events whose items failed: tried again with backoff a few times (every item is
idempotent, so the items that worked change nothing the second time), then given up on
visibly: each school concerned gets an alert, a teacher whose message it was gets a short
apology saying what to do, and operators see the event in their list with the reason.

A failure is recorded by the error's class and the item's place in the event, never by
the item's content (phone numbers, names and message text stay out of error fields)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.extensions import db
from portal.models import EventStatus, School, WebhookEvent
from portal.services.common import clock
from portal.services.conversations import events, senders
from portal.services.delivery import alerts, replies
from portal.whatsapp import payloads

# Seconds before each new try; an event that has failed this many times more is given up.
BACKOFF_SECONDS = (15, 60, 300)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
ALERT_ACTION = "webhook_failed"


@dataclass
class Failure:
    """One item of an event that could not be applied."""

    index: int
    item: object
    error: BaseException

    def describe(self) -> str:
        """`item 3 (message): IntegrityError (UniqueViolation)`: what and why, no content."""
        kind = "message" if isinstance(self.item, payloads.InboundMessage) else "status"
        cause = getattr(self.error, "orig", None)
        why = type(self.error).__name__ + (f" ({type(cause).__name__})" if cause else "")
        return f"item {self.index} ({kind}): {why}"


def retry_or_give_up(event_id: int, failed: list[Failure]) -> datetime | None:
    """Record what failed and when the event is tried again; None once it is given up (the
    alert and the apologies are queued: the caller commits, then wakes the senders)."""
    attempts = db.session.scalar(
        sa.select(WebhookEvent.attempts).where(WebhookEvent.id == event_id)
    )
    error = "\n".join(failure.describe() for failure in failed)[:10000]
    if attempts < MAX_ATTEMPTS:
        retry_at = clock.now() + timedelta(seconds=BACKOFF_SECONDS[attempts - 1])
        events.mark(event_id, status=EventStatus.PENDING, error=error)
        _retry_at(event_id, retry_at)
        return retry_at
    events.mark(event_id, status=EventStatus.FAILED, error=error, processed_at=clock.now())
    for failure in failed:
        _tell(event_id, failure)
    return None


def _retry_at(event_id: int, retry_at: datetime) -> None:
    db.session.execute(
        sa.update(WebhookEvent)
        .where(WebhookEvent.id == event_id)
        .values(retry_at=retry_at)
        .execution_options(synchronize_session=False)
    )


def _tell(event_id: int, failure: Failure) -> None:
    """The school's admins are alerted; a teacher who wrote gets an apology."""
    number = getattr(failure.item, "phone_number_id", None)
    school_id = events.SchoolFinder()(number) if number else None
    if school_id is None:
        return  # not one of our numbers: the operators' list is where it shows
    alerts.raise_problem(
        school_id=school_id,
        action=ALERT_ACTION,
        details=f"webhook event {event_id}, {failure.describe()}",
    )
    sender = getattr(failure.item, "sender", None)
    if isinstance(failure.item, payloads.InboundMessage) and sender:
        found = senders.identify(school_id=school_id, phone="+" + sender.lstrip("+"))
        if found.teacher is not None:
            _apologise(school_id, found.teacher, failure.item.text or "")


def _apologise(school_id: int, teacher, text: str) -> None:
    start = " ".join(text.split())
    start = start if len(start) <= 40 else start[:39].rstrip() + "…"
    with force_locale(teacher.language):
        body = _(
            "Sorry: Sandesh could not handle your message “%(start)s”. Nothing was sent to "
            "parents. Please send it again in a few minutes; if it fails again, tell the "
            "school office.",
            start=start,
        )
    replies.queue_reply(
        school_id=school_id,
        to_phone=teacher.phone,
        body=body,
        purpose="teacher_reply",
        language=teacher.language,
    )


def failed_events(limit: int = 100) -> list[tuple[WebhookEvent, list[School]]]:
    """Events given up on, newest first, with the schools their items were for."""
    rows = db.session.scalars(
        sa.select(WebhookEvent)
        .where(WebhookEvent.status == EventStatus.FAILED)
        .order_by(WebhookEvent.id.desc())
        .limit(limit)
    ).all()
    return [(event, _schools_of(event)) for event in rows]


def _schools_of(event: WebhookEvent) -> list[School]:
    numbers = {getattr(item, "phone_number_id", None) for item in payloads.parse(event.body)}
    numbers.discard(None)
    finder = events.SchoolFinder()
    ids = {school_id for number in numbers if (school_id := finder(number)) is not None}
    if not ids:
        return []
    return list(db.session.scalars(sa.select(School).where(School.id.in_(ids))))


def try_again(event_id: int) -> bool:
    """An operator's decision: a failed event is tried afresh (the caller commits, then
    enqueues it); False when it is not a failed event."""
    result = db.session.execute(
        sa.update(WebhookEvent)
        .where(WebhookEvent.id == event_id, WebhookEvent.status == EventStatus.FAILED)
        .values(
            status=EventStatus.PENDING, attempts=0, retry_at=None, processed_at=None, error=None
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
