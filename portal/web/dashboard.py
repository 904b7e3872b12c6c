"""The dashboard: the school at a glance."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.extensions import db
from portal.models import Alert, AuditLog, Guardian, School, SchoolClass, Student, Teacher
from portal.services.broadcasting import delivery_counts, tracking
from portal.services.common import audit
from portal.services.delivery import alerts
from portal.services.school import settings
from portal.tasks.delivery import wake_senders
from portal.web.htmx import render_page
from portal.web.tenancy import admin_only, get_scoped_or_404, school_id

bp = Blueprint("dashboard", __name__)


def _count(model, *where) -> int:
    query = sa.select(sa.func.count()).select_from(model).where(model.school_id == school_id())
    return db.session.scalar(query.where(*where))


@bp.get("/")
@login_required
def index():
    if current_user.role == "operator":
        return redirect(url_for("schools.index"))
    counts = {
        "classes": _count(SchoolClass),
        "students": _count(Student, Student.active),
        "guardians": _count(Guardian, Guardian.active),
        "opted_out": _count(Guardian, Guardian.active, Guardian.opted_out_at.is_not(None)),
        "teachers": _count(Teacher, Teacher.active),
    }
    recent = db.session.scalars(
        sa.select(AuditLog)
        .where(AuditLog.school_id == school_id())
        .order_by(AuditLog.id.desc())
        .limit(8)
        .options(sa.orm.joinedload(AuditLog.user))
    ).all()
    latest = tracking.latest(school_id())
    return render_page(
        "dashboard/index.html",
        counts=counts,
        recent=recent,
        alerts=alerts.open_alerts(school_id()),
        latest=latest,
        latest_counts=delivery_counts.of_broadcasts([b.id for b in latest]),
    )


@bp.post("/resume-sending")
@admin_only
def resume():
    """Let a paused school send again: an admin has dealt with what Meta reported."""
    school = db.session.get(School, school_id())
    if not settings.resume_sending(school=school, user_id=current_user.id):
        flash(_("Sending is not paused."))
        return redirect(url_for(".index"))
    db.session.commit()
    wake_senders()
    flash(_("Sending resumed. Waiting messages are going out now."))
    return redirect(url_for(".index"))


@bp.post("/alerts/<int:alert_id>/resolve")
@admin_only
def resolve_alert(alert_id):
    """An admin has dealt with an alert: it leaves the dashboard (a pause ends by resuming)."""
    alert = get_scoped_or_404(Alert, alert_id)
    if alerts.resolve(alert=alert):
        audit.record(
            school_id=alert.school_id,
            user_id=current_user.id,
            action="alert.resolve",
            changes={"alert": [None, alert.action]},
        )
        db.session.commit()
    return redirect(url_for(".index"))
