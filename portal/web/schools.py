"""Every school on this Sandesh, for the platform operator."""

import sqlalchemy as sa
from flask import Blueprint

from portal.extensions import db
from portal.models import Guardian, School, Student
from portal.web.htmx import render_page
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
