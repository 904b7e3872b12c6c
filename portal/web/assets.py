"""Fingerprinted static files: `?v=<content hash>` in every URL, cached for a year."""

import hashlib
from pathlib import Path

from flask import Flask, request

ONE_YEAR = 365 * 24 * 3600


def _fingerprints(static_folder: str) -> dict[str, str]:
    root = Path(static_folder)
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in root.rglob("*")
        if path.is_file()
    }


def init_app(app: Flask) -> None:
    """Add the content hash to static URLs and far-future cache headers to matching requests."""
    fingerprints = _fingerprints(app.static_folder)

    @app.url_defaults
    def add_fingerprint(endpoint, values):
        if endpoint == "static" and "filename" in values:
            version = fingerprints.get(values["filename"])
            if version:
                values.setdefault("v", version)

    @app.after_request
    def cache_static(response):
        if request.endpoint == "static" and response.direct_passthrough:
            _load_into_memory(response)
        if request.endpoint == "static" and response.status_code == 200:
            version = fingerprints.get(request.view_args.get("filename", ""))
            if version and request.args.get("v") == version:
                # This exact content for a year, without asking again (send_file's own
                # `no-cache` would make the browser revalidate on every page).
                response.cache_control.no_cache = None
                response.cache_control.public = True
                response.cache_control.max_age = ONE_YEAR
                response.cache_control.immutable = True
            else:
                response.cache_control.no_cache = True
        elif response.mimetype == "text/html" and "Cache-Control" not in response.headers:
            response.cache_control.no_cache = True  # pages: always the current version
            response.cache_control.private = True
        return response


def _load_into_memory(response) -> None:
    """Read a (small) static file into the response so it can be compressed, and close it."""
    body = response.response
    try:
        data = b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close:
            close()
    response.direct_passthrough = False
    response.set_data(data)
