"""Reports: a period's reach, reads, acknowledgements, opt-outs, failures and cost, as
numbers, SVG charts and tables, and each table as a spreadsheet."""

from flask import Blueprint, Response, abort, request
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.lexicon import classnames
from portal.models import School
from portal.services.common import clock, dates, spreadsheet
from portal.services.delivery import reasons
from portal.services.reports import guardians, periods, reach, subscriptions, tables
from portal.services.wording.parent_messages import KIND_LABELS
from portal.web import charts
from portal.web.htmx import render_page
from portal.web.tenancy import roster_editor, school_id

bp = Blueprint("reports", __name__, url_prefix="/reports")

FUNNEL = (
    ("targeted", _l("Targeted")),
    ("sent", _l("Sent")),
    ("delivered", _l("Delivered")),
    ("read", _l("Read")),
    ("acknowledged", _l("Seen")),
)
OUTCOMES = (
    ("failed", _l("Failed")),
    ("skipped", _l("Skipped")),
    ("pending", _l("Still on its way")),
)
PRESET_LABELS = {
    "month": _l("This month (BS)"),
    "last_month": _l("Last month (BS)"),
    "7": _l("Last 7 days"),
    "30": _l("Last 30 days"),
}
SHOWN = 20  # rows of the longer tables on the page (the spreadsheets have them all)


def period_or_error() -> tuple[periods.Period, str | None]:
    today = clock.now().astimezone(dates.NEPAL).date()
    try:
        return periods.read(request.args, today), None
    except periods.PeriodError as error:
        return periods.preset("month", today), str(error)


@bp.get("/")
@roster_editor
def index():
    school = db.session.get(School, school_id())
    period, error = period_or_error()
    report = reach.load(school, period)
    failed = guardians.failures(school.id, period)
    locale = reasons.reader_locale()
    return render_page(
        "reports/index.html",
        block="report",
        status=422 if error else 200,
        error=error,
        period=period,
        form=_form(period, locale),
        presets=PRESET_LABELS,
        report=report,
        funnel=_funnel(report.funnel),
        outcomes=[(key, label, getattr(report.funnel, key)) for key, label in OUTCOMES],
        over_time=_over_time(report, locale),
        subscriptions=_subscriptions(subscriptions.load(school.id, period), period, locale),
        failures=failed[:SHOWN],
        failures_total=len(failed),
        failure_reasons=guardians.by_reason(failed),
        slow=report.slow(),
        shown=SHOWN,
        title=tables.title,
        rows=_rows(report, locale),
        pricing_labels=reasons.PRICING_CATEGORY_LABELS,
        query=_query(period),
    )


def _rows(report: reach.Report, locale: str) -> dict[str, list]:
    """The breakdowns' rows as (label, broadcasts, counts)."""
    return {
        "classes": [
            (c.name_ne if locale == "ne" else c.name, None, counts) for c, counts in report.classes
        ],
        "grades": [(classnames.grade_name(g, locale), None, c) for g, c in report.grades],
        "teachers": [
            (t.name if t is not None else _l("Office"), n, c) for t, n, c in report.by_teacher()
        ],
        "kinds": [(KIND_LABELS.get(k, k), n, c) for k, n, c in report.by_kind()],
    }


def _form(period: periods.Period, locale: str) -> dict:
    calendar = request.args.get("calendar", "bs")
    calendar = calendar if calendar in periods.CALENDARS else "bs"
    return {
        "calendar": calendar,
        "from": periods.written(period.first, calendar),
        "to": periods.written(period.last, calendar),
    }


def _query(period: periods.Period) -> dict:
    """The period as the spreadsheets' links ask for it (AD, whatever the form showed)."""
    return {"from": period.first.isoformat(), "to": period.last.isoformat(), "calendar": "ad"}


def _funnel(counts) -> list[charts.FunnelBar]:
    steps = [(key, str(label), getattr(counts, key)) for key, label in FUNNEL]
    return charts.funnel(steps, counts.targeted)


def _label_of(locale):
    return lambda day: dates.format_bs_short(day, locale)


def _over_time(report: reach.Report, locale: str) -> dict:
    buckets = report.over_time()
    days = [day for day, _ in buckets]
    series = [
        (key, str(label), [getattr(c, key) for _, c in buckets])
        for key, label in FUNNEL
        if key != "sent"
    ]
    drawn, axis = charts.lines(days, series, _label_of(locale))
    return {
        "rows": buckets,
        "series": drawn,
        "axis": axis,
        "width": charts.WIDTH,
        "height": charts.HEIGHT,
    }


def _subscriptions(found, period, locale: str) -> dict:
    days = [day for day, _, _ in found.over_time]
    stacked = [
        ("stopped", [s for _, s, _ in found.over_time]),
        ("started", [st for _, _, st in found.over_time]),
    ]
    drawn, axis = charts.columns(days, stacked, _label_of(locale))
    return {"found": found, "columns": drawn, "axis": axis}


@bp.get("/<name>.csv")
@roster_editor
def table_csv(name):
    if name not in tables.NAMES:
        abort(404)
    school = db.session.get(School, school_id())
    period, error = period_or_error()
    if error:  # written by hand: the page's own links always carry a readable period
        return Response(error, status=400, mimetype="text/plain")
    header, rows = tables.table(name, school, period)
    return spreadsheet.download(header, rows, tables.filename(name, period))
