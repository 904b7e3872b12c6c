"""Every night, each school's WhatsApp account is followed up with Meta: the messaging limit
and the number's quality read again (a raised limit lets waiting parents go), and the
templates synced (a template shipped since is submitted; a status whose webhook was missed
is read back). Webhooks do this as it happens; this catches what they missed."""

from portal.extensions import db
from portal.services.waba import limits, template_sync
from portal.services.waba.graph import current_graph
from portal.tasks import SCHEDULE_PRIORITY, app_task
from portal.tasks.crontab import nepal_crontab


@app_task(periodic=nepal_crontab(hour="3", minute="40"), priority=SCHEDULE_PRIORITY)
def follow_up_accounts() -> dict[str, int]:
    """Limits first, then templates, each committed; what was checked, synced and failed."""
    graph = current_graph()
    counts = limits.refresh_all(graph=graph)
    db.session.commit()
    counts |= {f"templates_{k}": v for k, v in template_sync.sync_every_school(graph=graph).items()}
    db.session.commit()
    return counts
