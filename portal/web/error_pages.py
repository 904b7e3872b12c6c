"""Error pages in the reader's language, and JSON errors for the API."""

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

from portal.services.media.refusals import human_size

MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You do not have permission to see this page."),
    404: _l("There is nothing here. The link may be old, or the item belongs to another school."),
    405: _l("That action is not allowed here."),
    413: _l("The file is too large. The limit is %(limit)s."),
    429: _l("Too many attempts. Please wait a little and try again."),
    500: _l("Something went wrong on our side. Nothing you entered was lost; please try again."),
}


# The API's error codes for each status (the documented {"error": {code, message, fields}}).
CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "too_many_requests",
    500: "server_error",
}


def _render(code: int, message):
    if code == 413:  # the limit of this request: a form's, or an attachment's
        message = str(message) % {"limit": human_size(request.max_content_length or 0)}
    if request.path.startswith("/api/") or request.path.startswith("/webhooks/"):
        error = {"code": CODES.get(code, str(code)), "message": str(message), "fields": {}}
        return {"error": error}, code
    return render_template("errors/error.html", code=code, message=message), code


def render_error(code: int):
    """The error page (or the API's JSON error) for this status, as its handler gives it."""
    return _render(code, MESSAGES[code])


def init_app(app: Flask) -> None:
    for code in MESSAGES:
        app.register_error_handler(code, lambda e, code=code: _render(code, MESSAGES[code]))

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return _render(
            400, _l("This form has expired. Please go back, reload the page and try again.")
        )
