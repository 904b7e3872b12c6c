"""Guardians: the searchable list, one guardian with their children, and changing one."""

from functools import partial

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.models import Guardian, Student, StudentGuardian
from portal.services.roster import guardians
from portal.web.editing import apply_form, switch_active
from portal.web.forms import GuardianForm
from portal.web.htmx import render_page
from portal.web.tenancy import get_scoped_or_404, roster_editor, school_id, school_member

bp = Blueprint("guardians", __name__, url_prefix="/guardians")
STATUSES = ("opted_out", "inactive")


@bp.get("/")
@school_member
def index():
    q = request.args.get("q", "").strip()
    status = request.args.get("status", "")
    status = status if status in STATUSES else None
    query = guardians.search(school_id=school_id(), q=q, status=status or "")
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"])
    filters = {"q": q or None, "status": status}
    return render_page("guardians/index.html", block="rows", page=page, filters=filters)


@bp.get("/<int:guardian_id>")
@school_member
def show(guardian_id):
    guardian = get_scoped_or_404(Guardian, guardian_id)
    links = db.session.scalars(
        sa.select(StudentGuardian)
        .where(StudentGuardian.guardian_id == guardian.id)
        .options(joinedload(StudentGuardian.student).joinedload(Student.school_class))
    ).all()
    return render_page("guardians/show.html", guardian=guardian, links=links)


@bp.get("/<int:guardian_id>/edit")
@roster_editor
def edit(guardian_id):
    guardian = get_scoped_or_404(Guardian, guardian_id)
    return render_page("guardians/form.html", form=GuardianForm(obj=guardian), guardian=guardian)


@bp.post("/<int:guardian_id>/edit")
@roster_editor
def update(guardian_id):
    guardian = get_scoped_or_404(Guardian, guardian_id)
    form = GuardianForm()
    if apply_form(form, partial(guardians.update_guardian, guardian=guardian))[0]:
        flash(_("Saved."))
        return redirect(url_for(".show", guardian_id=guardian_id))
    return render_page("guardians/form.html", form=form, guardian=guardian, status=422)


@bp.post("/<int:guardian_id>/deactivate")
@roster_editor
def deactivate(guardian_id):
    guardian = get_scoped_or_404(Guardian, guardian_id)
    return switch_active(guardian, False, url_for(".show", guardian_id=guardian_id))


@bp.post("/<int:guardian_id>/reactivate")
@roster_editor
def reactivate(guardian_id):
    guardian = get_scoped_or_404(Guardian, guardian_id)
    return switch_active(guardian, True, url_for(".show", guardian_id=guardian_id))
