"""The audit log: every change made to the school, newest first (admins only)."""

import sqlalchemy as sa
from flask import Blueprint, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.models import AuditLog, Guardian, SchoolClass, Student, Teacher
from portal.web.htmx import render_page
from portal.web.tenancy import admin_only, school_id

bp = Blueprint("audit", __name__, url_prefix="/audit")

# What an entry's target links to: model, the page showing it, and that page's argument.
TARGETS = {
    "SchoolClass": (SchoolClass, "classes.show", "class_id"),
    "Student": (Student, "students.show", "student_id"),
    "Guardian": (Guardian, "guardians.show", "guardian_id"),
    "Teacher": (Teacher, "teachers.show", "teacher_id"),
}

# How the fields named in `changes` read; unknown ones are shown as stored.
FIELDS = {
    "name": _l("name"),
    "name_ne": _l("name in Nepali"),
    "phone": _l("mobile number"),
    "language": _l("language"),
    "active": _l("active"),
    "grade": _l("grade"),
    "section": _l("section"),
    "academic_year": _l("academic year"),
    "class": _l("class"),
    "roll": _l("roll"),
    "relation": _l("relation"),
    "receives_notices": _l("receives notices"),
    "guardian": _l("guardian"),
    "classes": _l("classes"),
}


@bp.get("/")
@admin_only
def index():
    query = (
        sa.select(AuditLog)
        .where(AuditLog.school_id == school_id())
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .options(joinedload(AuditLog.user))
    )
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"])
    return render_page(
        "audit/index.html",
        block="rows",
        page=page,
        targets=_targets(page.items),
        links=TARGETS,
        fields=FIELDS,
    )


def _targets(entries) -> dict[tuple[str, int], object]:
    """The rows the entries point at, one query per kind, so each can be named and linked."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.target_type in TARGETS and entry.target_id:
            wanted.setdefault(entry.target_type, set()).add(entry.target_id)
    found = {}
    for kind, ids in wanted.items():
        model = TARGETS[kind][0]
        rows = db.session.scalars(
            sa.select(model).where(model.school_id == school_id(), model.id.in_(ids))
        )
        found.update({(kind, row.id): row for row in rows})
    return found
