"""The dashboard: the school at a glance."""

import sqlalchemy as sa
from flask import Blueprint, redirect, url_for
from flask_login import current_user, login_required

from portal.extensions import db
from portal.models import AuditLog, Guardian, SchoolClass, Student, Teacher
from portal.web.htmx import render_page
from portal.web.tenancy import school_id

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
    return render_page("dashboard/index.html", counts=counts, recent=recent)
