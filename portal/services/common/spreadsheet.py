"""CSV files for spreadsheets: UTF-8 with a byte-order mark (so Excel reads Nepali as
UTF-8), written row by row as a stream, and safe to open: a cell a spreadsheet would take
for a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed
with `'`, so it shows as the text it is (OWASP's advice on CSV injection)."""

import csv
import io
from collections.abc import Iterable, Iterator

from flask import Response, stream_with_context

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A cell as text that no spreadsheet evaluates (None is an empty cell)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def as_written(cell: str) -> str:
    """A cell read back from a file `safe_cell` wrote: without the quote it added."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def csv_lines(header: Iterable, rows: Iterable[Iterable]) -> Iterator[str]:
    """The file, a line at a time: the BOM and the header first, then each row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(cell) for cell in header])
    yield BOM + _take(out)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        yield _take(out)


def _take(out: io.StringIO) -> str:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text


def download(header: Iterable, rows: Iterable[Iterable], filename: str) -> Response:
    """The file as a download, streamed while the request's session reads the rows."""
    return Response(
        stream_with_context(csv_lines(header, rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
