"""Signing in and out, and choosing the portal's language."""

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, request, session, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal.extensions import db, login_manager
from portal.models import LANGUAGES, User, utcnow
from portal.services.accounts import logins
from portal.web.forms import LoginForm
from portal.web.htmx import render_page

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str):
    return db.session.scalar(sa.select(User).where(User.id == int(user_id)))


login_manager.login_view = "auth.login"
login_manager.login_message = None


def safe_next(target: str | None) -> str:
    """Only a path on this site (`/students`), never another host (`//evil`, `https://…`)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_page("auth/login.html", form=form, status=status)
    email, address = form.email.data, request.remote_addr
    until = logins.locked_until(email, address)
    if until:
        wait = format_timedelta(until - utcnow(), threshold=2)
        form.form_errors.append(_("Too many failed attempts. Try again in %(wait)s.", wait=wait))
        return render_page("auth/login.html", form=form, status=429)
    user = logins.authenticate(email, form.password.data, address)
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
