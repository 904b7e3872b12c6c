"""Recurring broadcasts: the list, making one with a preview of its next occurrences (holidays
skipped or moved), a schedule's page with its next five and what it has sent, changing it
(future occurrences only), pausing, resuming and stopping it."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.models import Broadcast, Kind, RecurringSchedule, ScheduleStatus, School, Source
from portal.services.broadcasting import (
    broadcasts,
    delivery_counts,
    preview,
    submissions,
    targets,
)
from portal.services.schedules import describe, schedules
from portal.web.htmx import is_htmx, render_page
from portal.web.schedule_form import ScheduleForm
from portal.web.submitted import commit_once, submission_key
from portal.web.tenancy import get_scoped_or_404, roster_editor, school_id, school_member, scoped

bp = Blueprint("schedules", __name__, url_prefix="/schedules")


def _get(schedule_id: int) -> RecurringSchedule:
    return get_scoped_or_404(RecurringSchedule, schedule_id)


def _editable(schedule_id: int) -> RecurringSchedule:
    """A schedule the form can change (the monthly summary's time is set in the settings)."""
    schedule = _get(schedule_id)
    if schedule.kind == Kind.ATTENDANCE:
        abort(404)
    return schedule


@bp.get("/")
@school_member
def index():
    rows = db.session.scalars(
        scoped(RecurringSchedule)
        .where(RecurringSchedule.status != ScheduleStatus.DRAFT)
        .order_by(RecurringSchedule.status, RecurringSchedule.id.desc())
    ).all()
    return render_page("schedules/index.html", rows=rows)


def _form_page(form, *, schedule=None, status=200, block=None, **extra):
    return render_page(
        "schedules/form.html",
        block=block,
        status=status,
        form=form,
        schedule=schedule,
        grades=targets.target_choices(school_id()),
        max_body=broadcasts.MAX_BODY,
        **extra,
    )


@bp.get("/new")
@roster_editor
def new():
    form = ScheduleForm(formdata=None)
    form.submission.data = submissions.new_token()
    return _form_page(form)


@bp.post("/new")
@roster_editor
def create():
    form = ScheduleForm()
    school = db.session.get(School, school_id())
    making = request.form.get("action") != "preview"
    key = submission_key("schedule", form.submission.data)
    if making and key and (made := submissions.made_by(school.id, key, RecurringSchedule)):
        return _made_before(made)
    schedule = _checked(form, lambda: _make(form, school))
    if schedule is None:
        return _invalid(form)
    if not making:
        return _preview(form, schedule, school)
    if earlier := commit_once(schedule, key, RecurringSchedule):  # the other press was first
        return _made_before(earlier)
    flash(_("The recurring broadcast is on."))
    return redirect(url_for(".show", schedule_id=schedule.id))


def _made_before(schedule):
    """The recurring broadcast this page already made, opened instead of making another."""
    flash(_("This recurring broadcast was already made from this page; it was not made again."))
    return redirect(url_for(".show", schedule_id=schedule.id))


def _make(form, school):
    return schedules.create_schedule(
        school=school,
        source=Source.PORTAL,
        rule=form.rule(),
        texts=form.texts(),
        author_user_id=current_user.id,
    )


def _checked(form, make):
    """What `make()` returns for a valid form, else None with the errors on the form."""
    if not form.validate_on_submit():
        return None
    try:
        return make()
    except broadcasts.BroadcastError as error:
        db.session.rollback()
        form.add_error(error)
        return None


def _invalid(form, schedule=None):
    response = _form_page(form, schedule=schedule, status=422, block="compose")
    if is_htmx():
        response.headers["HX-Retarget"] = "#compose"
        response.headers["HX-Reswap"] = "outerHTML"
    return response


def _preview(form, schedule, school, *, editing=None):
    """The next five occurrences and the message as parents will read the first; nothing kept."""
    context = _upcoming(schedule, school)
    db.session.rollback()
    return _form_page(form, schedule=editing, block="preview", shown=True, **context)


def _upcoming(schedule, school) -> dict:
    upcoming, skipped = schedules.next_occurrences(schedule)
    sample = schedules.sample_broadcast(schedule, upcoming[0] if upcoming else None)
    return {
        "upcoming": upcoming,
        "skipped": skipped,
        "rule_text": describe.describe_schedule(schedule),
        "message": preview.preview(sample, school=school),
    }


@bp.get("/<int:schedule_id>")
@school_member
def show(schedule_id):
    schedule = _get(schedule_id)
    made = db.session.scalars(
        sa.select(Broadcast)
        .where(Broadcast.schedule_id == schedule.id)
        .order_by(Broadcast.id.desc())
        .limit(10)
    ).all()
    context = {"rule_text": describe.describe_schedule(schedule)}
    if schedule.next_at:
        context = _upcoming(schedule, schedule.school)
    return render_page(
        "schedules/show.html",
        schedule=schedule,
        made=made,
        counts=delivery_counts.of_broadcasts([b.id for b in made]),
        **context,
    )


@bp.get("/<int:schedule_id>/edit")
@roster_editor
def edit(schedule_id):
    schedule = _editable(schedule_id)
    form = ScheduleForm(obj=schedule)
    return _form_page(form, schedule=schedule)


@bp.post("/<int:schedule_id>/edit")
@roster_editor
def update(schedule_id):
    schedule = _editable(schedule_id)
    form = ScheduleForm()
    change = lambda: schedules.update_schedule(  # noqa: E731
        schedule=schedule, user_id=current_user.id, rule=form.rule(), texts=form.texts()
    )
    changes = _checked(form, change)
    if changes is None:
        return _invalid(form, _get(schedule_id))
    if request.form.get("action") == "preview":
        return _preview(form, schedule, schedule.school, editing=schedule)
    db.session.commit()
    flash(
        _("Saved: the change applies from the next occurrence.")
        if changes
        else _("Nothing changed.")
    )
    return redirect(url_for(".show", schedule_id=schedule.id))


@bp.post("/<int:schedule_id>/<any(pause, resume, stop):action>")
@roster_editor
def change_status(schedule_id, action):
    schedule = _get(schedule_id)
    change = {"pause": schedules.pause, "resume": schedules.resume, "stop": schedules.stop}
    if change[action](schedule=schedule, user_id=current_user.id):
        db.session.commit()
        done = {"pause": _("Paused."), "resume": _("Resumed."), "stop": _("Stopped.")}
        flash(done[action])
    else:
        flash(
            _("Nothing changed: it is %(status)s.", status=status_label(schedule.status)), "error"
        )
    return redirect(url_for(".show", schedule_id=schedule.id))


@bp.app_template_filter("schedule_status")
def status_label(status: str) -> str:
    labels = {
        "draft": _("waiting for the teacher's YES"),
        "active": _("active"),
        "paused": _("paused"),
        "stopped": _("stopped"),
    }
    return labels.get(status, status)


@bp.app_template_filter("schedule_rule")
def schedule_rule(schedule) -> str:
    return describe.describe_schedule(schedule)
