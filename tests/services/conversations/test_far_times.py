"""A teacher's `@ …` time follows the same one-year rule as the API and the portal."""

import pytest
import sqlalchemy as sa

from portal.models import Broadcast
from portal.services.common import clock, dates
from tests.factories import TeacherFactory


@pytest.fixture(autouse=True)
def no_pair_gap(monkeypatch):
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)


@pytest.mark.parametrize("years", [2, 30])
def test_a_time_more_than_a_year_ahead_is_refused(db, roster, phones, say, years):
    teacher = TeacherFactory(
        school=roster["school"], language="en", classes=[roster["classes"]["5A"]]
    )
    year = clock.now().astimezone(dates.NEPAL).year + years
    say(roster["school"], teacher.phone, f"5A: Annual day. @ {year}-01-15 10:00")
    [reply] = [m["body"] for m in phones.to(teacher.phone)]
    assert "more than a year away" in reply
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Broadcast)) == 0
