"""Classes: the list with its figures, one class with its students, adding and changing one."""

from functools import partial

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from portal.extensions import db
from portal.models import SchoolClass, Student, StudentGuardian
from portal.services.roster import classes
from portal.web.editing import apply_form
from portal.web.forms import ClassForm
from portal.web.htmx import render_page
from portal.web.i18n import digits, locale_code
from portal.web.tenancy import get_scoped_or_404, roster_editor, school_id, school_member

bp = Blueprint("classes", __name__, url_prefix="/classes")


def label(school_class: SchoolClass) -> str:
    """`5A · 2082`, or `५क · २०८२` in Nepali."""
    name = school_class.name_ne if locale_code() == "ne" else school_class.name
    return f"{name} · {digits(school_class.academic_year)}"


def choices() -> list[SelectChoice]:
    """The school's classes as form choices, newest academic year first."""
    found = db.session.scalars(classes.in_school(school_id=school_id()))
    return [SelectChoice(c.id, label(c)) for c in found]


@bp.get("/")
@school_member
def index():
    return render_page("classes/index.html", rows=classes.summaries(school_id=school_id()))


@bp.get("/<int:class_id>")
@school_member
def show(class_id):
    school_class = get_scoped_or_404(SchoolClass, class_id)
    students = db.session.scalars(
        sa.select(Student)
        .where(Student.class_id == school_class.id, Student.active)
        .order_by(Student.roll)
        .options(selectinload(Student.links).selectinload(StudentGuardian.guardian))
    ).all()
    teachers = classes.teachers_by_class(school_id=school_id(), class_id=school_class.id)
    return render_page(
        "classes/show.html",
        school_class=school_class,
        students=students,
        teachers=teachers.get(school_class.id, []),
    )


@bp.get("/new")
@roster_editor
def new():
    return render_page("classes/form.html", form=ClassForm(), school_class=None)


@bp.post("/new")
@roster_editor
def create():
    form = ClassForm()
    saved, school_class = apply_form(form, partial(classes.add_class, school_id=school_id()))
    if saved:
        flash(_("Class added."))
        return redirect(url_for(".show", class_id=school_class.id))
    return render_page("classes/form.html", form=form, school_class=None, status=422)


@bp.get("/<int:class_id>/edit")
@roster_editor
def edit(class_id):
    school_class = get_scoped_or_404(SchoolClass, class_id)
    form = ClassForm(obj=school_class)
    return render_page("classes/form.html", form=form, school_class=school_class)


@bp.post("/<int:class_id>/edit")
@roster_editor
def update(class_id):
    school_class = get_scoped_or_404(SchoolClass, class_id)
    form = ClassForm()
    if apply_form(form, partial(classes.update_class, school_class=school_class))[0]:
        flash(_("Saved."))
        return redirect(url_for(".show", class_id=class_id))
    return render_page("classes/form.html", form=form, school_class=school_class, status=422)
