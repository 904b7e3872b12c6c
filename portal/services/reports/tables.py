"""Every table of a report as a spreadsheet's header and rows, in the reader's language, for
the portal's downloads and `GET /api/v1/reports/<name>.csv`: the funnel over time, by class,
grade, teacher and kind, each broadcast's timing, costs, STOP and START over time, failed
messages with the guardians affected, the guardians who read nothing, and the opt-out list."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from portal.lexicon import classnames
from portal.models import Broadcast, School
from portal.services.common.dates import NEPAL, format_bs
from portal.services.delivery import reasons
from portal.services.reports import guardians, reach, subscriptions
from portal.services.reports.periods import Period
from portal.services.reports.tallies import Counts
from portal.services.wording.parent_messages import KIND_LABELS

COUNT_HEADER = (
    _l("Targeted"),
    _l("Sent"),
    _l("Delivered"),
    _l("Read"),
    _l("Seen"),
    _l("Failed"),
    _l("Skipped"),
    _l("Still on its way"),
    _l("Delivered within 5 minutes"),
)
NAMES = (
    "funnel",
    "classes",
    "grades",
    "teachers",
    "kinds",
    "broadcasts",
    "costs",
    "subscriptions",
    "failures",
    "never-read",
    "opt-outs",
)


def counts_cells(counts: Counts) -> list[int]:
    return [
        counts.targeted,
        counts.sent,
        counts.delivered,
        counts.read,
        counts.acknowledged,
        counts.failed,
        counts.skipped,
        counts.pending,
        counts.prompt,
    ]


def title(broadcast: Broadcast, locale: str, length: int = 60) -> str:
    """A broadcast as a report names it: its subject, else the start of its text."""
    text = broadcast.subject or (
        (broadcast.body_ne or broadcast.body_en)
        if locale == "ne"
        else (broadcast.body_en or broadcast.body_ne)
    )
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


def author(broadcast: Broadcast) -> str:
    teacher = broadcast.author_teacher
    return teacher.name if teacher is not None else str(_l("Office"))


def day_cell(day: date, locale: str) -> str:
    """A day in both calendars: `2083-08-16 (16 Mangsir 2083)`."""
    return f"{day.isoformat()} ({format_bs(day, locale)})"


def moment_cell(moment: datetime | None) -> str:
    return moment.astimezone(NEPAL).isoformat(timespec="seconds") if moment else ""


def table(name: str, school: School, period: Period) -> tuple[tuple, list[list]]:
    """A report table's header and rows; KeyError for a name there is none of."""
    locale = reasons.reader_locale()
    if name in ("subscriptions", "opt-outs"):
        return _SUBSCRIPTION_TABLES[name](school, period, locale)
    if name in ("failures", "never-read"):
        return _GUARDIAN_TABLES[name](school, period, locale)
    report = reach.load(school, period)
    return _REACH_TABLES[name](report, locale)


def _funnel(report: reach.Report, locale: str):
    header = (_l("Week from") if report.period.by_week else _l("Day"), *COUNT_HEADER)
    return header, [[day_cell(day, locale), *counts_cells(c)] for day, c in report.over_time()]


def _classes(report: reach.Report, locale: str):
    rows = [
        [c.name_ne if locale == "ne" else c.name, *counts_cells(counts)]
        for c, counts in report.classes
    ]
    return (_l("Class"), *COUNT_HEADER), rows


def _grades(report: reach.Report, locale: str):
    rows = [[classnames.grade_name(g, locale), *counts_cells(c)] for g, c in report.grades]
    return (_l("Grade"), *COUNT_HEADER), rows


def _teachers(report: reach.Report, locale: str):
    rows = [
        [t.name if t is not None else str(_l("Office")), n, *counts_cells(c)]
        for t, n, c in report.by_teacher()
    ]
    return (_l("Written by"), _l("Broadcasts"), *COUNT_HEADER), rows


def _kinds(report: reach.Report, locale: str):
    rows = [[KIND_LABELS.get(k, k), n, *counts_cells(c)] for k, n, c in report.by_kind()]
    return (_l("Kind"), _l("Broadcasts"), *COUNT_HEADER), rows


def _broadcasts(report: reach.Report, locale: str):
    header = (
        _l("Broadcast"),
        _l("Started"),
        _l("Kind"),
        _l("Written by"),
        _l("Title"),
        *COUNT_HEADER,
        _l("Reached within 5 minutes (%)"),
        _l("Median seconds to deliver"),
        _l("95th percentile seconds to deliver"),
        _l("Below the target"),
    )
    rows = []
    for line in report.lines:
        b, share = line.broadcast, line.reach_share()
        rows.append(
            [
                b.id,
                moment_cell(b.started_at),
                KIND_LABELS.get(b.kind, b.kind),
                author(b),
                title(b, locale),
                *counts_cells(line.counts),
                "" if share is None else f"{share * 100:.1f}",
                "" if line.p50_seconds is None else line.p50_seconds,
                "" if line.p95_seconds is None else line.p95_seconds,
                _l("yes") if line.below(report.target) else "",
            ]
        )
    return header, rows


def _costs(report: reach.Report, locale: str):
    currency = report.school.currency
    header = (
        _l("Category"),
        _l("Free"),
        _l("Charged"),
        _l("Cost (%(currency)s)", currency=currency),
    )
    rows = [
        [reasons.PRICING_CATEGORY_LABELS.get(c.category, c.category), c.free, c.paid, c.amount]
        for c in report.costs()
    ]
    return header, rows


def _subscriptions(school: School, period: Period, locale: str):
    found = subscriptions.load(school.id, period)
    header = (_l("Week from") if period.by_week else _l("Day"), _l("Stopped"), _l("Started again"))
    return header, [[day_cell(day, locale), s, st] for day, s, st in found.over_time]


def _opt_outs(school: School, period: Period, locale: str):
    header = (
        _l("Guardian"),
        _l("Phone or WhatsApp user ID"),
        _l("Opted out"),
        _l("By the office"),
        _l("After broadcast"),
        _l("Title"),
    )
    rows = []
    for guardian, change in subscriptions.opted_out(school.id):
        after = change.after_broadcast if change is not None else None
        rows.append(
            [
                guardian.name,
                guardian.phone or guardian.user_id or "",
                moment_cell(guardian.opted_out_at),
                _l("yes") if change is not None and change.by_office else "",
                after.id if after is not None else "",
                title(after, locale) if after is not None else "",
            ]
        )
    return header, rows


def _failures(school: School, period: Period, locale: str):
    header = (
        _l("Guardian"),
        _l("Phone or WhatsApp user ID"),
        _l("Reason"),
        _l("Failed messages"),
        _l("Last failed"),
    )
    rows = [
        [f.guardian.name, f.guardian.phone or f.guardian.user_id or "", f.reason, f.count]
        + [moment_cell(f.last_at)]
        for f in guardians.failures(school.id, period)
    ]
    return header, rows


def _never_read(school: School, period: Period, locale: str):
    header = (_l("Guardian"), _l("Phone or WhatsApp user ID"), _l("Sent"), _l("Delivered"))
    rows = [
        [u.guardian.name, u.guardian.phone or u.guardian.user_id or "", u.messaged, u.delivered]
        for u in guardians.never_read(school.id, period)
    ]
    return header, rows


_REACH_TABLES = {
    "funnel": _funnel,
    "classes": _classes,
    "grades": _grades,
    "teachers": _teachers,
    "kinds": _kinds,
    "broadcasts": _broadcasts,
    "costs": _costs,
}
_SUBSCRIPTION_TABLES = {"subscriptions": _subscriptions, "opt-outs": _opt_outs}
_GUARDIAN_TABLES = {"failures": _failures, "never-read": _never_read}


def filename(name: str, period: Period) -> str:
    return f"report-{name}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
