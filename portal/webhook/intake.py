"""The webhook's POST without the portal's request machinery.

Meta posts every status of every message here, a thousand a second for a busy school: a
request context (the session cookie, CSRF, the reader's language, the pages' hooks) cost
more than checking the signature and storing the body. This WSGI layer answers a POST to
the webhook itself, in an app context, through the view's own `accept`, with the same
security headers; whatever it does not expect (no length given, over the limit) goes on
to Flask, whose view answers it as before.
"""

import json

from flask import Flask

from portal.headers import security_headers
from portal.webhook import accept

PATH = "/webhooks/whatsapp"
STATUS = {200: "200 OK", 401: "401 UNAUTHORIZED", 503: "503 SERVICE UNAVAILABLE"}


class Intake:
    """WSGI middleware: POST /webhooks/whatsapp answered here, everything else by Flask."""

    def __init__(self, app: Flask, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.headers = security_headers(production=app.config["SANDESH_ENV"] == "production")

    def __call__(self, environ, start_response):
        length = environ.get("CONTENT_LENGTH") or ""
        if (
            environ.get("PATH_INFO") != PATH
            or environ.get("REQUEST_METHOD") != "POST"
            or not length.isdigit()
            or int(length) > (self.app.config["MAX_CONTENT_LENGTH"] or 0)
        ):
            return self.wsgi_app(environ, start_response)
        body = environ["wsgi.input"].read(int(length))  # the raw bytes Meta signed
        with self.app.app_context():
            answer, status = accept(body, environ.get("HTTP_X_HUB_SIGNATURE_256"))
        payload = json.dumps(answer, separators=(",", ":")).encode() + b"\n"
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
        start_response(STATUS[status], headers + list(self.headers))
        return [payload]


def install(app: Flask) -> None:
    """Put the intake in front of the app."""
    app.wsgi_app = Intake(app, app.wsgi_app)
