"""Schools grouped into one Meta business portfolio share its messaging limit; a school in
no group is a portfolio of its own."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import Portfolio, School
from portal.services.common import audit
from portal.services.common.refusals import SetupError
from portal.whatsapp.account_changes import limit_of


def choices() -> list[Portfolio]:
    return list(db.session.scalars(sa.select(Portfolio).order_by(Portfolio.name)))


def named(name: str) -> Portfolio:
    """The portfolio of this name, made if there is none."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise SetupError(_l("Give the business portfolio a name of at most 200 characters."))
    found = db.session.scalar(sa.select(Portfolio).where(Portfolio.name == name))
    if found is None:
        found = Portfolio(name=name)
        db.session.add(found)
        db.session.flush()
    return found


def group(*, school: School, portfolio: Portfolio | None, user_id: int | None = None) -> None:
    """Put the school in a portfolio (None: its own); it takes the group's limit (the
    lowest any member reported, the safe one) until Meta is next asked."""
    before = school.portfolio.name if school.portfolio else None
    school.portfolio_id = portfolio.id if portfolio else None
    if portfolio is not None:
        members = db.session.scalars(
            sa.select(School).where(School.portfolio_id == portfolio.id, School.id != school.id)
        ).all()
        tiers = [m.messaging_tier for m in members] + [school.messaging_tier]
        lowest = min(tiers, key=lambda t: limit_of(t) if limit_of(t) is not None else 10**12)
        for member in [*members, school]:
            member.messaging_tier = lowest
    after = portfolio.name if portfolio else None
    if before != after:
        audit.record(
            school_id=school.id,
            user_id=user_id,
            action="school.portfolio",
            target=school,
            changes={"portfolio": [before, after]},
        )
