"""gunicorn's access log without secrets or people (the Procfile's `--logger-class`): query
values are kept only for a few harmless names (`page`, `per_page`, `hub.mode`), so the
webhook's verify token, an `access_token`, a search for a parent's name or number never
reach the log; phone numbers in paths (the simulator's `/simulator/+97798…`) are masked."""

import re
from urllib.parse import parse_qsl, quote, urlsplit

from gunicorn.glogging import Logger

KEPT_VALUES = frozenset({"page", "per_page", "hub.mode"})
PHONE = re.compile(r"(?:\+|%2B)?\d{7,}", re.IGNORECASE)
MASK = "***"


def redact_query(query: str) -> str:
    """The query string with every value but the harmless ones masked."""
    pairs = parse_qsl(query or "", keep_blank_values=True)
    return "&".join(
        f"{quote(k, safe='.')}={quote(v) if k in KEPT_VALUES else MASK}" for k, v in pairs
    )


def redact_path(path: str) -> str:
    return PHONE.sub(MASK, path or "")


def redact_target(target: str) -> str:
    """A request target (`/path?query`) or a URL (a Referer) with no secret or person left."""
    parts = urlsplit(target or "")
    path = redact_path(parts.path)
    query = redact_query(parts.query)
    head = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    return f"{head}{path}{'?' + query if query else ''}"


class RedactingLogger(Logger):
    """gunicorn's logger, its access-log atoms redacted before they are formatted."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        method, _, rest = atoms["r"].partition(" ")
        target, _, protocol = rest.rpartition(" ")
        atoms["r"] = f"{method} {redact_target(target)} {protocol}"
        atoms["U"] = redact_path(atoms["U"])
        atoms["q"] = redact_query(atoms["q"])
        atoms["f"] = redact_target(atoms["f"]) if atoms["f"] != "-" else "-"
        for name in ("{referer}i", "{authorization}i", "{cookie}i", "{x-hub-signature-256}i"):
            if name in atoms:
                atoms[name] = MASK
        return atoms
