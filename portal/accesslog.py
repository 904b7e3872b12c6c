"""gunicorn's access log without secrets or people (the Procfile's `--logger-class`): query
values are kept only for a few harmless names (`page`, `per_page`, `hub.mode`), so the
webhook's verify token, an `access_token`, a search for a parent's name or number never
reach the log; phone numbers in paths (the simulator's `/simulator/+97798…`) are masked."""

import re
import traceback
from urllib.parse import parse_qsl, quote, urlsplit

from gunicorn.config import AccessLogFormat
from gunicorn.glogging import Logger

KEPT_VALUES = frozenset({"page", "per_page", "hub.mode"})
PHONE = re.compile(r"(?:\+|%2B)?\d{7,}", re.IGNORECASE)
MASK = "***"
# A path without these has no query, fragment or params, and nothing urlsplit would strip.
PLAIN_PATH_END = re.compile(r"[?#;\t\r\n]")


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
    target = target or ""
    if target.startswith("/") and not target.startswith("//") and not PLAIN_PATH_END.search(target):
        return redact_path(target)  # a bare path (a webhook's): what redact_url would give
    return redact_url(target)


def redact_url(target: str) -> str:
    """`redact_target`, the URL split in its parts."""
    parts = urlsplit(target)
    path = redact_path(parts.path)
    query = redact_query(parts.query)
    head = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    return f"{head}{path}{'?' + query if query else ''}"


class RedactingLogger(Logger):
    """gunicorn's logger, its access-log atoms redacted before they are formatted."""

    def access(self, resp, req, environ, request_time):
        """gunicorn's line; with its default format (the Procfile's), only the nine atoms
        that format reads are made, not every header and environ entry of the request."""
        if self.cfg.access_log_format != AccessLogFormat.default:
            return super().access(resp, req, environ, request_time)
        if not self.access_log_enabled:
            return None
        try:
            atoms = self.atoms_wrapper_class(self.default_atoms(resp, environ))
            self.access_log.info(AccessLogFormat.default, atoms)
        except Exception:
            self.error(traceback.format_exc())
        return None

    def default_atoms(self, resp, environ) -> dict:
        """The default format's atoms, as `atoms()` makes and redacts them."""
        status = resp.status
        sent = getattr(resp, "sent", None)
        referer = environ.get("HTTP_REFERER", "-")
        target = redact_target(environ["RAW_URI"])
        return {
            "h": environ.get("REMOTE_ADDR", "-"),
            "l": "-",
            "u": self._get_user(environ) or "-",
            "t": self.now(),
            "r": f"{environ['REQUEST_METHOD']} {target} {environ['SERVER_PROTOCOL']}",
            "s": status.split(None, 1)[0] if isinstance(status, str) else status,
            "b": sent is not None and str(sent) or "-",
            "f": redact_target(referer) if referer != "-" else "-",
            "a": environ.get("HTTP_USER_AGENT", "-"),
        }

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
