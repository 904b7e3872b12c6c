"""The weekly summary to the principal on WhatsApp: due on the school's day and Nepal time,
queued once however often the task runs, in the reader's language (Nepali digits for a
Nepali reader), with last week's notices, reach, read rate, the least-reached classes and
new opt-outs; inside the window as text, outside it carried by the reminder template."""

from datetime import date, time

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from portal.models import Delivery, SubscriptionChange
from portal.services.reports import weekly
from portal.tasks.reports import send_weekly_summaries
from tests import report_data
from tests.factories import TeacherFactory
from tests.report_data import nepal

SUNDAY = date(2026, 11, 29)  # the week before: 22–28 Nov, with b2 (25 Nov)


@pytest.fixture
def data(db, frozen_clock):
    frozen_clock.nepal(SUNDAY, 7, 0)
    data = report_data.seed()
    principal = TeacherFactory(school=data.school, name="Principal", language="en")
    data.school.summary_teacher_id, data.school.summary_weekday = principal.id, 6
    data.school.summary_at = time(8, 0)
    db.session.add(
        SubscriptionChange(
            school_id=data.school.id,
            guardian_id=data.guardians["g3"].id,
            stopped=True,
            at=nepal(date(2026, 11, 26), 9),
        )
    )
    db.session.commit()
    data.principal = principal
    return data


def test_the_text_in_english(app, data):
    with app.test_request_context(), force_locale("en"):
        text = weekly.text(data.school, weekly.last_week(SUNDAY), "en")
    lines = text.split("\n")
    assert lines[0] == f"Weekly summary from {data.school.name}"
    assert "22 Nov 2026" in lines[1] and "28 Nov 2026" in lines[1]
    assert lines[2] == "1 notice sent."
    # b2: 3 messaged, 2 delivered, 1 read and Seen
    assert lines[3] == "Delivered: 66.7% · Read: 33.3% · Seen: 33.3%"
    # 5A: g4 (pending) of 1; 1A: 2 of 3; 1B: 1 of 1
    assert lines[4] == "Least reached: 5A 0.0%, 1A 66.7%, 1B 100.0%"
    assert lines[5] == "New opt-outs: 1 · Started again: 0"
    assert lines[6] == "The full report is on the Reports page of Sandesh."


def test_the_text_in_nepali(app, data):
    with app.test_request_context(), force_locale("ne"):
        text = weekly.text(data.school, weekly.last_week(SUNDAY), "ne")
    assert data.school.name_ne in text
    assert "६६.७%" in text and "५क ०.०%" in text and "१क ६६.७%" in text
    assert "Delivered" not in text and "Least reached" not in text
    assert any("\u0900" <= ch <= "\u097f" for ch in text.split("\n")[2])


def summaries(db) -> list[Delivery]:
    return list(db.session.scalars(sa.select(Delivery).where(Delivery.purpose == weekly.PURPOSE)))


def test_due_on_its_day_and_time_and_queued_once(db, data, frozen_clock, phones):
    assert send_weekly_summaries.call_local() == 0  # 07:00: not yet
    frozen_clock.nepal(SUNDAY, 8, 0)
    assert send_weekly_summaries.call_local() == 1
    assert send_weekly_summaries.call_local() == 0  # the same day again: nothing more
    [summary] = summaries(db)
    assert summary.to_phone == data.principal.phone
    assert summary.body.startswith("Weekly summary from")
    [message] = phones.to(data.principal.phone)
    assert message["body"] == summary.body  # inside the window: as written
    frozen_clock.nepal(date(2026, 11, 30), 9, 0)  # Monday: not its day
    assert send_weekly_summaries.call_local() == 0
    frozen_clock.nepal(date(2026, 12, 6), 8, 30)  # next Sunday
    assert send_weekly_summaries.call_local() == 1 and len(summaries(db)) == 2


def test_outside_the_window_the_reminder_template_carries_it(db, data, frozen_clock, phones):
    phones.fake.configure(recipient_errors={data.principal.phone.lstrip("+"): 131047})
    frozen_clock.nepal(SUNDAY, 9, 0)
    assert send_weekly_summaries.call_local() == 1
    [template] = [m for m in phones.to(data.principal.phone) if m["template"]]
    assert template["template"] == "sandesh_reminder"
    assert "Least reached: 5A 0.0%" in template["params"]["message"]
    assert "\n" not in template["params"]["message"]  # Meta refuses newlines in parameters


def test_nobody_named_nobody_messaged(db, data, frozen_clock):
    data.school.summary_teacher_id = None
    db.session.commit()
    frozen_clock.nepal(SUNDAY, 9, 0)
    assert send_weekly_summaries.call_local() == 0 and summaries(db) == []
