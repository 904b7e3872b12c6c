"""/api/v1/reports/<name>.csv: a report's table for other programs (same bearer tokens), for
the period `from`–`to` (YYYY-MM-DD, in `calendar` bs or ad; AD when absent; this BS month
when both are absent), UTF-8 with a BOM, in the reader's language."""

from flask import Blueprint, g, request

from portal.api.auth import error, require_token
from portal.extensions import csrf
from portal.services.common import clock, spreadsheet
from portal.services.common.dates import NEPAL
from portal.services.reports import periods, tables

bp = Blueprint("api_reports", __name__, url_prefix="/api/v1/reports")
csrf.exempt(bp)
bp.before_request(require_token)


@bp.get("/<name>.csv")
def table_csv(name: str):
    if name not in tables.NAMES:
        return error(
            404, "not_found", f"There is no report table {name!r}: {', '.join(tables.NAMES)}."
        )
    try:
        period = periods.read(request.args, clock.now().astimezone(NEPAL).date())
    except periods.PeriodError as problem:
        return error(400, "invalid_period", str(problem), fields={"from": [str(problem)]})
    header, rows = tables.table(name, g.api_school, period)
    return spreadsheet.download(header, rows, tables.filename(name, period))
