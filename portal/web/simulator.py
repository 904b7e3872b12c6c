"""The phone simulator (sandbox only): write to the school's WhatsApp number as a teacher, a
parent or a stranger, through the real signed webhook, and watch what the school sends back.
The conversation itself is `services.conversations.simulator`; this module only renders."""

import re
from functools import wraps

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from portal.extensions import db
from portal.lexicon.numerals import localize_digits
from portal.models import School
from portal.services.common.dates import NEPAL
from portal.services.common.phones import InvalidPhone, normalize_phone
from portal.services.conversations import simulator
from portal.services.delivery.transport import is_sandbox
from portal.services.waba.onboarding import limit_text
from portal.web.htmx import is_htmx, render_page
from portal.web.i18n import locale_code, number
from portal.web.tenancy import admin_only, school_id

bp = Blueprint("simulator", __name__, url_prefix="/simulator")
DIGITS = re.compile(r"[1-9][0-9]{6,14}")
QUICK = {"teacher": ("HELP", "YES", "NO"), "guardian": ("STOP", "START", "NEPALI", "ENGLISH")}
BOLD = re.compile(r"\*(\S(?:[^*\n]*?\S)?)\*")
RAISES = ("TIER_2K", "TIER_10K", "TIER_UNLIMITED")  # what Meta may raise a limit to


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
    school = db.session.get(School, school_id())
    return render_page(
        "simulator/index.html",
        status=422 if error else 200,
        school=school,
        limit=limit_text(school.messaging_tier),
        tiers=RAISES,
        teachers=simulator.teachers(school_id=school_id()),
        classes=simulator.guardians_by_class(school_id=school_id()),
        recent=simulator.recent(school_id=school_id()),
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
    """The conversation alone, polled: 204 (nothing to swap) while nothing has changed;
    asked for outside HTMX (a bookmark, a reload), the phone's page."""
    _person(phone)
    if not is_htmx():
        return redirect(url_for(".show", phone=phone))
    context = simulator.conversation(school_id=school_id(), phone=phone)
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
    return _after_post(phone, person, _write(phone, person, text, reply_to=reply_to))


@bp.post("/<phone>/tap")
@sandbox_admin
def tap(phone):
    """Tap a button under a message the school sent, as the phone: the same webhook Meta
    would post for it."""
    person = _person(phone)
    message = simulator.replied_to(
        school_id=school_id(), phone=phone, message_id=request.form.get("message_id", type=int)
    )
    if message is None:
        abort(404)
    signed = simulator.tap(
        school_id=school_id(),
        phone=phone,
        name=person.name,
        message=message,
        index=request.form.get("index", -1, type=int),
    )
    if signed is None:
        abort(404)
    db.session.commit()
    return _after_post(phone, person, _post(signed))


def _after_post(phone, person, status: int):
    """The phone again once the webhook took what it sent (502 with why when it did not)."""
    if status != 200:
        error = _("The webhook did not accept the message (HTTP %(status)s).", status=status)
        return _phone_page(phone, person, error=error, status=502)
    if is_htmx():
        return _phone_page(phone, person)
    return redirect(url_for(".show", phone=phone))


@bp.post("/limit")
@sandbox_admin
def limit():
    """Play Meta raising the portfolio's messaging limit (business_capability_update)."""
    tier = request.form.get("tier", "")
    signed = simulator.limit_webhook(school_id=school_id(), tier=tier) if tier in RAISES else None
    if signed is None:
        abort(404)
    status = _post(signed)
    if status == 200:
        flash(_("Meta raised the limit: %(limit)s", limit=limit_text(tier)))
    else:
        flash(_("The webhook did not accept it (HTTP %(status)s).", status=status), "error")
    return redirect(url_for(".index"))


def _unsendable(text: str) -> str | None:
    if not text:
        return _("Write a message first.")
    if len(text) > simulator.MAX_TEXT_LENGTH:
        return _(
            "WhatsApp allows at most %(count)s characters.", count=number(simulator.MAX_TEXT_LENGTH)
        )
    return None


def _phone_page(phone, person, *, reply_to=None, error=None, text="", status=200):
    return render_page(
        "simulator/show.html",
        block="phone",
        status=status,
        phone=phone,
        person=person,
        replying=simulator.replied_to(school_id=school_id(), phone=phone, message_id=reply_to),
        quick=QUICK.get(person.kind, ()),
        error=error,
        text=text,
        **simulator.conversation(school_id=school_id(), phone=phone),
    )


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


def _person(phone: str) -> simulator.Person:
    """Who this number is at the signed-in user's school (404 for something not a number)."""
    if not DIGITS.fullmatch(phone):
        abort(404)
    return simulator.person(school_id=school_id(), phone=phone)


def _write(phone: str, person: simulator.Person, text: str, *, reply_to: int | None) -> int:
    """Keep what the phone wrote, then post it to the app's own webhook as Meta would;
    the webhook's HTTP status."""
    replied = simulator.replied_to(school_id=school_id(), phone=phone, message_id=reply_to)
    signed = simulator.write(
        school_id=school_id(), phone=phone, name=person.name, text=text, reply_to=replied
    )
    db.session.commit()  # before the webhook: the school's answers come after it, in order
    return _post(signed)


def _post(signed) -> int:
    """Post a signed webhook to the app's own endpoint, as Meta would; its HTTP status."""
    if signed is None:
        return 401
    app = current_app._get_current_object()
    with app.app_context():  # its own session and `g`, like a request from Meta
        response = app.test_client().post(
            "/webhooks/whatsapp", data=signed.body, headers=signed.headers
        )
        return response.status_code
