"""Fingerprinted static files: `?v=<content hash>` in every URL, cached for a year.

On a 2G link every byte and every round trip shows, so static files are served from memory,
compressed once at brotli's best (and gzip's, for browsers without br), with nothing that
would make a browser ask again: no `Vary: Cookie` (they are the same for everyone, so the
session is neither read into the answer nor set by it), no `Expires` beside the max-age,
and a strong ETag from the content hash for the rare revalidation (a reload), answered 304
with the same headers. Full pages name their stylesheet and script (htmx and the portal's
own, served as one file) in a `Link: rel=preload` header, so the browser asks for them as
soon as the page's headers arrive.
"""

import gzip
import hashlib
import mimetypes
from pathlib import Path

import brotli
from flask import Flask, Response, request, url_for
from flask.sessions import SecureCookieSessionInterface

ONE_YEAR = 365 * 24 * 3600
FOR_A_YEAR = f"public, max-age={ONE_YEAR}, immutable"
# Files served as one, made of others in this order: each request of a first visit costs
# the 50 kbit/s uplink about 100 ms of headers, so the portal's own script rides with htmx.
BUNDLES = {"portal.js": ("vendor/htmx-2.0.11.min.js", "app.js")}
# What every full page loads (templates/base.html), preloaded in this order.
PRELOADED = (("app.css", "style"), ("portal.js", "script"))
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


class StaticFile:
    """One file of static/ (or a bundle of them): its bytes, content hash and compressed
    forms (made once)."""

    def __init__(self, name: str, data: bytes):
        self.data = data
        self.version = hashlib.sha256(self.data).hexdigest()[:12]
        self.mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self._encoded: dict[str, bytes] = {}

    def body(self, accept_encoding) -> tuple[str | None, bytes]:
        """The smallest form this client takes: (content coding or None, bytes)."""
        if not self.mimetype.startswith(COMPRESSIBLE) or len(self.data) < 256:
            return None, self.data
        for coding in ("br", "gzip"):
            if accept_encoding[coding]:
                if coding not in self._encoded:
                    self._encoded[coding] = _compress(self.data, coding)
                return coding, self._encoded[coding]
        return None, self.data


def _compress(data: bytes, coding: str) -> bytes:
    if coding == "br":
        return brotli.compress(data, quality=11)
    return gzip.compress(data, compresslevel=9, mtime=0)


def _static_files(static_folder: str) -> dict[str, StaticFile]:
    root = Path(static_folder)
    files = {
        path.relative_to(root).as_posix(): StaticFile(path.name, path.read_bytes())
        for path in root.rglob("*")
        if path.is_file()
    }
    for name, parts in BUNDLES.items():
        files[name] = StaticFile(name, bundle(files[part].data for part in parts))
    return files


def bundle(scripts) -> bytes:
    """Scripts joined into one, each ended (a minified file may lack its last semicolon)."""
    return b"".join(script.rstrip() + b";\n" for script in scripts)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, left out of static files' answers: they are the same
    for everyone, and a `Vary: Cookie` makes the browser ask for them again whenever the
    session cookie changes (signing in, choosing a language), cached for a year or not."""

    def save_session(self, app, session, response):
        if request.endpoint == "static":
            return
        super().save_session(app, session, response)


def serve_static(files: dict[str, StaticFile], fallback):
    """The static endpoint: a file from memory with the headers described above."""

    def static(filename):
        file = files.get(filename)
        if file is None:  # added since the app started (development): Flask's own way
            return fallback(filename)
        coding, body = file.body(request.accept_encodings)
        response = Response(body, mimetype=file.mimetype)
        if coding:
            response.headers["Content-Encoding"] = coding
        response.vary.add("Accept-Encoding")
        response.set_etag(f"{file.version}-{coding or 'identity'}")
        fresh = request.args.get("v") == file.version
        response.headers["Cache-Control"] = FOR_A_YEAR if fresh else "no-cache"
        return response.make_conditional(request)

    return static


def init_app(app: Flask) -> None:
    """Serve static files as above, add the content hash to their URLs and the preload
    header to full pages; pages themselves are never cached without asking."""
    files = _static_files(app.static_folder)
    app.view_functions["static"] = serve_static(files, app.send_static_file)
    app.session_interface = SessionInterface()

    @app.url_defaults
    def add_fingerprint(endpoint, values):
        if endpoint == "static" and "filename" in values:
            file = files.get(values["filename"])
            if file:
                values.setdefault("v", file.version)

    @app.after_request
    def cache_pages(response):
        if response.mimetype == "text/html" and request.endpoint != "static":
            if "Cache-Control" not in response.headers:
                response.cache_control.no_cache = True  # pages: always the current version
                response.cache_control.private = True
            if response.status_code == 200 and not request.headers.get("HX-Request"):
                response.headers["Link"] = preload_header()
        return response


def preload_header() -> str:
    return ", ".join(
        f"<{url_for('static', filename=name)}>; rel=preload; as={kind}" for name, kind in PRELOADED
    )
