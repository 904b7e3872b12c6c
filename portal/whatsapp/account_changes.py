"""WhatsApp Business Account webhooks read into typed changes: a template's status, quality
and category, and the portfolio's messaging limit. Each is identified by `entry.id` (the
WABA) only. Sources: the webhooks/reference pages message_template_status_update,
message_template_quality_update, template_category_update, business_capability_update and
phone_number_quality_update (developers.facebook.com/documentation/business-messaging/…)."""

from dataclasses import dataclass
from datetime import UTC, datetime

from portal.whatsapp.template_requests import language_code

TIERS = {
    "TIER_50": 50,
    "TIER_250": 250,
    "TIER_1K": 1_000,
    "TIER_2K": 2_000,
    "TIER_10K": 10_000,
    "TIER_100K": 100_000,
    "TIER_UNLIMITED": None,
}
_BY_NUMBER = {limit: tier for tier, limit in TIERS.items() if limit is not None} | {
    -1: "TIER_UNLIMITED"
}


def tier_of(value) -> str | None:
    """A messaging limit as Meta writes it, a `TIER_…` string or a number (-1: unlimited),
    as a tier; None for a value that says nothing (TIER_NOT_SET, or unknown)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str) and value.strip().upper() in TIERS:
        return value.strip().upper()
    try:
        return _BY_NUMBER.get(int(str(value).strip()))
    except ValueError:
        return None


def limit_of(tier: str | None) -> int | None:
    """Unique people per moving 24 hours; None when unlimited. An unknown tier counts as
    Meta's starting limit, the safe guess."""
    return TIERS.get(tier, 250)


@dataclass(frozen=True)
class TemplateChange:
    """Something Meta says of one template in one language."""

    account_id: str
    field: str  # which webhook
    template_id: str | None
    name: str | None
    language: str  # as the API writes it (en_US), whatever the webhook wrote
    event: str | None = None  # status event: APPROVED, REJECTED, PAUSED, ...
    reason: str | None = None
    category: str | None = None  # the category it has now (or will have: see `impending`)
    previous_category: str | None = None
    impending: bool = False  # a category change announced for later (correct_category)
    effective_at: datetime | None = None
    quality: str | None = None
    detail: str | None = None  # Meta's sentences: rejection_info, other_info


@dataclass(frozen=True)
class LimitChange:
    """The portfolio's messaging limit, as a webhook for one WABA reports it."""

    account_id: str
    field: str
    tier: str | None


TEMPLATE_FIELDS = (
    "message_template_status_update",
    "message_template_quality_update",
    "template_category_update",
)
LIMIT_FIELDS = ("business_capability_update", "phone_number_quality_update")


def read(field: str, account_id: str | None, value: dict) -> TemplateChange | LimitChange | None:
    """The change a WABA webhook reports; None for fields Sandesh does not act on."""
    if not account_id or not isinstance(value, dict):
        return None
    if field in TEMPLATE_FIELDS:
        return _template(field, account_id, value)
    if field == "business_capability_update":
        raw = value.get("max_daily_conversations_per_business")
        if raw is None:  # the older field, kept by Meta until February 2026
            raw = value.get("max_daily_conversation_per_phone")
        return LimitChange(account_id, field, tier_of(raw))
    if field == "phone_number_quality_update":
        # current_limit may name a throughput level; only this field is the messaging limit
        return LimitChange(
            account_id, field, tier_of(value.get("max_daily_conversations_per_business"))
        )
    return None


def _template(field: str, account_id: str, value: dict) -> TemplateChange:
    template_id = value.get("message_template_id")
    common = {
        "account_id": account_id,
        "field": field,
        "template_id": str(template_id) if template_id not in (None, "") else None,
        "name": _text(value.get("message_template_name")),
        "language": language_code(_text(value.get("message_template_language"))),
    }
    if field == "message_template_quality_update":
        return TemplateChange(**common, quality=_text(value.get("new_quality_score")))
    if field == "template_category_update":
        impending = value.get("correct_category") is not None
        return TemplateChange(
            **common,
            category=_text(value.get("correct_category" if impending else "new_category")),
            previous_category=_text(value.get("previous_category") or value.get("new_category")),
            impending=impending,
            effective_at=_moment(value.get("category_update_timestamp")),
        )
    return TemplateChange(
        **common,
        event=(_text(value.get("event")) or "").upper() or None,
        reason=_text(value.get("reason")),
        category=_text(value.get("message_template_category")),
        detail=_detail(value),
    )


def _detail(value: dict) -> str | None:
    parts = []
    for key, fields in (
        ("rejection_info", ("reason", "recommendation")),
        ("other_info", ("title", "description")),
    ):
        info = value.get(key)
        if isinstance(info, dict):
            parts += [str(info[f]) for f in fields if info.get(f)]
    return " ".join(parts) or None


def _text(value) -> str | None:
    return str(value).strip() or None if value is not None else None


def _moment(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
