"""Every school on this Sandesh, for the platform operator: adding one with its WhatsApp
setup and checking it with Meta step by step, and grouping schools into business
portfolios (which share a messaging limit)."""

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.models import Guardian, Portfolio, School, Student
from portal.services.common.refusals import SetupError
from portal.services.school import schools as school_service
from portal.services.waba import onboarding, portfolios
from portal.services.waba.graph import current_graph
from portal.services.waba.onboarding import limit_text
from portal.tasks.sandbox import review_later
from portal.web.htmx import render_page
from portal.web.school_forms import NEW, OWN, NewSchoolForm, PortfolioForm
from portal.web.tenancy import operator_only

bp = Blueprint("schools", __name__, url_prefix="/schools")


def _active_counts(model) -> dict[int, int]:
    query = sa.select(model.school_id, sa.func.count()).where(model.active)
    return dict(db.session.execute(query.group_by(model.school_id)).all())


@bp.get("/")
@operator_only
def index():
    schools = db.session.scalars(sa.select(School).order_by(School.name)).all()
    return render_page(
        "schools/index.html",
        schools=schools,
        students=_active_counts(Student),
        guardians=_active_counts(Guardian),
    )


def _new_page(form, status=200):
    return render_page("schools/new.html", form=form, status=status)


@bp.get("/new")
@operator_only
def new():
    return _new_page(NewSchoolForm().offer(portfolios.choices()))


@bp.post("/new")
@operator_only
def create():
    """Add the school, then check its setup with Meta and show each step."""
    form = NewSchoolForm().offer(portfolios.choices())
    if not form.validate_on_submit():
        return _new_page(form, status=422)
    try:
        school = school_service.create_school(
            user_id=current_user.id,
            portfolio_id=_portfolio_id(form),
            **{k: form[k].data for k in ("slug", "name", "name_ne", "phone_number_id")},
            **{k: form[k].data for k in ("waba_id", "access_token")},
        )
        db.session.commit()
    except SetupError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _new_page(form, status=422)
    return _checked(school)


def _portfolio_id(form: PortfolioForm) -> int | None:
    choice = form.portfolio.data
    if choice == OWN:
        return None
    if choice == NEW:
        return portfolios.named(form.new_portfolio.data).id
    return int(choice)


@bp.get("/<int:school_id>")
@operator_only
def show(school_id):
    school = db.get_or_404(School, school_id)
    return _show_page(school, steps=None)


@bp.post("/<int:school_id>/check")
@operator_only
def check(school_id):
    return _checked(db.get_or_404(School, school_id))


def _checked(school: School):
    """Run every onboarding step against Meta and show them."""
    steps = onboarding.check(
        school=school,
        graph=current_graph(),
        webhook_url=webhook_url(),
        verify_token=current_app.config["WHATSAPP_VERIFY_TOKEN"],
    )
    db.session.commit()
    review_later()
    return _show_page(school, steps=steps)


def webhook_url() -> str:
    """The callback URL to paste into Meta's app: PUBLIC_URL's, else this request's host."""
    base = current_app.config["PUBLIC_URL"]
    if base:
        return f"{base}/webhooks/whatsapp"
    return url_for("webhook.receive", _external=True)


def _show_page(school: School, *, steps, status=200):
    form = PortfolioForm(portfolio=str(school.portfolio_id or OWN)).offer(portfolios.choices())
    members = []
    if school.portfolio_id:
        members = db.session.scalars(
            sa.select(School)
            .where(School.portfolio_id == school.portfolio_id)
            .order_by(School.name)
        ).all()
    return render_page(
        "schools/show.html",
        school=school,
        steps=steps,
        form=form,
        members=members,
        limit=limit_text(school.messaging_tier),
        status=status,
    )


@bp.post("/<int:school_id>/portfolio")
@operator_only
def group(school_id):
    """Put the school in a business portfolio (or back in its own)."""
    school = db.get_or_404(School, school_id)
    form = PortfolioForm().offer(portfolios.choices())
    if not form.validate_on_submit():
        return _show_page(school, steps=None, status=422)
    try:
        chosen = _portfolio_id(form)
    except SetupError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".show", school_id=school.id))
    portfolio = db.session.get(Portfolio, chosen) if chosen else None
    portfolios.group(school=school, portfolio=portfolio, user_id=current_user.id)
    db.session.commit()
    flash(_("Saved. Schools of one portfolio share its messaging limit."))
    return redirect(url_for(".show", school_id=school.id))
