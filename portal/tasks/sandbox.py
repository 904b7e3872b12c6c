"""The sandbox plays Meta's part after a send: sent, delivered and read statuses arrive a few
seconds apart as webhook events, through the same path as real ones."""

from portal.extensions import db, huey
from portal.models import Delivery
from portal.services.conversations import events
from portal.services.delivery import sending
from portal.services.delivery.transport import current_transport
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
        recipient=sending.recipient(delivery.guardian, delivery.to_phone),
        status=status,
        callback_data=f"d:{delivery.id}",
    )
    event_id = events.store(body, source="sandbox")
    db.session.commit()
    process_event.call_local(event_id)
