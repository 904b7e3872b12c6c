"""Schedules made as the portal and API make them."""

from datetime import time

import pytest

from portal.extensions import db
from portal.models import Source
from portal.services.schedules import schedules


@pytest.fixture
def make_schedule(roster, frozen_clock):
    """A committed schedule for the roster's school: `make_schedule(every="day", ...)`."""

    def make(*, targets=("5A",), body_en="Good morning, {weekday} {date}.", **rule):
        rule = {
            "every": "day",
            "at": time(6, 0),
            "weekdays": [],
            "bs_day": None,
            "on_holiday": "skip",
            "starts_on": None,
            "ends_on": None,
        } | rule
        texts = {"kind": "notice", "targets": list(targets), "body_en": body_en, "body_ne": None}
        schedule = schedules.create_schedule(
            school=roster["school"], source=Source.PORTAL, rule=rule, texts=texts
        )
        db.session.commit()
        return schedule

    return make
