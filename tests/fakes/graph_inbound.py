"""People's messages as Meta posts them, for the fake to send to the app: text, a tap on a
reply button (Interactive reply buttons messages page), a tap on a template's quick reply
(`type: button`), from a number or (a username user) only a business-scoped user id
(Business-scoped user IDs page: `from_user_id`, `contacts[].user_id`)."""

import json
import secrets
import time


def inbound_body(
    *,
    phone_number_id: str,
    text: str | None = None,
    sender: str | None = None,
    user_id: str | None = None,
    button_id: str | None = None,
    payload: str | None = None,
    context: str | None = None,
    name: str = "Parent",
) -> bytes:
    """One message's webhook body; at least one of `sender` and `user_id`."""
    if not sender and not user_id:
        raise ValueError("a message comes from a number or a business-scoped user id")
    message: dict = {"id": "wamid.fake" + secrets.token_hex(12), "timestamp": str(int(time.time()))}
    message |= _content(text, button_id, payload)
    contact: dict = {"profile": {"name": name}}
    if sender:
        message["from"] = contact["wa_id"] = sender.lstrip("+")
    if user_id:
        message["from_user_id"] = contact["user_id"] = user_id
    if context:
        message["context"] = {"from": phone_number_id, "id": context}
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": phone_number_id, "phone_number_id": phone_number_id},
        "contacts": [contact],
        "messages": [message],
    }
    doc = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(doc, ensure_ascii=True, separators=(",", ":")).encode()


def _content(text, button_id, payload) -> dict:
    if button_id:
        reply = {"id": button_id, "title": text or button_id}
        return {
            "type": "interactive",
            "interactive": {"type": "button_reply", "button_reply": reply},
        }
    if payload:
        return {"type": "button", "button": {"payload": payload, "text": text or payload}}
    return {"type": "text", "text": {"body": text or ""}}
