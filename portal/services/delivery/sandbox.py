"""The sandbox: what would have gone to WhatsApp is kept, so people can see it in the portal."""

from portal.extensions import db
from portal.models import SandboxMessage
from portal.services.common import clock


def record_outgoing(message: dict) -> None:
    """The sandbox transport's recorder: keep an outgoing message (committed with its delivery)."""
    if message.get("template"):
        body = " | ".join(f"{k}: {v}" for k, v in (message.get("params") or {}).items())
        kind = "template"
    else:
        body = message.get("body") or ""
        kind = message.get("kind") or ("interactive" if message.get("buttons") else "text")
    db.session.add(
        SandboxMessage(
            phone_number_id=message["phone_number_id"],
            peer=message["to"],
            direction="out",
            kind=kind,
            body=body,
            payload={k: v for k, v in message.items() if k != "at"},
            wamid=message["wamid"],
            created_at=clock.now(),
        )
    )
