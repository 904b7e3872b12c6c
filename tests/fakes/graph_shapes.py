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


BSUID = re.compile(r"^[A-Z]{2}\.[A-Za-z0-9.]{1,128}$")


def shape_problem(payload) -> str | None:
    """Why a send body is not one Meta would accept (None when it is fine)."""
    if not isinstance(payload, dict) or payload.get("messaging_product") != "whatsapp":
        return "messaging_product must be whatsapp"
    to, recipient = payload.get("to"), payload.get("recipient")
    if isinstance(recipient, str) and to is None:
        if not BSUID.match(recipient):
            return "recipient must be a business-scoped user id"
    elif not isinstance(to, str) or not digits_of(to):
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
    if kind == "interactive":
        return _interactive_problem(obj(payload.get("interactive")))
    return f"type {kind!r} is not supported by this fake"


def _interactive_problem(interactive: dict) -> str | None:
    """Interactive reply buttons messages: body at most 1024, 1-3 unique buttons, title at
    most 20 characters, id at most 256."""
    body = obj(interactive.get("body")).get("text")
    if (
        interactive.get("type") != "button"
        or not isinstance(body, str)
        or not 0 < len(body) <= 1024
    ):
        return "interactive button: body.text of 1 to 1024 characters"
    buttons = [
        obj(obj(b).get("reply")) for b in obj(interactive.get("action")).get("buttons") or []
    ]
    titles = [str(b.get("title") or "") for b in buttons]
    if not 1 <= len(buttons) <= 3 or len(set(titles)) != len(titles):
        return "1 to 3 buttons with unique titles"
    if any(not 0 < len(t) <= 20 for t in titles) or any(
        not 0 < len(str(b.get("id") or "")) <= 256 for b in buttons
    ):
        return "button title at most 20 characters, id at most 256"
    return None


def _template_problem(template) -> str | None:
    if not isinstance(template, dict) or not template.get("name"):
        return "template.name is required"
    if not obj(template.get("language")).get("code"):
        return "template.language.code is required"
    components = template.get("components", [])
    if not isinstance(components, list) or not all(isinstance(c, dict) for c in components):
        return "template.components must be a list of objects"
    for component in components:
        if problem := _component_problem(component):
            return problem
    return None


def _component_problem(component: dict) -> str | None:
    params = component.get("parameters", [])
    if not isinstance(params, list):
        return "template component parameters must be a list"
    if component.get("type") == "header":
        from tests.fakes.graph_media import header_problem

        return header_problem(params)
    if component.get("type") == "button":
        ok = component.get("sub_type") == "quick_reply" and all(
            obj(p).get("payload") for p in params
        )
        return None if ok else "a button component is a quick_reply with a payload"
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
        if component.get("type") in ("header", "button"):
            continue  # media (read by graph_media.media_of) and quick replies
        for i, param in enumerate(component.get("parameters", [])):
            params[param.get("parameter_name") or str(i + 1)] = param.get("text")
    return params


def quick_reply_payloads(template: dict) -> list[str]:
    """The payloads a template send gives its quick-reply buttons, by index."""
    found = [c for c in template.get("components", []) if c.get("type") == "button"]
    found.sort(key=lambda c: int(c.get("index") or 0))
    return [obj(p).get("payload") for c in found for p in c.get("parameters", [])]
