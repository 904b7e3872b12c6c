"""The sweeper: every minute, once per deployment, takes up what no worker holds (stored
webhook events, deliveries whose worker died, a fan-out it left half made) and wakes the
senders."""

import logging
from datetime import timedelta

from flask import current_app

from portal.extensions import db
from portal.models import Broadcast
from portal.services.broadcasting import dispatch
from portal.services.conversations import events, media_arrivals, teacher_commands
from portal.services.delivery import claims, digests, parts
from portal.tasks import SCHEDULE_PRIORITY, app_task
from portal.tasks.crontab import nepal_crontab
from portal.tasks.delivery import finish_broadcasts, finish_fan_out, make_digests, wake_senders
from portal.tasks.events import process_event
from portal.tasks.media import fetch_media

log = logging.getLogger(__name__)
# A fan-out left without its last part this long after it began: its worker is gone (a
# live one makes 100,000 deliveries in a few seconds).
FAN_OUT_GRACE = timedelta(minutes=2)


@app_task(periodic=nepal_crontab(minute="*"), lock="sandesh-sweeper", priority=SCHEDULE_PRIORITY)
def sweep() -> dict:
    """Every minute, once per deployment: take up what no worker holds (webhook events,
    leased deliveries, held messages due for their digest). Stored webhook events come
    first, so a status that shows Meta took a message is applied before that message's
    delivery could be released and sent again."""
    stale = timedelta(seconds=current_app.config["WEBHOOK_STALE_SECONDS"])
    stale_events = events.unprocessed_ids(older_than=stale)
    for event_id in stale_events:
        process_stale_event(event_id)
    half_made = dispatch.unfinished_fan_outs(older_than=FAN_OUT_GRACE)
    for broadcast_id in half_made:  # their worker died between two parts
        finish_fan_out(db.session.get(Broadcast, broadcast_id))
    released = claims.release_expired_leases(grace=current_app.config["RESEND_GRACE"])
    followed = digests.repair()  # held messages whose digest went on without them
    db.session.commit()
    carried = make_digests()  # due held messages, should the dispatcher not have run
    expired = teacher_commands.expire_drafts()  # each teacher is told (a reply to send)
    parts.sweep()  # a long message's next part, when a crash came between two
    db.session.commit()
    lost_files = media_arrivals.lost_ids()  # photos and PDFs whose download was lost
    for message_id in lost_files:
        fetch_media(message_id)
    if claims.has_due_work():
        wake_senders()
    finish_broadcasts(None)
    return {
        "released": released,
        "events": len(stale_events),
        "expired_drafts": expired,
        "digests_followed": followed,
        "held_taken_up": carried,
        "files_fetched": len(lost_files),
        "fan_outs_finished": len(half_made),
    }


def process_stale_event(event_id: int) -> None:
    """Process one event here and now; a failure is logged and left for the next round."""
    try:
        process_event.call_local(event_id)
    except Exception:
        db.session.rollback()
        log.exception("sweeper could not process webhook event %s", event_id)
