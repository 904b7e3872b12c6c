"""The audit log: every change made to the school, newest first (admins only)."""

import sqlalchemy as sa
from flask import Blueprint, current_app, request
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.models import AuditLog, Broadcast, Guardian, SchoolClass, Student, Teacher
from portal.web import audit_labels
from portal.web.htmx import render_page
from portal.web.tenancy import admin_only, school_id

bp = Blueprint("audit", __name__, url_prefix="/audit")

# What an entry's target links to: model, the page showing it, and that page's argument.
TARGETS = {
    "SchoolClass": (SchoolClass, "classes.show", "class_id"),
    "Student": (Student, "students.show", "student_id"),
    "Guardian": (Guardian, "guardians.show", "guardian_id"),
    "Teacher": (Teacher, "teachers.show", "teacher_id"),
    "Broadcast": (Broadcast, "broadcasts.show", "broadcast_id"),
}


@bp.get("/")
@admin_only
def index():
    actor = request.args.get("actor", "")
    kind = request.args.get("kind", "")
    query = (
        sa.select(AuditLog)
        .where(AuditLog.school_id == school_id())
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .options(
            joinedload(AuditLog.user), joinedload(AuditLog.teacher), joinedload(AuditLog.api_token)
        )
    )
    if actor in audit_labels.ACTORS:
        query = query.where(AuditLog.actor == actor)
    if kind in audit_labels.ACTION_KINDS:
        prefixes = audit_labels.ACTION_KINDS[kind][1]
        query = query.where(sa.or_(*(AuditLog.action.startswith(p) for p in prefixes)))
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"])
    return render_page(
        "audit/index.html",
        block="rows",
        page=page,
        targets=_targets(page.items),
        links=TARGETS,
        actors=audit_labels.ACTORS,
        kinds=audit_labels.ACTION_KINDS,
        chosen={"actor": actor, "kind": kind},
    )


@bp.app_template_filter("audit_field")
def audit_field(name: str) -> str:
    return audit_labels.field_label(name)


@bp.app_template_global("audit_value")
def audit_value(name: str, value):
    return audit_labels.field_value(name, value)


@bp.app_template_filter("audit_actor")
def audit_actor(entry) -> str:
    return audit_labels.actor_name(entry)


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
