"""Signing in and out, and choosing the portal's language."""

from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, request, session, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal.extensions import db, login_manager
from portal.models import LANGUAGES, User, utcnow
from portal.services.accounts import logins, users
from portal.web.forms import LoginForm
from portal.web.htmx import render_page

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(session_user_id: str):
    """The session's user, if the session is still theirs: an active account whose session
    version is the one the session was made with (signing out ends every session)."""
    ident, _, version = str(session_user_id).partition(":")
    if not ident.isdigit() or not version.isdigit():
        return None
    return db.session.scalar(
        sa.select(User).where(
            User.id == int(ident), User.session_version == int(version), User.active
        )
    )


login_manager.login_view = "auth.login"
login_manager.login_message = None


# What a browser drops before reading a URL (WHATWG URL standard): C0 controls and spaces at
# either end, and tabs and newlines anywhere; it then reads `\` as `/` in http(s) URLs.
_EDGES = "".join(chr(c) for c in range(0x21))
_DROPPED = str.maketrans("", "", "\t\n\r")


def safe_next(target: str | None) -> str:
    """Only a path on this site (`/students`), never another host, however spelt
    (`//evil`, `/\\evil`, ` //evil`, `/<tab>/evil`, `https:evil`, `java<tab>script:`…): the
    value is read as the browser would read it, and that reading is what is followed."""
    cleaned = (target or "").strip(_EDGES).translate(_DROPPED).replace("\\", "/")
    if (
        cleaned.startswith("/")
        and not cleaned.startswith("//")
        and cleaned.isprintable()
        and not urlsplit(cleaned).netloc
    ):
        return cleaned
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_page("auth/login.html", form=form, status=status)
    email = form.email.data
    attempt = logins.begin_attempt(email, request.remote_addr)
    if attempt.retry_at:
        wait = format_timedelta(max(attempt.retry_at - utcnow(), timedelta(0)), threshold=2)
        form.form_errors.append(_("Too many failed attempts. Try again in %(wait)s.", wait=wait))
        return render_page("auth/login.html", form=form, status=429)
    user = logins.authenticate(email, form.password.data, attempt)
    db.session.commit()
    if user is None:
        form.form_errors.append(_("That email and password do not match an account."))
        return render_page("auth/login.html", form=form, status=422)
    session.clear()  # a fresh session at sign-in: nothing carried over from before
    login_user(user)
    return redirect(safe_next(request.args.get("next")))


@bp.post("/logout")
@login_required
def logout():
    users.end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."))
    return redirect(url_for("auth.login"))


@bp.post("/language")
def language():
    """Switch between Nepali and English; remembered on the account when signed in."""
    lang = request.form.get("lang", "")
    if lang not in LANGUAGES:
        abort(400)
    session["lang"] = lang
    if current_user.is_authenticated:
        current_user.language = lang
        db.session.commit()
    return redirect(safe_next(request.form.get("next")))
