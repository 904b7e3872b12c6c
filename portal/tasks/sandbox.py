"""The sandbox plays Meta's part after a send: sent, delivered and read statuses arrive a few
seconds apart as webhook events, through the same path as real ones."""

from portal.extensions import db, huey
from portal.models import Delivery
from portal.services.conversations import events
from portal.services.delivery import sending
from portal.services.delivery.transport import current_transport, is_sandbox
from portal.services.waba import sandbox as meta_sandbox
from portal.tasks import app_task
from portal.tasks.events import process_event

STEPS = (("sent", 1), ("delivered", 3), ("read", 20))


def play_statuses(delivery_id: int) -> None:
    """Schedule the statuses a real phone would cause for an accepted sandbox delivery."""
    if huey.immediate:
        return  # tests play statuses themselves, with controlled time
    for status, delay in STEPS:
        sandbox_status.schedule((delivery_id, status), delay=delay)


@app_task()
def sandbox_status(delivery_id: int, status: str) -> None:
    """Store and process the status webhook Meta would send for this delivery."""
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.wamid is None:
        return
    body = current_transport().status_webhook(
        phone_number_id=sending.sender_number(delivery.school),
        wamid=delivery.wamid,
        recipient=sending.recipient(delivery.guardian, delivery.to_phone, delivery.to_user_id),
        status=status,
        callback_data=f"d:{delivery.id}",
        sent_as=delivery.sent_as,
    )
    post_webhook(body)


def review_later() -> None:
    """Have the sandbox's stand-in for Meta review what was just submitted, as Meta would a
    little later, through its webhook (tests review themselves, with controlled time)."""
    if is_sandbox() and not huey.immediate:
        review_templates.schedule(delay=meta_sandbox.review_seconds() + 1)


@app_task()
def review_templates() -> int:
    """Approve the sandbox templates whose review is over; post Meta's webhook for each."""
    bodies = meta_sandbox.review_due()
    db.session.commit()
    for body in bodies:
        post_webhook(body)
    return len(bodies)


def post_webhook(body: bytes) -> None:
    """Store and process a webhook body as if Meta had posted it."""
    event_id = events.store(body, source="sandbox")
    db.session.commit()
    process_event.call_local(event_id)
