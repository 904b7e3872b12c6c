"""Photos and documents people send to a school's number, fetched at once (an inbound
media id lasts only days): load by id, call the service, commit, wake the senders."""

from portal.extensions import db
from portal.services.conversations import media_arrivals
from portal.tasks import URGENT_PRIORITY, app_task

RETRIES = 3


@app_task(priority=URGENT_PRIORITY, retries=RETRIES, retry_delay=20, context=True)
def fetch_media(message_id: int, task=None) -> str:
    """Download one inbound message's file and act on it (tried again if Meta is away)."""
    outcome = media_arrivals.take(message_id, last_try=task is None or not task.retries)
    db.session.commit()
    from portal.tasks.delivery import send_deliveries  # here: a cycle through tasks.events
    from portal.tasks.events import start_confirmed

    start_confirmed()
    send_deliveries(None)  # the teacher's preview, or the reason the file was refused
    return outcome
