"""An operator's checks of a school's WhatsApp setup, step by step, each passed or failed
with the exact error Meta gave: the token works (Meta answers for the business number),
the number's display name and quality rating, the portfolio's messaging limit, the shipped
templates submitted and followed, and the webhook to paste into Meta's app."""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext

from portal.models import School
from portal.services.common.refusals import SetupError
from portal.services.waba import limits, template_sync
from portal.whatsapp.account_changes import limit_of
from portal.whatsapp.errors import GraphError, TransportError

STEPS = ("token", "number", "limit", "templates", "webhook")


@dataclass
class Step:
    """One check: passed (True), failed (False) or for a person to do (None), and what it found."""

    name: str
    ok: bool | None
    detail: str


def check(*, school: School, graph, webhook_url: str, verify_token: str | None) -> list[Step]:
    """Every step, in order (the caller commits what was learned and submitted)."""
    try:
        info = limits.read_number(school=school, graph=graph)
    except (GraphError, TransportError) as exc:
        why = exc.explanation() if isinstance(exc, GraphError) else str(exc)
        skipped = _("Not checked: Meta did not accept the token.")
        steps = [Step("token", False, why), Step("number", None, skipped)]
        steps.append(Step("limit", None, skipped))
    else:
        steps = [
            Step(
                "token",
                True,
                _("Meta answered for phone number ID %(id)s.", id=school.phone_number_id),
            ),
            Step("number", True, _number(info)),
            Step("limit", True, limit_text(school.messaging_tier)),
        ]
    steps.append(_templates(school, graph, token_ok=steps[0].ok))
    steps.append(Step("webhook", None, _webhook(webhook_url, verify_token)))
    return steps


def _number(info: limits.NumberInfo) -> str:
    return _(
        "%(number)s, shown as “%(name)s”; quality rating %(quality)s.",
        number=info.display_phone_number or "?",
        name=info.verified_name or "?",
        quality=info.quality_rating or "?",
    )


def limit_text(tier: str) -> str:
    """A messaging limit as people read it."""
    most = limit_of(tier)
    if most is None:
        return _("No daily limit (%(tier)s).", tier=tier)
    return ngettext(
        "%(count)s parent a day outside their 24-hour window (%(tier)s).",
        "%(count)s parents a day outside their 24-hour window (%(tier)s).",
        most,
        count=f"{most:,}",
        tier=tier,
    )


def _templates(school: School, graph, *, token_ok: bool | None) -> Step:
    if not school.waba_id:
        return Step(
            "templates",
            None,
            _(
                "No WhatsApp Business Account ID: add it to submit the templates through the "
                "API, or submit them by hand in WhatsApp Manager."
            ),
        )
    if not token_ok:
        return Step("templates", None, _("Not checked: Meta did not accept the token."))
    try:
        report = template_sync.sync_templates(school=school, graph=graph)
    except SetupError as exc:
        return Step("templates", False, str(exc))
    detail = _(
        "Submitted %(submitted)s, already at Meta %(found)s, approved %(approved)s.",
        submitted=len(report.submitted),
        found=len(report.found),
        approved=report.approved,
    )
    if report.failed:
        refused = "; ".join(f"{name} ({lang}): {why}" for name, lang, why in report.failed)
        return Step("templates", False, detail + " " + _("Meta refused: %(which)s", which=refused))
    return Step("templates", True, detail)


def _webhook(url: str, verify_token: str | None) -> str:
    if not verify_token:
        return _("Callback URL %(url)s — set WHATSAPP_VERIFY_TOKEN first.", url=url)
    return _(
        "In Meta's app (WhatsApp → Configuration), Callback URL %(url)s, Verify token %(token)s; "
        "subscribe to messages, message_template_status_update, message_template_quality_update, "
        "template_category_update, business_capability_update and phone_number_quality_update.",
        url=url,
        token=verify_token,
    )
