"""Webhook bodies shaped as Meta's, for the sandbox to post through the real webhook path:
statuses (Status messages webhook reference: v24+ omits `conversation`, and `pricing` rides
on one status only), inbound text, button taps and BSUID-only senders (Interactive reply
buttons, Business-scoped user IDs), template reviews (message_template_status_update) and a
raised messaging limit (business_capability_update)."""

import base64
import json
import secrets
from datetime import datetime

SANDBOX_ACCOUNT_ID = "100000000000000"


def new_wamid(recipient: str = "") -> str:
    """A fresh, unique message id in Meta's shape (`wamid.` + base64 of number and random id)."""
    digits = "".join(ch for ch in recipient if ch.isdigit())[:20].encode()
    raw = (
        b"\x1c\x18"
        + bytes([len(digits)])
        + digits
        + b"\x15\x02\x00\x11\x18\x12"
        + secrets.token_hex(9).upper().encode()
        + b"\x00"
    )
    return "wamid." + base64.b64encode(raw).decode()


def pricing_for(sent_as: str | None) -> dict:
    """What Meta charges, as its statuses say: a template outside the window is a regular
    utility message; free-form text inside it is free customer service."""
    if sent_as == "template":
        return {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "utility"}
    return {
        "billable": False,
        "pricing_model": "PMP",
        "type": "free_customer_service",
        "category": "service",
    }


def status_body(
    *,
    phone_number_id: str,
    wamid: str,
    recipient: str,
    status: str,
    at: datetime,
    callback_data: str | None = None,
    errors: list[dict] | None = None,
    sent_as: str | None = "template",
) -> bytes:
    """The body Meta would POST when a message moves to `status`."""
    item = {"id": wamid, "status": status, "timestamp": epoch(at)}
    item |= {"recipient_user_id": recipient} if "." in recipient else {"recipient_id": recipient}
    if status == "sent":
        item["pricing"] = pricing_for(sent_as)
    if callback_data is not None:
        item["biz_opaque_callback_data"] = callback_data
    if errors:
        item["errors"] = errors
    return messages_body(phone_number_id, {"statuses": [item]})


def inbound_body(
    *,
    phone_number_id: str,
    sender: str | None,
    at: datetime,
    content: dict,
    name: str | None = None,
    user_id: str | None = None,
    context_wamid: str | None = None,
) -> bytes:
    """A person's message: `content` is its type and part ({"type": "text", "text": {...}});
    someone with a username may come with a business-scoped user id and no number."""
    wa_id = sender.lstrip("+") if sender else None
    message = {"id": new_wamid(wa_id or ""), "timestamp": epoch(at), **content}
    contact: dict = {"profile": {"name": name or wa_id or "WhatsApp user"}}
    if wa_id:
        message["from"], contact["wa_id"] = wa_id, wa_id
    if user_id:
        message["from_user_id"], contact["user_id"] = user_id, user_id
    if context_wamid:
        message["context"] = {"from": phone_number_id, "id": context_wamid}
    return messages_body(phone_number_id, {"contacts": [contact], "messages": [message]})


def text_content(text: str) -> dict:
    return {"type": "text", "text": {"body": text}}


def reply_button_content(button_id: str, title: str) -> dict:
    """A tap on an interactive message's reply button."""
    return {
        "type": "interactive",
        "interactive": {"type": "button_reply", "button_reply": {"id": button_id, "title": title}},
    }


def quick_reply_content(payload: str, text: str) -> dict:
    """A tap on a template's quick-reply button."""
    return {"type": "button", "button": {"payload": payload, "text": text}}


def account_body(account_id: str, field: str, value: dict, at: datetime) -> bytes:
    """A WhatsApp Business Account change (templates, limits): `entry.id` names the WABA."""
    change = {"value": value, "field": field}
    doc = {
        "object": "whatsapp_business_account",
        "entry": [{"id": account_id, "time": int(at.timestamp()), "changes": [change]}],
    }
    return _dump(doc)


def template_status_value(template: dict, event: str, reason: str | None) -> dict:
    """`message_template_status_update`'s value; the language written as webhooks do."""
    return {
        "event": event,
        "message_template_id": int(template["id"]),
        "message_template_name": template["name"],
        "message_template_language": template["language"].replace("_", "-"),
        "reason": reason,
        "message_template_category": template["category"],
    }


def epoch(at: datetime) -> str:
    return str(int(at.timestamp()))


def messages_body(phone_number_id: str, content: dict) -> bytes:
    """A whole `messages` webhook body."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": phone_number_id, "phone_number_id": phone_number_id},
        **content,
    }
    doc = {
        "object": "whatsapp_business_account",
        "entry": [{"id": SANDBOX_ACCOUNT_ID, "changes": [{"value": value, "field": "messages"}]}],
    }
    return _dump(doc)


def _dump(doc: dict) -> bytes:
    """Serialised as Meta does: compact, non-ASCII escaped as \\uXXXX."""
    return json.dumps(doc, ensure_ascii=True, separators=(",", ":")).encode()
