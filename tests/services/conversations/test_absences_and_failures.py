"""Ordinary teacher habits never crash the worker: the same absence list twice marks nobody
twice and messages nobody twice; and a message that still cannot be handled is tried again,
then the school's admins are alerted and the teacher gets an apology, never silence."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.models import Alert, AttendanceRecord, Broadcast, BroadcastStatus, WebhookEvent
from portal.services.common import clock
from portal.services.conversations import failures, teacher_commands
from portal.tasks.events import process_event
from portal.tasks.sweeper import sweep
from tests.conftest import Portal
from tests.factories import TeacherFactory, UserFactory


@pytest.fixture
def teacher(db, roster):
    classes = [roster["classes"]["5A"], roster["classes"]["5B"]]
    return TeacherFactory(school=roster["school"], language="en", classes=classes)


@pytest.fixture(autouse=True)
def no_pair_gap(monkeypatch):
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)


def last_reply(phones, teacher) -> str:
    return phones.to(teacher.phone)[-1]["body"]


def absences(db) -> list[int]:
    return sorted(db.session.scalars(sa.select(AttendanceRecord.student_id)))


def test_the_same_absence_list_twice_marks_and_messages_nobody_twice(
    db, roster, phones, teacher, say
):
    school, students, guardians = roster["school"], roster["students"], roster["guardians"]
    aarav, bina, chiran = students["Aarav"], students["Bina"], students["Chiran"]
    say(school, teacher.phone, f"ABSENT 5A: {aarav.roll} {chiran.roll}")
    say(school, teacher.phone, "YES")
    assert "Sending #" in last_reply(phones, teacher)
    say(school, teacher.phone, f"ABSENT 5A: {aarav.roll} {chiran.roll} {bina.roll}")
    preview = last_reply(phones, teacher)
    assert "Already marked absent today, not messaged again:" in preview
    assert f"roll {aarav.roll} (Aarav)" in preview and f"roll {chiran.roll} (Chiran)" in preview
    assert "Parents: 1" in preview  # only Bina's guardian
    say(school, teacher.phone, "YES")
    assert "Sending #" in last_reply(phones, teacher)
    assert absences(db) == sorted([aarav.id, bina.id, chiran.id])
    assert len(phones.to(guardians["one"].phone)) == 1  # Aarav's, once
    assert len(phones.to(guardians["both"].phone)) == 1  # Bina's
    say(school, teacher.phone, f"ABSENT 5A: {aarav.roll}")
    reply = last_reply(phones, teacher)
    assert "Already marked absent today" in reply and "Preview" not in reply
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Broadcast)) == 2


def test_two_waiting_lists_for_the_same_student_message_it_once(db, roster, phones, teacher, say):
    school, aarav = roster["school"], roster["students"]["Aarav"]
    say(school, teacher.phone, f"ABSENT 5A: {aarav.roll}")
    first = db.session.scalars(sa.select(Broadcast).order_by(Broadcast.id.desc())).first().id
    say(school, teacher.phone, f"ABSENT 5A: {aarav.roll}")
    second = db.session.scalars(sa.select(Broadcast).order_by(Broadcast.id.desc())).first().id
    say(school, teacher.phone, f"YES {first}")
    say(school, teacher.phone, f"YES {second}")
    assert f"Everyone on #{second} was already marked absent today" in last_reply(phones, teacher)
    assert db.session.get(Broadcast, second).status == BroadcastStatus.CANCELLED
    assert len(phones.to(roster["guardians"]["one"].phone)) == 1
    assert absences(db) == [aarav.id]


def test_a_message_that_keeps_failing_is_retried_then_alerted_and_apologised_for(
    db, roster, phones, teacher, say, monkeypatch
):
    school = roster["school"]

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(teacher_commands, "act", broken)
    say(school, teacher.phone, "5A: The bus leaves at 7.")
    event = db.session.scalars(sa.select(WebhookEvent)).one()
    waits = []
    for _ in range(failures.MAX_ATTEMPTS - 1):
        db.session.refresh(event)
        assert event.status == "pending" and event.retry_at is not None
        waits.append(round((event.retry_at - clock.now()).total_seconds()))
        assert phones.to(teacher.phone) == []  # no apology while it is being retried
        later = event.retry_at + timedelta(seconds=1)
        monkeypatch.setattr(clock, "now", lambda later=later: later)
        process_event.call_local(event.id)
    assert waits == list(failures.BACKOFF_SECONDS)
    db.session.refresh(event)
    assert event.status == "failed" and event.attempts == failures.MAX_ATTEMPTS
    assert event.error == "item 0 (message): RuntimeError"
    assert "7." not in event.error and teacher.phone.lstrip("+") not in event.error
    apology = last_reply(phones, teacher)
    assert "could not handle your message “5A: The bus leaves at 7.”" in apology
    assert "Nothing was sent to parents" in apology
    (alert,) = db.session.scalars(sa.select(Alert)).all()
    assert alert.school_id == school.id and alert.action == failures.ALERT_ACTION
    assert alert.resolved_at is None


def test_the_sweeper_takes_up_an_event_whose_retry_wake_up_was_lost(
    db, roster, phones, teacher, say, monkeypatch
):
    calls = []
    real_act = teacher_commands.act

    def fails_at_first(**kwargs):
        calls.append(1)
        if len(calls) <= 2:  # the event's first try: all items at once, then one by one
            raise RuntimeError("passing fault")
        return real_act(**kwargs)

    monkeypatch.setattr(teacher_commands, "act", fails_at_first)
    say(roster["school"], teacher.phone, "5A: Bring umbrellas.")
    event = db.session.scalars(sa.select(WebhookEvent)).one()
    sweep.call_local()  # too early: the retry is not due yet
    assert len(calls) == 2
    later = event.retry_at + timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    sweep.call_local()
    db.session.refresh(event)
    assert event.status == "processed" and len(calls) == 3
    assert "Preview #" in last_reply(phones, teacher)


def test_operators_see_failed_events_and_can_try_one_again(app, db, login_as, portal, roster):
    event = WebhookEvent(body=b"{}", status="failed", attempts=4, error="item 0 (message): X")
    db.session.add(event)
    db.session.commit()
    login_as("operator")
    page = portal.get("/operator/failed-events/").get_data(as_text=True)
    assert f"#{event.id}" in page and "item 0 (message): X" in page
    response = portal.post(f"/operator/failed-events/{event.id}/retry")
    assert response.status_code == 302
    db.session.refresh(event)
    assert event.status == "processed"  # an empty body has nothing to apply
    admin = Portal(app.test_client())
    admin.login(UserFactory(school=roster["school"], role="admin"))
    assert admin.get("/operator/failed-events/").status_code == 403
