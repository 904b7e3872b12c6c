"""HTMX helpers: a page or just one of its blocks, from the same template."""

from flask import make_response, render_template, request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    """True for a request HTMX made itself (not a boosted full-page navigation)."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


def render_page(template: str, *, block: str | None = None, status: int = 200, **context):
    """The whole page, or only `block` when HTMX asked for a fragment."""
    if block and is_htmx():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def render_form_errors(template: str, **context):
    """A form with its errors, as 422 so HTMX knows to swap it (see htmx config in base.html)."""
    return render_page(template, status=422, **context)
