"""Reports' tasks: every minute, the tallies of broadcasts whose deliveries changed are
counted again (and those never counted); every five minutes, the weekly summaries that are
due are queued and the senders woken."""

from portal.extensions import db
from portal.services.common import clock
from portal.services.reports import tallies, weekly
from portal.tasks import SCHEDULE_PRIORITY, app_task
from portal.tasks.crontab import nepal_crontab
from portal.tasks.delivery import wake_senders

ROUNDS = 20  # of tallies.refresh's broadcasts, a minute


@app_task(periodic=nepal_crontab(minute="*"), lock="sandesh-tallies", priority=SCHEDULE_PRIORITY)
def refresh_tallies() -> int:
    """Count again what changed; how many broadcasts were counted."""
    counted = 0
    for _round in range(ROUNDS):
        done = tallies.refresh()
        counted += done
        if not done:
            break
    return counted


@app_task(periodic=nepal_crontab(minute="*/5"), priority=SCHEDULE_PRIORITY)
def send_weekly_summaries() -> int:
    """Queue each due school's summary (once a day, whoever runs it); how many went."""
    sent = 0
    for school_id in weekly.due_ids(clock.now()):
        sent += weekly.send(school_id, clock.now())
        db.session.commit()
    if sent:
        wake_senders()
    return sent
