"""The phone simulator's side of a conversation (sandbox only): who is behind a number, what
was said between the school and that phone, and a phone's new message as the signed webhook
Meta would post for it."""

import hashlib
import json
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import (
    Delivery,
    Guardian,
    MediaFile,
    SandboxMessage,
    School,
    SchoolClass,
    Student,
    StudentGuardian,
    Teacher,
    Template,
)
from portal.services.common import clock
from portal.services.conversations import senders
from portal.services.delivery.sending import sender_number
from portal.services.wording.template_texts import all_shipped, fill, shipped
from portal.whatsapp import sandbox_webhooks, signature
from portal.whatsapp.outgoing import MAX_TEXT_LENGTH
from portal.whatsapp.sandbox import SandboxTransport, sandbox_media_sha

SHOWN = 30  # the latest messages of a conversation: the polled fragment stays small
__all__ = ["MAX_TEXT_LENGTH", "Person", "conversation", "person", "write"]


@dataclass
class Person:
    """Who is behind a number, as the school knows them."""

    kind: str  # teacher, guardian or unknown
    name: str | None = None
    record: Teacher | Guardian | None = None
    children: list = field(default_factory=list)  # (student, class) for a guardian


@dataclass
class SignedWebhook:
    """A webhook body with the headers Meta would send it with."""

    body: bytes
    headers: dict[str, str]


def number(school_id: int) -> str:
    """The school's sandbox WhatsApp number id."""
    return sender_number(db.session.get(School, school_id))


def person(*, school_id: int, phone: str) -> Person:
    """Who this number (E.164 digits, no +) is at the school, with a guardian's children."""
    sender = senders.identify(school_id=school_id, phone="+" + phone)
    if sender.guardian is None:
        return Person(sender.kind, sender.name, sender.record)
    children = db.session.execute(
        sa.select(Student, SchoolClass)
        .join(SchoolClass)
        .join(StudentGuardian)
        .where(StudentGuardian.guardian_id == sender.guardian.id)
        .order_by(SchoolClass.grade, SchoolClass.section, Student.roll)
    ).all()
    return Person("guardian", sender.name, sender.guardian, children)


def conversation(*, school_id: int, phone: str) -> dict:
    """The latest messages between the school and this phone, oldest first, with the
    delivery status of the school's own, and a token that changes when any of it does."""
    newest = db.session.scalars(
        sa.select(SandboxMessage)
        .where(SandboxMessage.phone_number_id == number(school_id), SandboxMessage.peer == phone)
        .order_by(SandboxMessage.id.desc())
        .limit(SHOWN + 1)
    ).all()
    messages = list(reversed(newest[:SHOWN]))
    wamids = [m.wamid for m in messages if m.direction == "out" and m.wamid]
    rows = db.session.execute(
        sa.select(Delivery.wamid, Delivery.status, Delivery.broadcast_id).where(
            Delivery.school_id == school_id, Delivery.wamid.in_(wamids)
        )
    ).all()
    deliveries = {wamid: (status, broadcast_id) for wamid, status, broadcast_id in rows}
    seen = "|".join(f"{m.id}:{deliveries.get(m.wamid, ('',))[0]}" for m in messages)
    return {
        "messages": messages,
        "more": len(newest) > SHOWN,
        "deliveries": deliveries,
        "templates": _template_texts(school_id, messages),
        "media": _media_shown(school_id, messages),
        "buttons": {m.id: buttons_of(m, school_id) for m in messages},
        "token": hashlib.sha1(seen.encode(), usedforsecurity=False).hexdigest()[:16],
    }


def _media_shown(school_id: int, messages) -> dict[int, MediaFile]:
    """The photo or PDF each message carried, as the sandbox kept it (by its sha256)."""
    shas = {
        m.id: sandbox_media_sha((m.payload.get("media") or {}).get("id"))
        for m in messages
        if m.payload.get("media")
    }
    if not any(shas.values()):
        return {}
    found = {
        media.sha256: media
        for media in db.session.scalars(
            sa.select(MediaFile).where(
                MediaFile.school_id == school_id, MediaFile.sha256.in_(set(shas.values()))
            )
        )
    }
    return {mid: found[sha] for mid, sha in shas.items() if sha in found}


def _template_texts(school_id: int, messages) -> dict[int, str]:
    """Template messages as the parent reads them: the wording with the values in."""
    sent = [m for m in messages if m.kind == "template"]
    if not sent:
        return {}
    by_name = {t.name: t for t in all_shipped()}
    rows = db.session.execute(
        sa.select(Template.meta_name, Template.purpose, Template.language).where(
            Template.school_id == school_id
        )
    ).all()
    by_name |= {name: shipped(purpose, lang) for name, purpose, lang in rows}
    texts = {}
    for m in sent:
        template = by_name.get(m.payload.get("template"))
        if template is not None:
            texts[m.id] = fill(template.body, m.payload.get("params") or {})
    return texts


def buttons_of(message: SandboxMessage, school_id: int) -> list[dict]:
    """The buttons under a message the school sent, as the phone shows them: an interactive
    message's reply buttons ({"id", "title"}), a template's quick replies ({"payload",
    "title"}: the label Meta holds for it)."""
    if message.direction != "out":
        return []
    if message.kind == "interactive":
        return list(message.payload.get("buttons") or [])
    payloads = message.payload.get("quick_replies") or []
    if message.kind != "template" or not payloads:
        return []
    labels = _quick_reply_labels(school_id, message.payload.get("template"))
    return [{"payload": p, "title": t} for p, t in zip(payloads, labels, strict=False)]


def _quick_reply_labels(school_id: int, name: str | None) -> list[str]:
    row = db.session.scalar(
        sa.select(Template.buttons).where(
            Template.school_id == school_id, Template.meta_name == name
        )
    )
    if row:
        return list(row)
    shipped_ones = {t.name: t for t in all_shipped()}
    return list(shipped_ones[name].buttons) if name in shipped_ones else []


def replied_to(*, school_id: int, phone: str, message_id: int | None) -> SandboxMessage | None:
    """A message the school sent to this phone, which the phone is replying to."""
    if not message_id:
        return None
    return db.session.scalar(
        sa.select(SandboxMessage).where(
            SandboxMessage.id == message_id,
            SandboxMessage.phone_number_id == number(school_id),
            SandboxMessage.peer == phone,
            SandboxMessage.direction == "out",
        )
    )


def write(*, school_id: int, phone: str, name: str | None, text: str, reply_to=None, content=None):
    """Keep what the phone wrote (or tapped: `content`, a button reply), and the webhook
    Meta would post for it, signed with the app secret (None when there is none); the
    caller commits before posting it, so the school's answers come after it, in order."""
    phone_number_id = number(school_id)
    body = SandboxTransport().inbound_webhook(
        phone_number_id=phone_number_id,
        sender=phone,
        text=text,
        name=name,
        context_wamid=reply_to.wamid if reply_to else None,
        at=clock.now(),
        content=content,
    )
    message = json.loads(body)["entry"][0]["changes"][0]["value"]["messages"][0]
    db.session.add(
        SandboxMessage(
            phone_number_id=phone_number_id,
            peer=phone,
            direction="in",
            kind="button" if content else "text",
            body=text,
            payload=message,
            wamid=message["id"],
            created_at=clock.now(),
        )
    )
    secret = current_app.config["WHATSAPP_APP_SECRET"]
    if not secret:
        return None
    headers = {"X-Hub-Signature-256": signature.sign(body, secret)}
    return SignedWebhook(body, headers | {"Content-Type": "application/json"})


def tap(*, school_id: int, phone: str, name: str | None, message: SandboxMessage, index: int):
    """The phone taps button `index` under a message the school sent: the webhook Meta
    would post (None when there is no such button, or no app secret)."""
    buttons = buttons_of(message, school_id)
    if not 0 <= index < len(buttons):
        return None
    button = buttons[index]
    if "payload" in button:
        content = sandbox_webhooks.quick_reply_content(button["payload"], button["title"])
    else:
        content = sandbox_webhooks.reply_button_content(button["id"], button["title"])
    return write(
        school_id=school_id,
        phone=phone,
        name=name,
        text=button["title"],
        reply_to=message,
        content=content,
    )


def limit_webhook(*, school_id: int, tier: str):
    """Meta's `business_capability_update` raising (or lowering) the school's messaging
    limit, signed (None without an app secret or a WhatsApp Business Account id)."""
    school = db.session.get(School, school_id)
    secret = current_app.config["WHATSAPP_APP_SECRET"]
    if not secret or not school.waba_id:
        return None
    value = {"max_daily_conversations_per_business": tier, "max_phone_numbers_per_waba": 25}
    body = sandbox_webhooks.account_body(
        school.waba_id, "business_capability_update", value, clock.now()
    )
    headers = {"X-Hub-Signature-256": signature.sign(body, secret)}
    return SignedWebhook(body, headers | {"Content-Type": "application/json"})


def teachers(*, school_id: int) -> list[Teacher]:
    """The school's active teachers, by name, with their classes."""
    return db.session.scalars(
        sa.select(Teacher)
        .where(Teacher.school_id == school_id, Teacher.active)
        .order_by(Teacher.name)
        .options(selectinload(Teacher.classes))
    ).all()


def guardians_by_class(*, school_id: int) -> dict:
    """Each class with its students' guardians (a guardian of two classes is in both)."""
    rows = db.session.execute(
        sa.select(SchoolClass, Student, Guardian)
        .join(Student, Student.class_id == SchoolClass.id)
        .join(StudentGuardian, StudentGuardian.student_id == Student.id)
        .join(Guardian, Guardian.id == StudentGuardian.guardian_id)
        .where(SchoolClass.school_id == school_id, Student.active, Guardian.active)
        .order_by(
            SchoolClass.academic_year.desc(), SchoolClass.grade, SchoolClass.section, Student.roll
        )
    ).all()
    groups: dict = {}
    for school_class, student, guardian in rows:
        groups.setdefault(school_class, []).append((guardian, student))
    return groups


def recent(*, school_id: int, limit: int = 8) -> list[tuple[str, str | None]]:
    """The numbers the school's sandbox number talked with last, with their names if known."""
    peers = db.session.scalars(
        sa.select(SandboxMessage.peer)
        .where(SandboxMessage.phone_number_id == number(school_id))
        .group_by(SandboxMessage.peer)
        .order_by(sa.func.max(SandboxMessage.id).desc())
        .limit(limit)
    ).all()
    phones, names = ["+" + p for p in peers], {}
    for model in (Guardian, Teacher):  # a teacher's name wins, as in the conversation
        names |= dict(
            db.session.execute(
                sa.select(model.phone, model.name).where(
                    model.school_id == school_id, model.phone.in_(phones)
                )
            ).all()
        )
    return [(p, names.get("+" + p)) for p in peers]
