"""Students: search-as-you-type list, a student with their guardians, adding and changing."""

from functools import partial

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.models import Student, StudentGuardian
from portal.services.roster import guardians, students
from portal.web import classes
from portal.web.editing import apply_form, switch_active
from portal.web.forms import GuardianLinkForm, StudentForm
from portal.web.htmx import render_page
from portal.web.tenancy import get_scoped_or_404, roster_editor, school_id, school_member

bp = Blueprint("students", __name__, url_prefix="/students")


def _form(**kwargs) -> StudentForm:
    form = StudentForm(**kwargs)
    form.class_id.choices = classes.choices()
    return form


@bp.get("/")
@school_member
def index():
    q = request.args.get("q", "").strip()
    class_id = request.args.get("class_id", type=int)
    active = request.args.get("status") != "inactive"
    query = students.search(school_id=school_id(), q=q, class_id=class_id, active=active)
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"])
    filters = {"q": q or None, "class_id": class_id, "status": None if active else "inactive"}
    return render_page(
        "students/index.html", block="rows", page=page, filters=filters, classes=classes.choices()
    )


@bp.get("/<int:student_id>")
@school_member
def show(student_id):
    return _page(get_scoped_or_404(Student, student_id), GuardianLinkForm())


def _page(student: Student, link_form, status: int = 200):
    links = db.session.scalars(
        sa.select(StudentGuardian)
        .where(StudentGuardian.student_id == student.id)
        .options(joinedload(StudentGuardian.guardian))
    ).all()
    return render_page(
        "students/show.html", student=student, links=links, link_form=link_form, status=status
    )


@bp.get("/new")
@roster_editor
def new():
    form = _form(class_id=request.args.get("class_id", type=int))
    return render_page("students/form.html", form=form, student=None)


@bp.post("/new")
@roster_editor
def create():
    form = _form()
    saved, student = apply_form(form, partial(students.add_student, school_id=school_id()))
    if saved:
        flash(_("Student added."))
        return redirect(url_for(".show", student_id=student.id))
    return render_page("students/form.html", form=form, student=None, status=422)


@bp.get("/<int:student_id>/edit")
@roster_editor
def edit(student_id):
    student = get_scoped_or_404(Student, student_id)
    return render_page("students/form.html", form=_form(obj=student), student=student)


@bp.post("/<int:student_id>/edit")
@roster_editor
def update(student_id):
    student = get_scoped_or_404(Student, student_id)
    form = _form()
    if apply_form(form, partial(students.update_student, student=student))[0]:
        flash(_("Saved."))
        return redirect(url_for(".show", student_id=student_id))
    return render_page("students/form.html", form=form, student=student, status=422)


@bp.post("/<int:student_id>/deactivate")
@roster_editor
def deactivate(student_id):
    student = get_scoped_or_404(Student, student_id)
    return switch_active(student, False, url_for(".show", student_id=student_id))


@bp.post("/<int:student_id>/reactivate")
@roster_editor
def reactivate(student_id):
    student = get_scoped_or_404(Student, student_id)
    return switch_active(student, True, url_for(".show", student_id=student_id))


@bp.post("/<int:student_id>/guardians")
@roster_editor
def link(student_id):
    student = get_scoped_or_404(Student, student_id)
    form = GuardianLinkForm()
    if apply_form(form, partial(guardians.link_guardian, student=student))[0]:
        flash(_("Guardian linked."))
        return redirect(url_for(".show", student_id=student_id))
    return _page(student, form, status=422)


@bp.post("/<int:student_id>/guardians/<int:guardian_id>/unlink")
@roster_editor
def unlink(student_id, guardian_id):
    student = get_scoped_or_404(Student, student_id)
    found = db.first_or_404(
        sa.select(StudentGuardian).where(
            StudentGuardian.student_id == student.id,
            StudentGuardian.guardian_id == guardian_id,
            StudentGuardian.school_id == school_id(),
        )
    )
    guardians.unlink_guardian(link=found, user_id=current_user.id)
    db.session.commit()
    flash(_("Guardian unlinked."))
    return redirect(url_for(".show", student_id=student_id))
