"""WhatsApp Business Account webhooks (templates, the messaging limit) applied as they come."""

from portal.services.waba import limits, template_status
from portal.services.waba.graph import current_graph
from portal.whatsapp import account_changes
from portal.whatsapp.account_changes import LimitChange, TemplateChange


def apply(*, field: str, account_id: str | None, value) -> str:
    """Apply one change; what it was ("account" when it changed something, else "ignored")."""
    change = account_changes.read(field, account_id, value)
    if isinstance(change, TemplateChange):
        template_status.apply_change(change)
        return "account"
    if isinstance(change, LimitChange):
        limits.apply_change(change, graph=None if change.tier else current_graph())
        return "account"
    return "ignored"
