"""What no request may bring in, checked before any view: a NUL in a parameter or form value
(no database text can hold it), an id in the path beyond a 64-bit integer, and any value
the database refuses to compare or store (a page number of 10**20). Each is the client's
mistake: a clear 400 in the page's or the API's error format, never a 500."""

import logging

from flask import Flask, abort, request
from sqlalchemy.exc import DataError, StatementError
from werkzeug.routing import IntegerConverter

from portal.extensions import db
from portal.web.error_pages import render_error

log = logging.getLogger(__name__)
INT64 = 2**63 - 1


class BoundedInt(IntegerConverter):
    """`<int:id>` that matches only ids a database column can hold (others are a 404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INT64)
        super().__init__(map, *args, **kwargs)


def _has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in v for v in vs) for key, vs in values.lists())


def refuse_unstorable():
    """400 for a NUL anywhere in the query string or a form's fields."""
    form = request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
    if _has_nul(request.args) or (form and _has_nul(request.form)):
        abort(400)


def out_of_range(error):
    """A value the database cannot hold in a comparison or a column: the client's mistake."""
    db.session.rollback()
    log.warning("refused a value out of the database's range: %s", type(error).__name__)
    return render_error(400)


def _is_range_error(error: Exception) -> bool:
    orig = getattr(error, "orig", None)
    return isinstance(error, OverflowError) or isinstance(orig, OverflowError)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedInt
    app.before_request(refuse_unstorable)
    app.register_error_handler(DataError, out_of_range)
    app.register_error_handler(OverflowError, out_of_range)

    @app.errorhandler(StatementError)
    def statement_error(error):
        if isinstance(error, DataError) or _is_range_error(error):
            return out_of_range(error)
        raise error
