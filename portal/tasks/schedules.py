"""The school year's periodic work, on the Nepal clock: recurring schedules' occurrences
made into broadcasts (the dispatcher calls `make_occurrences` every minute), and Nepal's
public holidays pre-filled for every school's current and next Bikram Sambat year."""

from portal.extensions import db
from portal.services.calendar import calendar_years
from portal.services.schedules import occurrences
from portal.tasks import SCHEDULE_PRIORITY, app_task
from portal.tasks.crontab import nepal_crontab

ROUNDS = 10  # a schedule late by several occurrences catches up a few a minute


def make_occurrences() -> int:
    """Every due occurrence made into its broadcast, each committed on its own; the
    dispatcher starts them with the other due broadcasts."""
    made = 0
    for _ in range(ROUNDS):
        due = occurrences.due_ids()
        if not due:
            break
        for schedule_id in due:
            made += occurrences.make_due(schedule_id) is not None
            db.session.commit()
    return made


@app_task(periodic=nepal_crontab(hour="0", minute="10"), priority=SCHEDULE_PRIORITY)
def prefill_holidays() -> int:
    """Every night: each school's current and next BS year get Nepal's public holidays."""
    added = calendar_years.prefill_every_school()
    db.session.commit()
    return added
