"""Broadcasts: the list, composing with a preview as parents will see it, and a broadcast's
live progress, per-guardian status and failures by reason."""

from babel.dates import format_timedelta
from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import escape
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.lexicon import classnames
from portal.lexicon.numerals import localize_digits
from portal.models import Broadcast, BroadcastStatus, School, Source
from portal.services.broadcasting import (
    broadcasts,
    delivery_counts,
    delivery_export,
    preview,
    submissions,
    targets,
    tracking,
)
from portal.services.calendar import days, holidays
from portal.services.common import audit, clock, dates, spreadsheet
from portal.services.delivery import reasons
from portal.services.media import files
from portal.services.wording.parent_messages import KIND_LABELS
from portal.tasks.delivery import enqueue_start
from portal.web import attachments, broadcast_labels
from portal.web.broadcast_form import BroadcastForm, parse_date
from portal.web.htmx import is_htmx, render_page
from portal.web.i18n import locale_code
from portal.web.submitted import commit_once, submission_key
from portal.web.tenancy import get_scoped_or_404, roster_editor, school_id, school_member, scoped

bp = Blueprint("broadcasts", __name__, url_prefix="/broadcasts")


@bp.get("/")
@school_member
def index():
    query = (
        scoped(Broadcast).order_by(Broadcast.id.desc()).options(selectinload(Broadcast.media_file))
    )
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"])
    shown = delivery_counts.of_broadcasts([b.id for b in page.items])
    return render_page("broadcasts/index.html", block="rows", page=page, counts=shown)


def _compose(form: BroadcastForm, *, status: int = 200, block: str | None = None, **extra):
    return render_page(
        "broadcasts/new.html",
        block=block,
        status=status,
        form=form,
        grades=targets.target_choices(school_id()),
        max_body=broadcasts.MAX_BODY,
        bs=_bs_label(form.send_date.data),
        holidays_near=holidays.upcoming(school_id()),
        **extra,
    )


@bp.get("/new")
@roster_editor
def new():
    form = BroadcastForm(formdata=None)
    form.send_date.data = clock.now().astimezone(dates.NEPAL).date().isoformat()
    form.submission.data = submissions.new_token()
    return _compose(form)


@bp.post("/new")
@roster_editor
def create():
    attachments.allow_upload()
    form = BroadcastForm()
    school = db.session.get(School, school_id())
    sending = request.form.get("action") != "preview"
    key = submission_key("broadcast", form.submission.data)
    if sending and key and (made := submissions.made_by(school.id, key, Broadcast)):
        return _sent_before(made)
    broadcast, requested = _draft(form, school)
    if broadcast is None:
        db.session.rollback()
        return _invalid(form)
    if not sending:
        return _preview(form, broadcast, school, requested)
    return _send(broadcast, key)


def _draft(form: BroadcastForm, school: School):
    """The broadcast the form asks for, checked by the service (not yet committed), and the
    time asked for; (None, None) with the form's errors set when it cannot be made."""
    if not form.validate_on_submit():
        return None, None
    media = attachments.take(form, school)
    if media is False:
        return None, None
    try:
        requested = form.requested_time()
        broadcast = broadcasts.create_broadcast(
            school=school,
            source=Source.PORTAL,
            scheduled_at=requested,
            author_user_id=current_user.id,
            media_file_id=media.id if media else None,
            **form.values(),
        )
    except broadcasts.BroadcastError as error:
        form.add_error(error)
        return None, None
    return broadcast, requested


def _invalid(form: BroadcastForm):
    """The form again with its errors; an HTMX preview swaps the whole form to show them."""
    response = _compose(form, status=422, block="compose")
    if is_htmx():
        response.headers["HX-Retarget"] = "#compose"
        response.headers["HX-Reswap"] = "outerHTML"
    return response


def _preview(form, broadcast, school, requested):
    """Who and what, as the broadcast would go now; nothing is kept."""
    shown = preview.preview(broadcast, school=school, requested=requested)
    media_id = broadcast.media_file_id
    db.session.rollback()
    media = files.of_school(school.id, media_id) if media_id else None
    lines = {
        "limit_line": preview.limit_words(shown, locale_code()),
        "cost_line": preview.cost_words(shown, locale_code()),
    }
    return _compose(form, block="preview", preview=shown, media=media, **lines)


def _send(broadcast: Broadcast, key: str | None):
    broadcasts.record_created(broadcast, user_id=current_user.id)
    if earlier := commit_once(broadcast, key, Broadcast):  # the page's other Send was first
        return _sent_before(earlier)
    enqueue_start(broadcast)
    if broadcast.scheduled_at > clock.now():
        flash(_("Scheduled for %(when)s.", when=_datetime(broadcast.scheduled_at)))
    else:
        flash(_("Sending now."))
    return redirect(url_for(".show", broadcast_id=broadcast.id))


def _sent_before(broadcast: Broadcast):
    """The broadcast this compose page already made, opened instead of sending it again."""
    flash(_("This message was already sent from this page; it was not sent again."))
    return redirect(url_for(".show", broadcast_id=broadcast.id))


@bp.get("/bs-date")
@roster_editor
def bs_date():
    """The Bikram Sambat date beside the date box, as the date changes."""
    return escape(_bs_label(request.args.get("send_date")) or "")


def _bs_label(text: str | None) -> str | None:
    """A typed date in both calendars, or why it is not a date (None when nothing is typed)."""
    if not text:
        return None
    try:
        day = parse_date(text)
    except broadcasts.BroadcastError as error:
        return str(error)
    label = dates.format_dual_date(day, locale_code())
    holiday = days.holiday_on(school_id(), day)
    if holiday is None:
        return label
    return _("%(date)s — holiday: %(holiday)s", date=label, holiday=holiday.label(locale_code()))


@bp.get("/<int:broadcast_id>")
@school_member
def show(broadcast_id):
    broadcast = get_scoped_or_404(Broadcast, broadcast_id)
    return render_page(
        "broadcasts/show.html",
        broadcast=broadcast,
        failures=tracking.failures(broadcast.id),
        charges=tracking.charges(broadcast),
        **_progress_context(broadcast),
        **_rows_context(broadcast),
    )


@bp.get("/<int:broadcast_id>/progress")
@school_member
def progress(broadcast_id):
    broadcast = get_scoped_or_404(Broadcast, broadcast_id)
    if not is_htmx():
        return redirect(url_for(".show", broadcast_id=broadcast.id))
    context = _progress_context(broadcast)
    return render_page("broadcasts/show.html", block="progress", broadcast=broadcast, **context)


@bp.get("/<int:broadcast_id>/rows")
@school_member
def rows(broadcast_id):
    broadcast = get_scoped_or_404(Broadcast, broadcast_id)
    if not is_htmx():
        kept = {k: request.args[k] for k in ("q", "page") if request.args.get(k)}
        return redirect(url_for(".show", broadcast_id=broadcast.id, **kept))
    context = _rows_context(broadcast)
    return render_page("broadcasts/show.html", block="rows", broadcast=broadcast, **context)


@bp.get("/<int:broadcast_id>/deliveries.csv")
@school_member
def deliveries_csv(broadcast_id):
    broadcast = get_scoped_or_404(Broadcast, broadcast_id)
    return spreadsheet.download(
        delivery_export.HEADER, delivery_export.rows(broadcast), delivery_export.filename(broadcast)
    )


@bp.post("/<int:broadcast_id>/cancel")
@roster_editor
def cancel(broadcast_id):
    broadcast = get_scoped_or_404(Broadcast, broadcast_id)
    before = broadcast.status
    if broadcasts.cancel(broadcast):
        audit.record(
            school_id=broadcast.school_id,
            user_id=current_user.id,
            action="broadcast.cancel",
            target=broadcast,
            changes={"status": [before, broadcast.status]},
        )
        db.session.commit()
        flash(_("Cancelled. Parents who have not received it yet will not get it."))
    else:
        flash(_("It can no longer be cancelled: it has finished or was cancelled."), "error")
    return redirect(url_for(".show", broadcast_id=broadcast.id))


def _progress_context(broadcast: Broadcast) -> dict:
    tally = delivery_counts.of_broadcast(broadcast.id)
    done = broadcast.status == BroadcastStatus.COMPLETED
    return {
        "counts": tally,
        "bar": broadcast_labels.bar(tally),
        "live": broadcast.status in broadcast_labels.LIVE,
        "poll": broadcast_labels.poll_seconds(broadcast, tally, clock.now()),
        "reach": tracking.reach(tally) if done else None,
        "took": _duration(tracking.time_to_deliver(broadcast)) if done else None,
        "paused": broadcast.school.sending_paused_at is not None,
    }


def _rows_context(broadcast: Broadcast) -> dict:
    q = request.args.get("q", "").strip()
    query = tracking.delivery_rows(broadcast_id=broadcast.id, q=q)
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"])
    return {"page": page, "children": tracking.children_of(page.items), "q": q}


def _duration(delta) -> str | None:
    if delta is None:
        return None
    locale = locale_code()
    text = format_timedelta(delta, threshold=2, granularity="second", locale=locale)
    return localize_digits(text, locale)


def _datetime(moment) -> str:
    return dates.format_dual_datetime(moment, locale_code())


@bp.app_template_filter("broadcast_status")
def broadcast_status(status: str) -> str:
    return str(broadcast_labels.BROADCAST_STATUS_LABELS.get(status, status))


@bp.app_template_filter("delivery_status")
def delivery_status(status: str) -> str:
    return str(broadcast_labels.DELIVERY_STATUS_LABELS.get(status, status))


@bp.app_template_filter("pricing_category")
def pricing_category(category: str) -> str:
    return str(broadcast_labels.PRICING_CATEGORY_LABELS.get(category, category))


@bp.app_template_filter("broadcast_source")
def broadcast_source(source: str) -> str:
    return str(broadcast_labels.SOURCE_LABELS.get(source, source))


@bp.app_template_filter("kind_label")
def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


@bp.app_template_filter("targets")
def target_list(given: list[str]) -> str:
    return ", ".join(broadcast_labels.target_label(t, locale_code()) for t in given or ())


@bp.app_template_filter("target_label")
def target_label(text: str) -> str:
    return broadcast_labels.target_label(text, locale_code())


@bp.app_template_filter("grade_target")
def grade_target(grade: int) -> str:
    """The target that names every section of a grade or level: `5`, `LKG`."""
    return classnames.name_of(grade)


@bp.app_template_global("delivery_reason")
def delivery_reason(delivery) -> str | None:
    return reasons.delivery_reason(delivery)


@bp.app_template_global("alert_text")
def alert_text(alert) -> str:
    return broadcast_labels.alert_text(alert)
