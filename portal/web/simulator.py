"""The phone simulator (sandbox only): write to the school's WhatsApp number as a teacher, a
parent or a stranger, through the real signed webhook, and watch what the school sends back."""

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.lexicon.numerals import localize_digits
from portal.models import (
    Delivery,
    Guardian,
    SandboxMessage,
    School,
    SchoolClass,
    Student,
    StudentGuardian,
    Teacher,
    Template,
)
from portal.services.common import clock
from portal.services.common.dates import NEPAL
from portal.services.common.phones import InvalidPhone, normalize_phone
from portal.services.delivery import sending
from portal.services.delivery.transport import is_sandbox
from portal.services.wording.template_texts import BODIES, DEFAULT_TEMPLATES
from portal.web.htmx import is_htmx, render_page
from portal.web.i18n import locale_code, number
from portal.web.tenancy import admin_only, school_id, scoped
from portal.whatsapp import signature
from portal.whatsapp.outgoing import MAX_TEXT_LENGTH
from portal.whatsapp.sandbox import SandboxTransport

bp = Blueprint("simulator", __name__, url_prefix="/simulator")
DIGITS = re.compile(r"[1-9][0-9]{6,14}")
SHOWN = 30  # the latest messages of a conversation: the polled fragment stays small
QUICK = {"teacher": ("HELP", "YES", "NO"), "guardian": ("STOP", "START", "NEPALI", "ENGLISH")}
BOLD = re.compile(r"\*(\S(?:[^*\n]*?\S)?)\*")


@dataclass
class Person:
    """Who is behind a number, as the school knows them."""

    kind: str  # teacher, guardian or unknown
    name: str | None = None
    record: Teacher | Guardian | None = None
    children: list = field(default_factory=list)  # (student, class) for a guardian


def sandbox_admin(view):
    """Only in sandbox mode (404 with the Cloud API), and only for school admins (403)."""
    guarded = admin_only(view)

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not is_sandbox():
            abort(404)
        return guarded(*args, **kwargs)

    return wrapped


@bp.get("/")
@sandbox_admin
def index():
    chosen, error = request.args.get("phone", "").strip(), None
    if chosen:
        try:
            return redirect(url_for(".show", phone=normalize_phone(chosen).lstrip("+")))
        except InvalidPhone as exc:
            error = str(exc)
    return render_page(
        "simulator/index.html",
        status=422 if error else 200,
        teachers=_teachers(),
        classes=_guardians_by_class(),
        recent=_recent(),
        typed=chosen,
        error=error,
    )


@bp.get("/<phone>")
@sandbox_admin
def show(phone):
    return _phone_page(phone, _person(phone), reply_to=request.args.get("reply_to", type=int))


@bp.get("/<phone>/chat")
@sandbox_admin
def chat(phone):
    """The conversation alone, polled: 204 (nothing to swap) while nothing has changed."""
    _person(phone)
    context = _conversation(phone)
    if request.args.get("seen") == context["token"]:
        return "", 204
    return render_page("simulator/show.html", block="chat", phone=phone, **context)


@bp.post("/<phone>")
@sandbox_admin
def send(phone):
    """Write as this phone: recorded, signed and posted to the real webhook, then shown."""
    person = _person(phone)
    text, reply_to = request.form.get("text", "").strip(), request.form.get("reply_to", type=int)
    error = _unsendable(text)
    if error:
        return _phone_page(phone, person, error=error, text=text, reply_to=reply_to, status=422)
    status = _write(phone, person, text, reply_to=reply_to)
    if status != 200:
        error = _("The webhook did not accept the message (HTTP %(status)s).", status=status)
        return _phone_page(phone, person, error=error, status=502)
    if is_htmx():
        return _phone_page(phone, person)
    return redirect(url_for(".show", phone=phone))


def _unsendable(text: str) -> str | None:
    if not text:
        return _("Write a message first.")
    if len(text) > MAX_TEXT_LENGTH:
        return _("WhatsApp allows at most %(count)s characters.", count=number(MAX_TEXT_LENGTH))
    return None


def _phone_page(phone, person, *, reply_to=None, error=None, text="", status=200):
    return render_page(
        "simulator/show.html",
        block="phone",
        status=status,
        phone=phone,
        person=person,
        replying=_replied_to(phone, reply_to),
        quick=QUICK.get(person.kind, ()),
        error=error,
        text=text,
        **_conversation(phone),
    )


def _write(phone: str, person: Person, text: str, *, reply_to: int | None) -> int:
    """Record what the phone wrote, then post it as Meta would; the webhook's HTTP status."""
    number = _number()
    replied = _replied_to(phone, reply_to)
    body = SandboxTransport().inbound_webhook(
        phone_number_id=number,
        sender=phone,
        text=text,
        name=person.name,
        context_wamid=replied.wamid if replied else None,
        at=clock.now(),
    )
    message = json.loads(body)["entry"][0]["changes"][0]["value"]["messages"][0]
    db.session.add(
        SandboxMessage(
            phone_number_id=number,
            peer=phone,
            direction="in",
            kind="text",
            body=text,
            payload=message,
            wamid=message["id"],
            created_at=clock.now(),
        )
    )
    db.session.commit()  # before the webhook: the school's answers come after it, in order
    return _post_webhook(body)


def _post_webhook(body: bytes) -> int:
    """POST a body to the app's own webhook, signed with the app secret, in-process."""
    secret = current_app.config["WHATSAPP_APP_SECRET"]
    if not secret:
        return 401
    headers = {
        "X-Hub-Signature-256": signature.sign(body, secret),
        "Content-Type": "application/json",
    }
    app = current_app._get_current_object()
    with app.app_context():  # its own session and `g`, like a request from Meta
        return app.test_client().post("/webhooks/whatsapp", data=body, headers=headers).status_code


def _number() -> str:
    return sending.sender_number(db.session.get(School, school_id()))


def _person(phone: str) -> Person:
    """Who this number is at the signed-in user's school (404 for something not a number)."""
    if not DIGITS.fullmatch(phone):
        abort(404)
    e164 = "+" + phone
    teacher = db.session.scalar(
        scoped(Teacher).where(Teacher.phone == e164).options(selectinload(Teacher.classes))
    )
    if teacher is not None:
        return Person("teacher", teacher.name, teacher)
    guardian = db.session.scalar(scoped(Guardian).where(Guardian.phone == e164))
    if guardian is None:
        return Person("unknown")
    children = db.session.execute(
        sa.select(Student, SchoolClass)
        .join(SchoolClass)
        .join(StudentGuardian)
        .where(StudentGuardian.guardian_id == guardian.id)
        .order_by(SchoolClass.grade, SchoolClass.section, Student.roll)
    ).all()
    return Person("guardian", guardian.name, guardian, children)


def _conversation(phone: str) -> dict:
    """The latest messages between the school and this phone, oldest first, with the
    delivery status of the school's own, and a token that changes when any of it does."""
    newest = db.session.scalars(
        sa.select(SandboxMessage)
        .where(SandboxMessage.phone_number_id == _number(), SandboxMessage.peer == phone)
        .order_by(SandboxMessage.id.desc())
        .limit(SHOWN + 1)
    ).all()
    messages = list(reversed(newest[:SHOWN]))
    wamids = [m.wamid for m in messages if m.direction == "out" and m.wamid]
    rows = db.session.execute(
        sa.select(Delivery.wamid, Delivery.status, Delivery.broadcast_id).where(
            Delivery.school_id == school_id(), Delivery.wamid.in_(wamids)
        )
    ).all()
    deliveries = {wamid: (status, broadcast_id) for wamid, status, broadcast_id in rows}
    seen = "|".join(f"{m.id}:{deliveries.get(m.wamid, ('',))[0]}" for m in messages)
    return {
        "messages": messages,
        "more": len(newest) > SHOWN,
        "deliveries": deliveries,
        "templates": _template_texts(messages),
        "token": hashlib.sha1(seen.encode(), usedforsecurity=False).hexdigest()[:16],
    }


def _template_texts(messages) -> dict[int, str]:
    """Template messages as the parent reads them: the shipped wording with the values in."""
    sent = [m for m in messages if m.kind == "template"]
    if not sent:
        return {}
    purposes = {name: purpose for purpose, (name, _params) in DEFAULT_TEMPLATES.items()}
    purposes |= dict(
        db.session.execute(
            sa.select(Template.meta_name, Template.purpose).where(Template.school_id == school_id())
        ).all()
    )
    texts = {}
    for m in sent:
        text = BODIES.get((purposes.get(m.payload.get("template")), m.payload.get("language")))
        if text:
            for name, value in (m.payload.get("params") or {}).items():
                text = text.replace("{{" + name + "}}", str(value))
            texts[m.id] = text
    return texts


def _replied_to(phone: str, message_id: int | None) -> SandboxMessage | None:
    """A message the school sent to this phone, which the phone is replying to."""
    if not message_id:
        return None
    return db.session.scalar(
        sa.select(SandboxMessage).where(
            SandboxMessage.id == message_id,
            SandboxMessage.phone_number_id == _number(),
            SandboxMessage.peer == phone,
            SandboxMessage.direction == "out",
        )
    )


def _teachers() -> list[Teacher]:
    return db.session.scalars(
        scoped(Teacher)
        .where(Teacher.active)
        .order_by(Teacher.name)
        .options(selectinload(Teacher.classes))
    ).all()


def _guardians_by_class() -> dict:
    """Each class with its students' guardians (a guardian of two classes is in both)."""
    rows = db.session.execute(
        sa.select(SchoolClass, Student, Guardian)
        .join(Student, Student.class_id == SchoolClass.id)
        .join(StudentGuardian, StudentGuardian.student_id == Student.id)
        .join(Guardian, Guardian.id == StudentGuardian.guardian_id)
        .where(SchoolClass.school_id == school_id(), Student.active, Guardian.active)
        .order_by(
            SchoolClass.academic_year.desc(), SchoolClass.grade, SchoolClass.section, Student.roll
        )
    ).all()
    groups: dict = {}
    for school_class, student, guardian in rows:
        groups.setdefault(school_class, []).append((guardian, student))
    return groups


def _recent(limit: int = 8) -> list[tuple[str, str | None]]:
    """The numbers the school's sandbox number talked with last, with their names if known."""
    peers = db.session.scalars(
        sa.select(SandboxMessage.peer)
        .where(SandboxMessage.phone_number_id == _number())
        .group_by(SandboxMessage.peer)
        .order_by(sa.func.max(SandboxMessage.id).desc())
        .limit(limit)
    ).all()
    phones, names = ["+" + p for p in peers], {}
    for model in (Guardian, Teacher):  # a teacher's name wins, as in the conversation
        names |= dict(
            db.session.execute(
                sa.select(model.phone, model.name).where(
                    model.school_id == school_id(), model.phone.in_(phones)
                )
            ).all()
        )
    return [(p, names.get("+" + p)) for p in peers]


@bp.app_template_filter("whatsapp")
def whatsapp(text: str | None) -> Markup:
    """Message text as WhatsApp shows it: *bold* in bold (line breaks are kept by CSS)."""
    parts = BOLD.split(text or "")  # plain, bold, plain, bold, …
    bold = Markup("<strong>{}</strong>")
    return Markup("").join(bold.format(p) if i % 2 else escape(p) for i, p in enumerate(parts))


@bp.app_template_filter("chat_time")
def chat_time(moment) -> str:
    """`14:05` in Nepal time, with Devanagari digits for Nepali readers."""
    return localize_digits(moment.astimezone(NEPAL).strftime("%H:%M"), locale_code())
