"""What the fake Graph API says and checks: Meta's answer and error shapes, send-body rules."""

import base64
import itertools
import random
import re
import secrets

from tests.fakes.http11 import Response

_BAD_PARAM = re.compile(r"[\n\t]| {5,}")
_NOT_DIGITS = re.compile(r"[^0-9]")
ERROR_MESSAGES = {
    100: "(#100) Invalid parameter",
    190: "Invalid OAuth access token - Cannot parse access token",
    130429: "(#130429) Rate limit hit",
    131026: "(#131026) Message undeliverable",
    131047: "(#131047) Re-engagement message",
    131056: "(#131056) (Business Account, Consumer Account) pair rate limit hit",
}


_serial = itertools.count(1)
_run = random.Random().getrandbits(40)  # differs between runs, so ids never repeat across them


def new_wamid(recipient: str) -> str:
    """A unique id shaped like Meta's: base64 of the recipient and an 18-character hex id."""
    digits = recipient.encode()[:20]
    unique = f"{next(_serial):08X}{_run:010X}".encode()
    raw = b"\x1c\x18" + bytes([len(digits)]) + digits + b"\x15\x02\x00\x11\x18\x12"
    return "wamid." + base64.b64encode(raw + unique + b"\0").decode()


def digits_of(number) -> str:
    """A number as Meta's wa_id writes it: digits only."""
    return _NOT_DIGITS.sub("", str(number))


def graph_error(status: int, code: int, details: str = "", message: str | None = None) -> Response:
    """An error answer in Meta's shape (graph_error_response_130429.json)."""
    error = {
        "message": message or ERROR_MESSAGES.get(code, f"(#{code}) Error"),
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details},
        "fbtrace_id": secrets.token_urlsafe(16),
    }
    return Response.json(status, {"error": error})


def shape_problem(payload) -> str | None:
    """Why a send body is not one Meta would accept (None when it is fine)."""
    if not isinstance(payload, dict) or payload.get("messaging_product") != "whatsapp":
        return "messaging_product must be whatsapp"
    if not isinstance(payload.get("to"), str) or not digits_of(payload["to"]):
        return "to is required"
    kind = payload.get("type", "text")
    if kind == "text":
        body = obj(payload.get("text")).get("body")
        ok = isinstance(body, str) and body.strip() and len(body) <= 4096
        return None if ok else "text.body is required and at most 4096 characters"
    if kind == "template":
        return _template_problem(payload.get("template"))
    if kind in ("image", "document"):
        from tests.fakes.graph_media import media_problem

        return media_problem(kind, payload.get(kind))
    return f"type {kind!r} is not supported by this fake"


def _template_problem(template) -> str | None:
    if not isinstance(template, dict) or not template.get("name"):
        return "template.name is required"
    if not obj(template.get("language")).get("code"):
        return "template.language.code is required"
    components = template.get("components", [])
    if not isinstance(components, list) or not all(isinstance(c, dict) for c in components):
        return "template.components must be a list of objects"
    for component in components:
        params = component.get("parameters", [])
        if not isinstance(params, list):
            return "template component parameters must be a list"
        if component.get("type") == "header":
            from tests.fakes.graph_media import header_problem

            if problem := header_problem(params):
                return problem
            continue
        for param in params:
            text = param.get("text") if isinstance(param, dict) else None
            if not isinstance(text, str) or not text.strip() or _BAD_PARAM.search(text):
                return "Param text cannot have new-line/tab characters or more than 4 spaces"
    return None


def obj(value) -> dict:
    return value if isinstance(value, dict) else {}


def template_params(template: dict) -> dict:
    params = {}
    for component in template.get("components", []):
        if component.get("type") == "header":
            continue  # media, read by graph_media.media_of
        for i, param in enumerate(component.get("parameters", [])):
            params[param.get("parameter_name") or str(i + 1)] = param.get("text")
    return params
