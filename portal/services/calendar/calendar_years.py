"""Which Bikram Sambat years a school's calendar covers: the current one and the next are
pre-filled with Nepal's public holidays for every active school."""

import sqlalchemy as sa

from portal.extensions import db
from portal.models import School
from portal.services.calendar import holidays
from portal.services.common import clock
from portal.services.common.dates import NEPAL, to_bs


def prefill_school(school_id: int, *, user_id: int | None = None, actor=None) -> int:
    """The current and next BS year pre-filled for one school (each once); days added."""
    year = to_bs(clock.now().astimezone(NEPAL).date()).year
    return sum(
        holidays.prefill_year(school_id=school_id, bs_year=y, user_id=user_id, actor=actor)
        for y in (year, year + 1)
    )


def prefill_every_school() -> int:
    """The nightly pre-fill, recorded as Sandesh's own doing."""
    school_ids = db.session.scalars(sa.select(School.id).where(School.active))
    return sum(prefill_school(school_id, actor="system") for school_id in list(school_ids))
