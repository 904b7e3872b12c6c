"""What went wrong talking to Meta, and what Sandesh does about it (whatsapp/README.md's table)."""

import enum
import functools
import random

from flask_babel import lazy_gettext as _l


class GraphError(Exception):
    """An error answer from the Graph API: build logic on `code` and `details`, never on text."""

    def __init__(
        self,
        *,
        code,
        http_status,
        message="",
        details="",
        fbtrace_id=None,
        subcode=None,
        user_message="",
    ):
        super().__init__(f"({code}) {message}".strip() if code is not None else message)
        self.code = code
        self.http_status = http_status
        self.message = message
        self.details = details
        self.fbtrace_id = fbtrace_id
        # The account calls (templates) still tell cases apart by subcode, and give a
        # sentence for people (`error_user_msg`); sending never needs either.
        self.subcode = subcode
        self.user_message = user_message

    def __reduce__(self):
        # Keyword-only arguments: tell pickle how to rebuild (task queues pickle exceptions).
        fields = (
            "code",
            "http_status",
            "message",
            "details",
            "fbtrace_id",
            "subcode",
            "user_message",
        )
        return functools.partial(GraphError, **{name: getattr(self, name) for name in fields}), ()

    def explanation(self) -> str:
        """Meta's own words, fullest first: for an operator to act on."""
        parts = [self.user_message, self.details, self.message]
        text = " — ".join(dict.fromkeys(p for p in parts if p))
        return f"({self.code}) {text}" if self.code is not None else text

    @classmethod
    def from_response(cls, http_status: int, body) -> "GraphError":
        """The error in a Graph API answer; a body that is not Meta's error shape keeps no code."""
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return cls(code=None, http_status=http_status, message=f"HTTP {http_status}")
        data = error.get("error_data")
        return cls(
            code=_int_or_none(error.get("code")),
            http_status=http_status,
            message=str(error.get("message") or ""),
            details=str(data.get("details") or "") if isinstance(data, dict) else "",
            fbtrace_id=error.get("fbtrace_id"),
            subcode=_int_or_none(error.get("error_subcode")),
            user_message=str(error.get("error_user_msg") or error.get("error_user_title") or ""),
        )


class TransportError(Exception):
    """Meta could not be reached or did not answer in time (no code: always worth a retry)."""


class Action(enum.Enum):
    """What to do with a delivery after an error."""

    RETRY = "retry"
    RETRY_PAIR_LIMIT = "retry_pair_limit"
    RESEND_AS_TEMPLATE = "resend_as_template"
    FAIL = "fail"
    FAIL_AND_ALERT = "fail_and_alert"
    PAUSE_SCHOOL = "pause_school"

    @property
    def retries(self) -> bool:
        """Whether the same delivery is tried again later."""
        return self in (Action.RETRY, Action.RETRY_PAIR_LIMIT)


THROUGHPUT = 130429
PAIR_LIMIT = 131056
OUTSIDE_WINDOW = 131047
TEMPORARY = frozenset({THROUGHPUT, 1, 2, 131000, 131016, 131057, 4, 80007})
PERMANENT = frozenset({131026, 131049, 131050, 130472, 130403})
MISCONFIGURED = frozenset({131051, 100, 131008, 131009, 132000, 132001, 132005, 132007, 132012})
RESTRICTED = frozenset({131048, 368, 131064, 131031, 130497, 132015, 132016, 0, 190, 3, 10, 131042})
PERMISSIONS = range(200, 300)

_BY_CODE = {
    PAIR_LIMIT: Action.RETRY_PAIR_LIMIT,
    OUTSIDE_WINDOW: Action.RESEND_AS_TEMPLATE,
    **dict.fromkeys(TEMPORARY, Action.RETRY),
    **dict.fromkeys(PERMANENT, Action.FAIL),
    **dict.fromkeys(MISCONFIGURED, Action.FAIL_AND_ALERT),
    **dict.fromkeys(RESTRICTED, Action.PAUSE_SCHOOL),
    **dict.fromkeys(PERMISSIONS, Action.PAUSE_SCHOOL),
}


def error_code(error) -> int | None:
    """Meta's code for a GraphError, a status webhook error (anything with `.code`) or an int."""
    if isinstance(error, int):
        return error
    return _int_or_none(getattr(error, "code", None))


def classify(error) -> Action:
    """The action for a GraphError, TransportError, status webhook error or bare Meta code."""
    if isinstance(error, TransportError):
        return Action.RETRY
    code = error_code(error)
    if code in _BY_CODE:
        return _BY_CODE[code]
    status = getattr(error, "http_status", None) or 0
    if status >= 500 or status == 429:
        return Action.RETRY
    return Action.FAIL


RETRY_BASE_SECONDS = 2.0
RETRY_CAP_SECONDS = 600.0
PAIR_LIMIT_CAP_SECONDS = 4.0**6


def backoff_seconds(
    action: Action, attempt: int, *, rng=random, cap: float = RETRY_CAP_SECONDS
) -> float:
    """How long to wait before retry number `attempt` (0 for the first retry) of a delivery;
    `cap` bounds the wait after a temporary error."""
    attempt = max(0, attempt)
    if action is Action.RETRY_PAIR_LIMIT:
        # Meta: retry after 4^n seconds; jitter only ever adds, so the pair window has passed.
        wait = min(PAIR_LIMIT_CAP_SECONDS, 4.0 ** min(attempt, 16))
        return wait * (1 + 0.1 * rng.random())
    if action is Action.RETRY:
        wait = min(cap, RETRY_BASE_SECONDS * 2.0 ** min(attempt, 32))
        return wait / 2 + rng.uniform(0, wait / 2)
    if action is Action.RESEND_AS_TEMPLATE:
        return 0.0
    raise ValueError(f"{action} is not retried")


_REASONS = {
    THROUGHPUT: _l("Too many messages from this number at once; sending again shortly."),
    PAIR_LIMIT: _l("Too many messages to this parent in a short time; sending again later."),
    1: _l("WhatsApp had a temporary problem; sending again shortly."),
    2: _l("WhatsApp had a temporary problem; sending again shortly."),
    131000: _l("WhatsApp had a temporary problem; sending again shortly."),
    131016: _l("WhatsApp is overloaded; sending again shortly."),
    131057: _l("The WhatsApp account is in maintenance; sending again shortly."),
    4: _l("Too many requests to WhatsApp; sending again later."),
    80007: _l("Too many requests to WhatsApp; sending again later."),
    OUTSIDE_WINDOW: _l("More than 24 hours since the parent last wrote; a template is needed."),
    131026: _l("Not on WhatsApp, or the app is too old."),
    131049: _l("WhatsApp held the message back to limit messages to this parent."),
    131050: _l("The parent has stopped marketing messages from this school."),
    130472: _l("WhatsApp held the message back for an experiment."),
    130403: _l("The parent has blocked this school's number."),
    131051: _l("That kind of message is not supported."),
    100: _l("WhatsApp refused the request as invalid (a bug or a setting)."),
    131008: _l("A required part of the message was missing."),
    131009: _l("A part of the message had a value WhatsApp does not accept."),
    132000: _l("The template's parameters do not match the approved template."),
    132001: _l("The template does not exist in that language, or is not approved yet."),
    132005: _l("The filled-in template text is too long."),
    132007: _l("WhatsApp rejected the template text under its policies."),
    132012: _l("A template parameter is in the wrong format."),
    131048: _l("Sending is limited because too many parents reported or blocked messages."),
    368: _l("The WhatsApp account is blocked for a time for a policy violation."),
    131064: _l("WhatsApp restricted this account's sending under its policies."),
    131031: _l("The WhatsApp business account is locked."),
    130497: _l("The WhatsApp account may not message parents in this country."),
    132015: _l("The template is paused for low quality."),
    132016: _l("The template is disabled for low quality."),
    0: _l("The WhatsApp access token could not be used."),
    190: _l("The WhatsApp access token has expired or is wrong."),
    3: _l("The WhatsApp app lacks a needed capability."),
    10: _l("The WhatsApp app lacks a needed permission."),
    131042: _l("There is a payment problem with the WhatsApp business account."),
}


def reason(error) -> str:
    """A short reason a school can read (a lazy, translatable string)."""
    if isinstance(error, TransportError):
        return _l("WhatsApp could not be reached; sending again shortly.")
    code = error_code(error)
    if code in _REASONS:
        return _REASONS[code]
    if code in PERMISSIONS:
        return _l("The WhatsApp app lacks a needed permission.")
    if code is None and (getattr(error, "http_status", None) or 0) >= 500:
        return _l("WhatsApp had a temporary problem; sending again shortly.")
    if code is None:
        return _l("WhatsApp gave an answer Sandesh could not read.")
    return _l("WhatsApp error %(code)s.", code=code)


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
