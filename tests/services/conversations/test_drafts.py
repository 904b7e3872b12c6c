"""Several previews waiting: each names its number, `YES 6` confirms that one, a plain YES
asks which, a double YES sends nothing twice, and a preview left a day expires with a note.
Every broadcast a teacher confirms or cancels is in the audit log under the teacher's name."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.models import AuditLog, Broadcast, BroadcastStatus
from portal.services.common import clock
from portal.tasks.sweeper import sweep
from tests.factories import TeacherFactory


@pytest.fixture
def teacher(db, roster):
    classes = [roster["classes"]["5A"], roster["classes"]["5B"]]
    return TeacherFactory(school=roster["school"], language="en", classes=classes)


@pytest.fixture(autouse=True)
def no_pair_gap(monkeypatch):
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)


def last_reply(phones, teacher) -> str:
    return phones.to(teacher.phone)[-1]["body"]


def texts(phones, phone) -> str:
    """Everything a phone received, text or template parameters."""
    return " ".join(m["body"] + " ".join((m["params"] or {}).values()) for m in phones.to(phone))


def drafts(db) -> list[Broadcast]:
    return db.session.scalars(sa.select(Broadcast).order_by(Broadcast.id)).all()


def test_two_previews_and_yes_with_a_number_sends_that_one(db, roster, phones, teacher, say):
    school, g = roster["school"], roster["guardians"]
    say(school, teacher.phone, "5A: Picnic on Friday.")
    say(school, teacher.phone, "5B: Exams start Sunday.")
    older, newer = drafts(db)
    assert f"Preview #{older.id}" in phones.to(teacher.phone)[0]["body"]
    assert f"YES {newer.id}" in last_reply(phones, teacher)
    say(school, teacher.phone, f"YES {older.id}")
    assert f"Sending #{older.id}" in last_reply(phones, teacher)
    assert texts(phones, g["one"].phone).count("Picnic on Friday.") == 1
    assert "Exams" not in texts(phones, g["both"].phone)
    db.session.expire_all()
    assert (older.status, newer.status) == ("completed", "draft")


def test_a_plain_yes_with_two_previews_waiting_asks_which(db, roster, phones, teacher, say):
    school = roster["school"]
    say(school, teacher.phone, "5A: Picnic on Friday.")
    say(school, teacher.phone, "5B: Exams start Sunday.")
    older, newer = drafts(db)
    say(school, teacher.phone, "YES")
    asked = last_reply(phones, teacher)
    assert "You have 2 previews waiting:" in asked
    assert f"#{older.id} · Notice to 5A · “Picnic on Friday.”" in asked
    assert f"#{newer.id} · Notice to 5B · “Exams start Sunday.”" in asked
    assert f"Reply YES {newer.id} to send that one" in asked
    db.session.expire_all()
    assert [d.status for d in drafts(db)] == ["draft", "draft"]
    say(school, teacher.phone, f"हो {newer.id}")  # Nepali YES with the number
    db.session.expire_all()
    assert [d.status for d in drafts(db)] == ["draft", "completed"]
    say(school, teacher.phone, "YES")  # one left: no question now
    assert f"Sending #{older.id}" in last_reply(phones, teacher)


def test_a_double_yes_sends_nothing_twice(db, roster, phones, teacher, say):
    school = roster["school"]
    say(school, teacher.phone, "5A: Picnic on Friday.")
    (draft,) = drafts(db)
    say(school, teacher.phone, f"YES {draft.id}")
    say(school, teacher.phone, f"YES {draft.id}")
    assert f"#{draft.id} is already confirmed" in last_reply(phones, teacher)
    say(school, teacher.phone, "YES")
    assert "There is nothing waiting for your YES" in last_reply(phones, teacher)
    assert len(phones.to(roster["guardians"]["one"].phone)) == 1
    say(school, teacher.phone, f"NO {draft.id}")
    assert f"#{draft.id} is already confirmed" in last_reply(phones, teacher)


def test_no_with_a_number_discards_that_preview(db, roster, phones, teacher, say):
    school = roster["school"]
    say(school, teacher.phone, "5A: Picnic on Friday.")
    say(school, teacher.phone, "5B: Exams start Sunday.")
    older, newer = drafts(db)
    say(school, teacher.phone, f"NO {older.id}")
    assert f"Discarded #{older.id}" in last_reply(phones, teacher)
    say(school, teacher.phone, "YES")
    assert f"Sending #{newer.id}" in last_reply(phones, teacher)


def test_a_preview_left_a_day_expires_with_a_note(db, roster, phones, teacher, say, monkeypatch):
    school = roster["school"]
    say(school, teacher.phone, "5A: Picnic on Friday.")
    (draft,) = drafts(db)
    later = clock.now() + timedelta(hours=25)
    monkeypatch.setattr(clock, "now", lambda: later)
    sweep.call_local()
    note = last_reply(phones, teacher)
    assert f"Preview #{draft.id} waited more than a day and has expired" in note
    db.session.expire_all()
    assert draft.status == BroadcastStatus.CANCELLED
    say(school, teacher.phone, f"YES {draft.id}")
    assert f"#{draft.id} was discarded or cancelled" in last_reply(phones, teacher)
    assert phones.to(roster["guardians"]["one"].phone) == []
    (entry,) = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "broadcast.expire"))
    assert entry.actor == "system"


def test_a_teacher_s_broadcasts_are_audited_under_the_teacher(
    db, roster, phones, teacher, say, login_as, portal
):
    school = roster["school"]
    say(school, teacher.phone, "5A: Picnic on Friday @ tomorrow 10am")
    (draft,) = drafts(db)
    say(school, teacher.phone, "YES")
    say(school, teacher.phone, f"CANCEL {draft.id}")
    say(school, teacher.phone, "5B: Exams start Sunday.")
    say(school, teacher.phone, "NO")
    rows = db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id)).all()
    assert [(r.action, r.actor, r.teacher_id) for r in rows] == [
        ("broadcast.confirm", "teacher", teacher.id),
        ("broadcast.cancel", "teacher", teacher.id),
        ("broadcast.discard", "teacher", teacher.id),
    ]
    login_as("admin", school=school)
    page = portal.get("/audit/?actor=teacher").get_data(as_text=True)
    assert f"{teacher.name} (teacher, on WhatsApp)" in page
    assert "confirmed a broadcast" in page and "cancelled a broadcast" in page
    assert portal.get("/audit/?actor=api").get_data(as_text=True).count("<tr>") == 0
