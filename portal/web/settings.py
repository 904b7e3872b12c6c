"""School settings for admins: names, WhatsApp number and token, quiet hours, teachers'
permissions, sending after a pause, the WhatsApp templates, and the reports' reach target
and weekly summary."""

from functools import partial

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.extensions import db
from portal.models import School, Teacher
from portal.services.common.refusals import SetupError
from portal.services.schedules import summaries
from portal.services.school import school_year, settings
from portal.services.waba import template_sync
from portal.services.waba.graph import current_graph
from portal.services.waba.onboarding import limit_text
from portal.services.wording import templates
from portal.tasks.delivery import wake_senders
from portal.tasks.sandbox import review_later
from portal.web.editing import apply_form
from portal.web.forms import SettingsForm
from portal.web.htmx import render_page
from portal.web.report_forms import ReportSettingsForm
from portal.web.school_year_form import SchoolYearForm
from portal.web.template_forms import TemplatesForm
from portal.web.tenancy import admin_only, school_id

bp = Blueprint("settings", __name__, url_prefix="/settings")

# Each template purpose: its heading, and the broadcasts sent with it.
PURPOSES = {
    "notice": (_l("Notice"), _l("notices, events and emergencies")),
    "homework": (_l("Homework"), _l("homework")),
    "absence": (_l("Absence alert"), _l("absence alerts")),
    "reminder": (_l("Reminder"), _l("reminders, and alerts to teachers")),
    "digest": (_l("Daily digest"), _l("the day's notices in one message")),
    "attendance": (_l("Monthly attendance"), _l("monthly attendance summaries")),
    "continued": (_l("Continued"), _l("the later parts of a long message, numbered (2/3)")),
    "notice_image": (_l("Notice with a photo"), _l("notices sent with a photo (its header)")),
    "notice_document": (_l("Notice with a PDF"), _l("notices sent with a PDF (its header)")),
}


def _school() -> School:
    return db.session.get(School, school_id())


def _page(form, school, status=200):
    return render_page(
        "settings/index.html",
        form=form,
        school=school,
        limit=limit_text(school.messaging_tier),
        status=status,
    )


@bp.get("/")
@admin_only
def index():
    school = _school()
    prices = {f"price_{c}": (school.prices or {}).get(c) for c in settings.PRICE_CATEGORIES}
    return _page(SettingsForm(obj=school, data=prices | settings.media_limits_mb(school)), school)


@bp.post("/")
@admin_only
def update():
    school = _school()
    form = SettingsForm()
    saved, changes = apply_form(form, partial(settings.update_school, school=school))
    if saved:
        flash(_("Settings saved.") if changes else _("Nothing changed."))
        return redirect(url_for(".index"))
    return _page(form, _school(), status=422)


@bp.post("/resume")
@admin_only
def resume():
    """Let a paused school send again: an admin has dealt with what Meta reported."""
    if not settings.resume_sending(school=_school(), user_id=current_user.id):
        flash(_("Sending is not paused."))
        return redirect(url_for(".index"))
    db.session.commit()
    wake_senders()
    flash(_("Sending resumed. Waiting messages are going out now."))
    return redirect(url_for(".index"))


def _templates_page(form, school, choices, status=200):
    return render_page(
        "settings/templates.html",
        form=form,
        school=school,
        choices=choices,
        purposes=PURPOSES,
        status=status,
    )


@bp.get("/templates")
@admin_only
def edit_templates():
    school = _school()
    choices = templates.template_choices(school=school)
    data = {}
    for choice in choices:
        data[f"{choice.purpose}_{choice.language}_name"] = choice.name
        data[f"{choice.purpose}_{choice.language}_approved"] = choice.approved
    return _templates_page(TemplatesForm(data=data), school, choices)


@bp.post("/templates")
@admin_only
def update_templates():
    school = _school()
    form = TemplatesForm()
    if not form.validate_on_submit():
        choices = templates.template_choices(school=school)
        return _templates_page(form, school, choices, status=422)
    changes = templates.save_templates(
        school=school, user_id=current_user.id, choices=form.values()
    )
    db.session.commit()
    flash(_("Templates saved.") if changes else _("Nothing changed."))
    return redirect(url_for(".edit_templates"))


@bp.post("/templates/sync")
@admin_only
def sync_templates():
    """Submit the shipped templates Meta lacks and read back what it holds."""
    school = _school()
    try:
        report = template_sync.sync_templates(
            school=school, graph=current_graph(), user_id=current_user.id
        )
    except SetupError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".edit_templates"))
    db.session.commit()
    if report.submitted:
        review_later()
    flash(_sync_summary(report), "error" if report.failed else "message")
    return redirect(url_for(".edit_templates"))


def _sync_summary(report) -> str:
    text = _(
        "Submitted %(submitted)s, already at Meta %(found)s, approved %(approved)s.",
        submitted=len(report.submitted),
        found=len(report.found),
        approved=report.approved,
    )
    if report.failed:
        refused = "; ".join(f"{name} ({lang}): {why}" for name, lang, why in report.failed)
        text += " " + _("Meta refused: %(which)s", which=refused)
    return text


def _year_page(form, school, status=200):
    return render_page(
        "settings/school_year.html",
        form=form,
        school=school,
        summary=summaries.current(school.id),
        status=status,
    )


@bp.get("/school-year")
@admin_only
def school_year_settings():
    school = _school()
    summary = summaries.current(school.id)
    data = {
        "digest_at": school.digest_at,
        "daily_cap": school.daily_cap,
        "absence_alert_days": school.absence_alert_days,
        "summary_on": summary is not None,
        "summary_at": summary.at if summary else summaries.DEFAULT_AT,
    }
    return _year_page(SchoolYearForm(data=data), school)


@bp.post("/school-year")
@admin_only
def update_school_year():
    school = _school()
    form = SchoolYearForm()
    change = partial(school_year.update_school_year, school=school)
    saved, changes = apply_form(form, change)
    if saved:
        wake_senders()  # held messages go now when the digest was switched off
        flash(_("Settings saved.") if changes else _("Nothing changed."))
        return redirect(url_for(".school_year_settings"))
    return _year_page(form, _school(), status=422)


def _reports_page(form, school, status=200):
    form.set_teachers(
        db.session.scalars(
            sa.select(Teacher)
            .where(Teacher.school_id == school.id, Teacher.active)
            .order_by(Teacher.name, Teacher.id)
        )
    )
    return render_page("settings/reports.html", form=form, school=school, status=status)


@bp.get("/reports")
@admin_only
def report_settings():
    school = _school()
    data = {
        "reach_target": school.reach_target,
        "summary_teacher_id": school.summary_teacher_id or 0,
        "summary_weekday": school.summary_weekday,
        "summary_at": school.summary_at,
    }
    return _reports_page(ReportSettingsForm(data=data), school)


@bp.post("/reports")
@admin_only
def update_report_settings():
    school = _school()
    form = ReportSettingsForm()
    _reports_page(form, school)  # the teachers to choose from, before validating
    saved, changes = apply_form(form, partial(settings.update_reports, school=school))
    if saved:
        flash(_("Settings saved.") if changes else _("Nothing changed."))
        return redirect(url_for(".report_settings"))
    return _reports_page(form, _school(), status=422)
