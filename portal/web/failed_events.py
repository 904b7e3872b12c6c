"""Webhook events Sandesh gave up on, for the platform operator: when, what failed (the
error's class and the item's place, never its content), which schools, and a way to try
one again once the cause is mended."""

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _

from portal.extensions import db
from portal.services.conversations import failures
from portal.tasks.events import process_event
from portal.web.htmx import render_page
from portal.web.tenancy import operator_only

bp = Blueprint("failed_events", __name__, url_prefix="/operator/failed-events")


@bp.get("/")
@operator_only
def index():
    return render_page("failed_events/index.html", rows=failures.failed_events())


@bp.post("/<int:event_id>/retry")
@operator_only
def retry(event_id):
    if not failures.try_again(event_id):
        flash(_("That event is not waiting to be tried again."), "error")
        return redirect(url_for(".index"))
    db.session.commit()
    _wake(event_id)
    flash(_("Event %(id)s is being processed again.", id=event_id))
    return redirect(url_for(".index"))


def _wake(event_id: int) -> None:
    """Enqueue it; if the queue is down, the sweeper takes it up within a minute."""
    try:
        process_event(event_id)
    except Exception:  # the event is pending in the database; only the wake-up was lost
        db.session.rollback()
