"""Security headers on every response (`portal.headers`): a strict CSP and friends."""

from flask import Flask, request

from portal.headers import security_headers


def init_app(app: Flask) -> None:
    defaults = security_headers(production=app.config["SANDESH_ENV"] == "production")

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        for name, value in defaults:
            headers.setdefault(name, value)
        if request.headers.get("HX-Request") or response.mimetype == "text/html":
            response.vary.add("HX-Request")
        return response
