"""Teachers: who may send notices from WhatsApp, their numbers and their classes."""

from functools import partial

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _

from portal.extensions import db
from portal.models import Teacher
from portal.services.roster import teachers
from portal.web import classes
from portal.web.editing import apply_form, switch_active
from portal.web.forms import TeacherForm
from portal.web.htmx import render_page
from portal.web.tenancy import get_scoped_or_404, roster_editor, school_id, school_member

bp = Blueprint("teachers", __name__, url_prefix="/teachers")


def _form(**kwargs) -> TeacherForm:
    form = TeacherForm(**kwargs)
    form.class_ids.choices = classes.choices()
    return form


@bp.get("/")
@school_member
def index():
    found = db.session.scalars(teachers.in_school(school_id=school_id())).all()
    return render_page("teachers/index.html", teachers=found)


@bp.get("/<int:teacher_id>")
@school_member
def show(teacher_id):
    return render_page("teachers/show.html", teacher=get_scoped_or_404(Teacher, teacher_id))


@bp.get("/new")
@roster_editor
def new():
    return render_page("teachers/form.html", form=_form(), teacher=None)


@bp.post("/new")
@roster_editor
def create():
    form = _form()
    saved, teacher = apply_form(form, partial(teachers.add_teacher, school_id=school_id()))
    if saved:
        flash(_("Teacher added."))
        return redirect(url_for(".show", teacher_id=teacher.id))
    return render_page("teachers/form.html", form=form, teacher=None, status=422)


@bp.get("/<int:teacher_id>/edit")
@roster_editor
def edit(teacher_id):
    teacher = get_scoped_or_404(Teacher, teacher_id)
    form = _form(obj=teacher, class_ids=[c.id for c in teacher.classes])
    return render_page("teachers/form.html", form=form, teacher=teacher)


@bp.post("/<int:teacher_id>/edit")
@roster_editor
def update(teacher_id):
    teacher = get_scoped_or_404(Teacher, teacher_id)
    form = _form()
    if apply_form(form, partial(teachers.update_teacher, teacher=teacher))[0]:
        flash(_("Saved."))
        return redirect(url_for(".show", teacher_id=teacher_id))
    return render_page("teachers/form.html", form=form, teacher=teacher, status=422)


@bp.post("/<int:teacher_id>/deactivate")
@roster_editor
def deactivate(teacher_id):
    teacher = get_scoped_or_404(Teacher, teacher_id)
    return switch_active(teacher, False, url_for(".show", teacher_id=teacher_id))


@bp.post("/<int:teacher_id>/reactivate")
@roster_editor
def reactivate(teacher_id):
    teacher = get_scoped_or_404(Teacher, teacher_id)
    return switch_active(teacher, True, url_for(".show", teacher_id=teacher_id))
