"""The fake Graph API's account surfaces, as Meta's pages describe them: a business number's
fields (`whatsapp_business_manager_messaging_limit`, messaging-limits page), a WhatsApp
Business Account's message templates (POST and GET, templates/overview and components pages)
reviewed after a delay and announced by `message_template_status_update` (its webhook
reference page), sample files for media headers by the Resumable Upload API
(graph-api/resumable-upload-api: an upload session on the app, then the bytes), and the
number of unique people templates reached per portfolio in the moving 24 hours (Meta
returns no error past the limit: the fake only counts it)."""

import itertools
import json
import re
import threading
import time
from collections import defaultdict

from tests.fakes.graph_shapes import graph_error, obj
from tests.fakes.http11 import Response

ACCOUNT_PATH = re.compile(r"/v\d+\.\d+/(\d+)/message_templates")
NODE_PATH = re.compile(r"/v\d+\.\d+/([^/]+)")
UPLOADS_PATH = re.compile(r"/v\d+\.\d+/(\d+)/uploads")
SESSION_PATH = re.compile(r"/v\d+\.\d+/(upload:[A-Za-z0-9_=-]+)")
SAMPLE_TYPES = {"application/pdf", "image/jpeg", "image/jpg", "image/png", "video/mp4"}
LANGUAGES = {"en", "en_US", "en_GB", "hi"}  # what this fake accepts (Meta: no `ne`)
DUPLICATE_SUBCODE = 2388024
LIMITS = {"TIER_250": 250, "TIER_2K": 2000, "TIER_10K": 10_000, "TIER_100K": 100_000}
PARAM = re.compile(r"\{\{(\w+)\}\}")


class FakeAccounts:
    """Templates per WABA, numbers' fields, and who templates reached per portfolio."""

    def __init__(self, config_of, post_later, tokens):
        self._config_of = config_of
        self._tokens = tokens  # every token the fake accepts
        self._post_later = post_later  # (body, delay): a signed webhook, some seconds on
        self._lock = threading.Lock()
        self._ids = itertools.count(880_000_000_000_001)
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self.templates: dict[tuple[str, str, str], dict] = {}
            self.reached: dict[str, dict[str, float]] = defaultdict(dict)  # portfolio -> who, when
            self.over_limit = 0
            self.created = 0
            self.sessions: dict[str, dict] = {}  # upload session id -> what was declared
            self.handles: dict[str, dict] = {}  # file handle -> the upload

    # -- requests --------------------------------------------------------------------------

    def handle(self, request, authorized) -> Response | None:
        """The answer to an account call, or None when the path is not one."""
        if request.method == "POST" and (match := UPLOADS_PATH.fullmatch(request.path)):
            if not authorized(None):
                return graph_error(401, 190)
            return self._open_session(match.group(1), request.query)
        if request.method == "POST" and (match := SESSION_PATH.fullmatch(request.path)):
            return self._upload_bytes(match.group(1), request)
        match = ACCOUNT_PATH.fullmatch(request.path)
        if match:
            if not authorized(None):
                return graph_error(401, 190)
            if request.method == "POST":
                return self._create(match.group(1), request.body)
            if request.method == "GET":
                return self._list(match.group(1), request.query)
        node = NODE_PATH.fullmatch(request.path)
        if node and request.method == "GET":
            if not authorized(node.group(1)):
                return graph_error(401, 190)
            return self._number(node.group(1), request.query)
        return None

    def _number(self, number: str, query: dict) -> Response:
        config = self._config_of()
        if number not in config.numbers:
            return graph_error(400, 100, message=f"(#100) Object with ID '{number}' does not exist")
        fields = set((query.get("fields") or "id").split(","))
        known = config.numbers[number] | {
            "id": number,
            "whatsapp_business_manager_messaging_limit": config.messaging_tier,
        }
        if "messaging_limit_tier" in fields:  # deprecated from v24.0
            return graph_error(400, 100, message="(#100) Tried accessing nonexisting field")
        return Response.json(200, {k: v for k, v in known.items() if k in fields | {"id"}})

    def _open_session(self, app_id: str, query: dict) -> Response:
        length, kind = query.get("file_length", ""), query.get("file_type")
        if not length.isdigit() or kind not in SAMPLE_TYPES:
            return graph_error(400, 100, message="(#100) file_length and a valid file_type")
        session = f"upload:{next(self._ids)}"
        with self._lock:
            self.sessions[session] = {"app_id": app_id, "length": int(length), "type": kind}
        return Response.json(200, {"id": f"{session}?sig=fake"})

    def _upload_bytes(self, session: str, request) -> Response:
        declared = self.sessions.get(session)
        given = request.headers.get("authorization") or ""
        if given.removeprefix("OAuth ") not in self._tokens():  # `OAuth`, not `Bearer`, here
            return graph_error(401, 190)
        if declared is None or request.headers.get("file_offset") != "0":
            return graph_error(400, 100, message="(#100) unknown upload session or offset")
        if len(request.body) != declared["length"]:
            return graph_error(400, 100, message="(#100) file_length does not match the bytes")
        handle = f"4::{session.removeprefix('upload:')}:fake-handle"
        with self._lock:
            self.handles[handle] = declared | {"body": request.body}
        return Response.json(200, {"h": handle})

    def _create(self, waba: str, body: bytes) -> Response:
        try:
            definition = json.loads(body)
        except ValueError:
            definition = None
        problem = definition_problem(definition) or self._header_problem(definition)
        if problem:
            return graph_error(400, 100, problem)
        key = (waba, definition["name"], definition["language"])
        with self._lock:
            if key in self.templates:
                return _duplicate(definition)
            template = {
                "id": str(next(self._ids)),
                "name": definition["name"],
                "language": definition["language"],
                "status": "PENDING",
                "category": definition["category"],
                "components": definition["components"],
            }
            self.templates[key] = template
            self.created += 1
        self._review_later(waba, template)
        return Response.json(200, {k: template[k] for k in ("id", "status", "category")})

    def _header_problem(self, definition: dict) -> str | None:
        """A media HEADER needs the handle of a sample uploaded here first."""
        for component in definition["components"]:
            if obj(component).get("type") != "HEADER":
                continue
            if component.get("format") not in ("IMAGE", "DOCUMENT", "VIDEO", "TEXT"):
                return "HEADER format: TEXT, IMAGE, VIDEO or DOCUMENT"
            if component["format"] == "TEXT":
                continue
            handles = obj(component.get("example")).get("header_handle")
            if not isinstance(handles, list) or len(handles) != 1 or handles[0] not in self.handles:
                return "a media HEADER needs example.header_handle: one uploaded file's handle"
        return None

    def _review_later(self, waba: str, template: dict) -> None:
        config = self._config_of()
        verdict = config.template_verdicts.get(template["name"], ["APPROVED", "NONE"])
        if config.template_review_seconds < 0:
            return  # left PENDING until a test decides
        self.decide(
            waba,
            template["name"],
            template["language"],
            *verdict,
            delay=config.template_review_seconds,
        )

    def decide(self, waba: str, name: str, language: str, event: str, reason=None, *, delay=0.0):
        """Meta's review (or a later change): the template's new status, and its webhook."""
        with self._lock:
            template = self.templates[(waba, name, language)]
            template["status"] = {"REINSTATED": "APPROVED", "FLAGGED": template["status"]}.get(
                event, event
            )
            if reason not in (None, "NONE"):
                template["rejected_reason"] = reason
        value = {
            "event": event,
            "message_template_id": int(template["id"]),
            "message_template_name": name,
            "message_template_language": language.replace("_", "-"),  # as webhooks write it
            "reason": reason,
            "message_template_category": template["category"],
        }
        self._post_later(account_body(waba, "message_template_status_update", value), delay)

    def _list(self, waba: str, query: dict) -> Response:
        with self._lock:
            found = [dict(t) for (w, _n, _l), t in self.templates.items() if w == waba]
        limit, start = int(query.get("limit") or 25), int(query.get("after") or 0)
        page = found[start : start + limit]
        doc: dict = {
            "data": page,
            "paging": {"cursors": {"before": str(start), "after": str(start + len(page))}},
        }
        if start + limit < len(found):
            doc["paging"]["next"] = (
                f"https://graph.example/{waba}/message_templates?after={start + limit}"
            )
        return Response.json(200, doc)

    # -- the messaging limit ----------------------------------------------------------------

    def count_template(self, number: str, recipient: str) -> None:
        """A template reached `recipient`: counted against the number's portfolio."""
        config = self._config_of()
        portfolio = config.portfolios.get(number, number)
        now = time.time()
        with self._lock:
            # Oldest first (a recipient reached again moves to the end), so what left the
            # moving 24 hours is taken off the front: a constant cost a send, not one that
            # grows with everyone reached (20,000 at the top tier).
            reached = self.reached[portfolio]
            while reached and next(iter(reached.values())) < now - 86400:
                del reached[next(iter(reached))]
            limit = LIMITS.get(config.messaging_tier)
            if recipient not in reached and limit is not None and len(reached) >= limit:
                self.over_limit += 1
            reached.pop(recipient, None)
            reached[recipient] = now

    def age(self, count: int, seconds: float) -> None:
        """Pretend the first `count` people each portfolio reached were reached `seconds`
        earlier (tests move time on without waiting a day)."""
        with self._lock:
            for reached in self.reached.values():
                for who in list(reached)[:count]:
                    reached[who] -= seconds

    def stats(self) -> dict:
        with self._lock:
            return {
                "templates_created": self.created,
                "over_limit": self.over_limit,
                "reached": {p: len(r) for p, r in self.reached.items()},
            }


def definition_problem(definition) -> str | None:
    """Why Meta would refuse a template submission (None when it is fine)."""
    if not isinstance(definition, dict) or not re.fullmatch(
        r"[a-z0-9_]{1,512}", str(definition.get("name"))
    ):
        return "name: lowercase letters, digits and underscores"
    if definition.get("language") not in LANGUAGES:
        return f"language {definition.get('language')!r} is not supported"
    if definition.get("category") not in ("UTILITY", "MARKETING", "AUTHENTICATION"):
        return "category is required"
    components = definition.get("components")
    bodies = [c for c in components or [] if obj(c).get("type") == "BODY"]
    if len(bodies) != 1:
        return "exactly one BODY component"
    return _body_problem(bodies[0], definition.get("parameter_format")) or _buttons_problem(
        components
    )


def _body_problem(body: dict, parameter_format) -> str | None:
    text = str(body.get("text") or "")
    names = PARAM.findall(text)
    if not text or len(text) > 1024:
        return "BODY text: 1 to 1024 characters"
    if text.startswith("{{") or text.endswith("}}"):
        return "Variables can't be at the start or end of the template."
    if names and parameter_format != "NAMED":
        return "named parameters need parameter_format NAMED"
    examples = {
        e.get("param_name"): e.get("example")
        for e in obj(body.get("example")).get("body_text_named_params") or []
    }
    missing = [n for n in names if not examples.get(n)]
    return f"no example for {missing}" if missing else None


def _buttons_problem(components) -> str | None:
    for component in components:
        if obj(component).get("type") == "BUTTONS":
            for button in component.get("buttons") or []:
                label = str(obj(button).get("text") or "")
                if obj(button).get("type") == "QUICK_REPLY" and not 0 < len(label) <= 25:
                    return "quick reply text: 1 to 25 characters"
    return None


def _duplicate(definition: dict) -> Response:
    response = graph_error(400, 100, message="Invalid parameter")
    doc = json.loads(response.body)
    doc["error"] |= {
        "error_subcode": DUPLICATE_SUBCODE,
        "error_user_msg": "Content in this language already exists: "
        f"{definition['name']} ({definition['language']})",
    }
    return Response.json(400, doc)


def account_body(waba: str, field: str, value: dict) -> bytes:
    """A WABA webhook body (entry.id names the account), serialised as Meta does."""
    change = {"value": value, "field": field}
    doc = {
        "object": "whatsapp_business_account",
        "entry": [{"id": waba, "time": int(time.time()), "changes": [change]}],
    }
    return json.dumps(doc, ensure_ascii=True, separators=(",", ":")).encode()
