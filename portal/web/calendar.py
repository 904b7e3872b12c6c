"""The school calendar: a Bikram Sambat month with AD dates beside, its holidays and marked
days; adding, changing and removing days and ranges; Nepal's public holidays filled in for
a year; the calendar as CSV."""

from babel.dates import format_date
from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.lexicon.numerals import localize_digits
from portal.models import Holiday
from portal.services.calendar import calendar_csv, holidays, months
from portal.services.calendar.public_holidays import bs_year_span
from portal.services.common.dates import format_bs_month, format_bs_short, to_bs
from portal.services.schedules import describe
from portal.web.attendance import BS_YEARS, month_asked
from portal.web.calendar_form import CalendarImportForm, HolidayForm
from portal.web.htmx import render_page
from portal.web.i18n import locale_code, number
from portal.web.tenancy import get_scoped_or_404, roster_editor, school_id, school_member

bp = Blueprint("calendar", __name__, url_prefix="/calendar")
ERRORS_SHOWN = 100


def _page(form=None, *, status=200, import_form=None, report=None, month=None):
    year, number = month or month_asked()
    shown = months.month_of(school_id(), year, number)
    return render_page(
        "calendar/index.html",
        status=status,
        month=shown,
        entries=holidays.between(school_id(), shown.first, shown.last),
        prefilled=holidays.is_prefilled(school_id(), year),
        form=form or HolidayForm(formdata=None),
        import_form=import_form or CalendarImportForm(formdata=None),
        report=report,
        errors_shown=ERRORS_SHOWN,
    )


@bp.get("/")
@school_member
def index():
    return _page()


@bp.post("/")
@roster_editor
def create():
    form = HolidayForm()
    if form.validate_on_submit():
        try:
            holiday = holidays.add_holiday(
                school_id=school_id(), user_id=current_user.id, **form.values()
            )
        except holidays.HolidayError as error:
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Added to the calendar."))
            return redirect(_month_url(holiday.starts_on))
    db.session.rollback()
    return _page(form, status=422, month=_form_month(form))


def _form_month(form) -> tuple[int, int] | None:
    if form.starts_on.data is None:
        return None
    bs = to_bs(form.starts_on.data)
    return bs.year, bs.month


def _month_url(day) -> str:
    bs = to_bs(day)
    return url_for(".index", month=f"{bs.year}-{bs.month:02d}")


@bp.get("/<int:holiday_id>/edit")
@roster_editor
def edit(holiday_id):
    holiday = get_scoped_or_404(Holiday, holiday_id)
    return render_page("calendar/edit.html", holiday=holiday, form=HolidayForm(obj=holiday))


@bp.post("/<int:holiday_id>")
@roster_editor
def update(holiday_id):
    holiday = get_scoped_or_404(Holiday, holiday_id)
    form = HolidayForm()
    if form.validate_on_submit():
        try:
            changes = holidays.update_holiday(
                holiday=holiday, user_id=current_user.id, **form.values()
            )
        except holidays.HolidayError as error:
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Saved.") if changes else _("Nothing changed."))
            return redirect(_month_url(holiday.starts_on))
    db.session.rollback()
    holiday = get_scoped_or_404(Holiday, holiday_id)
    return render_page("calendar/edit.html", holiday=holiday, form=form, status=422)


@bp.post("/<int:holiday_id>/delete")
@roster_editor
def delete(holiday_id):
    holiday = get_scoped_or_404(Holiday, holiday_id)
    back = _month_url(holiday.starts_on)
    holidays.remove_holiday(holiday=holiday, user_id=current_user.id)
    db.session.commit()
    flash(_("Removed from the calendar."))
    return redirect(back)


@bp.post("/prefill")
@roster_editor
def prefill():
    """Nepal's public holidays for the Bikram Sambat year shown (once per year)."""
    year = request.form.get("year", type=int) or month_asked()[0]
    if year not in BS_YEARS:
        abort(404)
    added = holidays.prefill_year(school_id=school_id(), bs_year=year, user_id=current_user.id)
    db.session.commit()
    if added:
        flash(
            _(
                "Added %(n)s public holidays. Check the lunar dates against this year's list.",
                n=number(added),
            )
        )
    else:
        flash(_("This year's public holidays were filled in before."))
    return redirect(url_for(".index", month=request.form.get("month", "")))


@bp.get("/<int:year>.csv")
@school_member
def export(year):
    if year not in BS_YEARS:
        abort(404)
    first, last = bs_year_span(year)
    text = calendar_csv.export_csv(school_id(), first, last)
    disposition = f"attachment; filename=calendar-{year}.csv"
    return Response(
        text,  # with its BOM
        mimetype="text/csv",
        headers={"Content-Disposition": disposition},
    )


@bp.post("/import")
@roster_editor
def import_file():
    form = CalendarImportForm()
    if not form.validate_on_submit() or not form.file.data:
        form.file.errors = [*form.file.errors, _("Choose a CSV file.")]
        return _page(import_form=form, status=422)
    report = calendar_csv.import_csv(
        school_id=school_id(), data=form.file.data.read(), user_id=current_user.id
    )
    if not report.ok:
        db.session.rollback()
        return _page(import_form=form, report=report, status=422)
    db.session.commit()
    flash(
        _(
            "Imported: %(added)s added, %(same)s already there.",
            added=number(report.added),
            same=number(report.unchanged),
        )
    )
    return redirect(url_for(".index"))


@bp.app_template_filter("bs_month")
def bs_month(day) -> str:
    """`Mangsir 2082` / `मंसिर २०८२`."""
    return format_bs_month(day, locale_code())


@bp.app_template_filter("bs_short")
def bs_short(day) -> str:
    """`5 Mangsir` / `मंसिर ५`."""
    return format_bs_short(day, locale_code())


@bp.app_template_filter("ad_month")
def ad_month(day) -> str:
    """`Nov 2025` in the reader's language."""
    locale = locale_code()
    return localize_digits(format_date(day, "MMM y", locale=locale), locale)


@bp.app_template_filter("ad_short")
def ad_short(day) -> str:
    """`23 Nov` in the reader's language."""
    locale = locale_code()
    return localize_digits(format_date(day, "d MMM", locale=locale), locale)


@bp.app_template_global("weekday_names")
def weekday_names() -> list[str]:
    """Sunday to Saturday, as Nepal's week runs."""
    return [describe.weekday_name(day, locale_code()) for day in (6, 0, 1, 2, 3, 4, 5)]
