"""The inbox: what parents wrote back to the school, newest first, until someone handles it."""

import sqlalchemy as sa
from flask import Blueprint, current_app, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.models import Guardian, InboundMessage, Student, StudentGuardian, User
from portal.services.common import audit, clock
from portal.services.conversations import parent_keywords
from portal.web.htmx import is_htmx, render_page
from portal.web.tenancy import roster_editor, school_id, school_member

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
SHOWS = ("unhandled", "all")


def _in_inbox() -> tuple:
    return InboundMessage.school_id == school_id(), InboundMessage.in_inbox.is_(True)


def _unhandled():
    return InboundMessage.handled_at.is_(None)


def replies():
    """Parents' replies to the current school, newest first."""
    return (
        sa.select(InboundMessage)
        .where(*_in_inbox())
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
    )


@bp.get("/")
@school_member
def index():
    show = request.args.get("show", "unhandled")
    show = show if show in SHOWS else "unhandled"
    query = replies()
    if show == "unhandled":
        query = query.where(_unhandled())
    page = db.paginate(_with_people(query), per_page=current_app.config["PAGE_SIZE"])
    unhandled = db.session.scalar(
        sa.select(sa.func.count(InboundMessage.id)).where(*_in_inbox(), _unhandled())
    )
    return render_page(
        "inbox/index.html",
        block="rows",
        page=page,
        show=show,
        unhandled=unhandled,
        **_row_context(page.items),
    )


@bp.post("/<int:message_id>/handle")
@roster_editor
def handle(message_id):
    """Mark a reply as dealt with, by whom and when (once: a second click changes nothing)."""
    message = db.first_or_404(_with_people(replies().where(InboundMessage.id == message_id)))
    if message.handled_at is None:
        message.handled_at, message.handled_by_user_id = clock.now(), current_user.id
        audit.record(
            school_id=message.school_id,
            user_id=current_user.id,
            action="inbox.handle",
            target=message,
            changes={"handled": [False, True]},
        )
        db.session.commit()
    if is_htmx():
        return render_page("inbox/_message.html", message=message, **_row_context([message]))
    show = request.form.get("show")
    page = request.form.get("page", type=int)
    return redirect(url_for(".index", show=show if show in SHOWS else None, page=page))


@bp.post("/<int:message_id>/opt-out")
@roster_editor
def opt_out(message_id):
    """The parent asked in a sentence to stop: the office opts them out, as STOP would."""
    message = db.first_or_404(_with_people(replies().where(InboundMessage.id == message_id)))
    guardian = message.guardian
    if guardian is not None and parent_keywords.opt_out(guardian=guardian, at=clock.now()):
        audit.record(
            school_id=message.school_id,
            user_id=current_user.id,
            action="guardian.opt_out",
            target=guardian,
            changes={"opted_out": [False, True]},
        )
        db.session.commit()
    if is_htmx():
        return render_page("inbox/_message.html", message=message, **_row_context([message]))
    return redirect(url_for(".index"))


def _with_people(query):
    """Load each reply's guardian with their children and classes, and the broadcast."""
    return query.options(
        joinedload(InboundMessage.guardian)
        .selectinload(Guardian.links)
        .joinedload(StudentGuardian.student)
        .joinedload(Student.school_class),
        joinedload(InboundMessage.broadcast),
        joinedload(InboundMessage.media_file),
    )


def _row_context(messages) -> dict:
    """Who handled the shown replies, and whether broadcasts have a page to link to."""
    ids = {m.handled_by_user_id for m in messages if m.handled_by_user_id}
    users = db.session.scalars(sa.select(User).where(User.id.in_(ids))) if ids else []
    return {
        "handlers": {u.id: u for u in users},
        "broadcast_pages": "broadcasts.show" in current_app.view_functions,
        "asks_to_stop": {m.id for m in messages if parent_keywords.sounds_like_stop(m.text)},
    }
