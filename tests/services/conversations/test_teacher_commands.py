"""Teachers run Sandesh from WhatsApp: a notice, a preview, YES, and every parent of the class
gets it once, in their language."""

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.models import AttendanceRecord, Broadcast, Delivery
from portal.services.common import clock
from portal.services.common.dates import NEPAL
from portal.tasks.delivery import dispatch_due
from tests.factories import TeacherFactory


@pytest.fixture
def teacher(db, roster):
    classes = [roster["classes"]["5A"], roster["classes"]["5B"]]
    return TeacherFactory(school=roster["school"], language="en", classes=classes)


@pytest.fixture(autouse=True)
def no_pair_gap(monkeypatch):
    """Replies to one teacher follow each other within seconds in these tests."""
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)


def replies_to(phones, teacher):
    return [m["body"] for m in phones.to(teacher.phone)]


def parents_messages(phones, roster):
    return {name: phones.to(g.phone) for name, g in roster["guardians"].items()}


def test_notice_preview_then_yes_reaches_each_parent_of_the_class_once(
    db, roster, phones, teacher, say
):
    say(roster["school"], teacher.phone, "5A: Tomorrow school is closed for Tihar.")
    [preview] = replies_to(phones, teacher)
    assert "Preview #" in preview and "5A" in preview
    assert "Parents: 3" in preview
    assert "Tomorrow school is closed for Tihar." in preview
    assert "YES" in preview
    assert all(not msgs for msgs in parents_messages(phones, roster).values())
    say(roster["school"], teacher.phone, "YES")
    assert "Sending #" in replies_to(phones, teacher)[-1]
    sent = parents_messages(phones, roster)
    assert [len(sent[name]) for name in ("one", "both", "triple", "sixth")] == [1, 1, 1, 0]


def test_each_parent_gets_it_in_their_language(db, roster, phones, teacher, say):
    g = roster["guardians"]
    for guardian in (g["one"], g["both"], g["triple"]):
        guardian.last_inbound_at = clock.now()  # inside the window: free-form text
    db.session.commit()
    say(roster["school"], teacher.phone, "5A: Sports day on Friday || शुक्रबार खेलकुद दिवस")
    say(roster["school"], teacher.phone, "yes")
    english = phones.to(g["one"].phone)[0]["body"]
    nepali = phones.to(g["both"].phone)[0]["body"]
    both = phones.to(g["triple"].phone)[0]["body"]
    assert "Sports day on Friday" in english and "शुक्रबार" not in english
    assert "शुक्रबार खेलकुद दिवस" in nepali and "Sports day" not in nepali
    assert "Sports day on Friday" in both and "शुक्रबार खेलकुद दिवस" in both


def test_the_same_webhook_three_times_gives_one_preview_and_one_broadcast(
    db, roster, phones, teacher, say
):
    for _ in range(3):
        say(roster["school"], teacher.phone, "5A: Bring umbrellas.", wamid="wamid.teacher-1")
    assert len(replies_to(phones, teacher)) == 1
    for _ in range(3):
        say(roster["school"], teacher.phone, "YES", wamid="wamid.teacher-2")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Broadcast)) == 1
    assert len(phones.to(roster["guardians"]["one"].phone)) == 1


def test_no_discards_the_preview(db, roster, phones, teacher, say):
    say(roster["school"], teacher.phone, "5A: Bring umbrellas.")
    say(roster["school"], teacher.phone, "NO")
    assert "Discarded" in replies_to(phones, teacher)[-1]
    assert db.session.scalar(sa.select(Broadcast.status)) == "cancelled"
    assert phones.to(roster["guardians"]["one"].phone) == []


def test_a_scheduled_notice_fires_at_its_nepal_time(db, roster, phones, teacher, say, monkeypatch):
    morning = datetime(2030, 5, 10, 9, 0, tzinfo=NEPAL)
    monkeypatch.setattr(clock, "now", lambda: morning)
    say(roster["school"], teacher.phone, "5A: Exam results are out. @ 4pm")
    assert "16:00" in replies_to(phones, teacher)[0]
    say(roster["school"], teacher.phone, "YES")
    assert phones.to(roster["guardians"]["one"].phone) == []
    monkeypatch.setattr(clock, "now", lambda: datetime(2030, 5, 10, 15, 59, tzinfo=NEPAL))
    dispatch_due.call_local()
    assert phones.to(roster["guardians"]["one"].phone) == []
    monkeypatch.setattr(clock, "now", lambda: datetime(2030, 5, 10, 16, 0, tzinfo=NEPAL))
    dispatch_due.call_local()
    assert len(phones.to(roster["guardians"]["one"].phone)) == 1


def test_cancel_before_it_fires_sends_nothing(db, roster, phones, teacher, say, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2030, 5, 10, 9, 0, tzinfo=NEPAL))
    say(roster["school"], teacher.phone, "5A: Picnic. @ 5pm")
    say(roster["school"], teacher.phone, "YES")
    broadcast_id = db.session.scalar(sa.select(Broadcast.id))
    say(roster["school"], teacher.phone, f"CANCEL {broadcast_id}")
    assert "Cancelled" in replies_to(phones, teacher)[-1]
    monkeypatch.setattr(clock, "now", lambda: datetime(2030, 5, 10, 17, 1, tzinfo=NEPAL))
    dispatch_due.call_local()
    assert all(not msgs for msgs in parents_messages(phones, roster).values())


def test_absent_alerts_only_those_students_guardians_and_records_attendance(
    db, roster, phones, teacher, say
):
    aarav, chiran = roster["students"]["Aarav"], roster["students"]["Chiran"]
    say(roster["school"], teacher.phone, f"ABSENT 5A: {aarav.roll} {chiran.roll}")
    assert "Parents: 2" in replies_to(phones, teacher)[0]
    say(roster["school"], teacher.phone, "YES")
    sent = parents_messages(phones, roster)
    assert len(sent["one"]) == 1 and len(sent["triple"]) == 1
    assert sent["both"] == [] and sent["sixth"] == []
    absent = set(db.session.scalars(sa.select(AttendanceRecord.student_id)))
    assert absent == {aarav.id, chiran.id}
    params = sent["one"][0].get("params") or {}
    assert "Aarav" in str(params) or "Aarav" in sent["one"][0].get("body", "")


def test_absent_with_an_unknown_roll_is_explained(db, roster, phones, teacher, say):
    say(roster["school"], teacher.phone, "ABSENT 5A: 99")
    assert "99" in replies_to(phones, teacher)[0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Broadcast)) == 0


def test_a_teacher_may_only_target_their_own_classes(db, roster, phones, teacher, say):
    say(roster["school"], teacher.phone, "6A: Hello")
    assert "only send to your own classes" in replies_to(phones, teacher)[0]
    roster["school"].teachers_may_target_any = True
    db.session.commit()
    say(roster["school"], teacher.phone, "6A: Hello")
    assert "Preview #" in replies_to(phones, teacher)[-1]


def test_without_confirmation_the_notice_goes_at_once(db, roster, phones, teacher, say):
    roster["school"].require_confirmation = False
    db.session.commit()
    say(roster["school"], teacher.phone, "5B: Bring your drawing books.")
    assert "Sending #" in replies_to(phones, teacher)[0]
    assert len(phones.to(roster["guardians"]["both"].phone)) == 1


def test_status_reports_the_counts(db, roster, phones, teacher, say):
    say(roster["school"], teacher.phone, "5A: Hello")
    say(roster["school"], teacher.phone, "YES")
    broadcast_id = db.session.scalar(sa.select(Broadcast.id))
    say(roster["school"], teacher.phone, f"STATUS {broadcast_id}")
    assert "Parents: 3" in replies_to(phones, teacher)[-1]


def test_help_and_unclear_messages_get_an_answer_with_an_example(db, roster, phones, teacher, say):
    say(roster["school"], teacher.phone, "HELP")
    assert "HW 5A Science" in replies_to(phones, teacher)[-1]
    say(roster["school"], teacher.phone, "13Z: hi")
    assert "13Z" in replies_to(phones, teacher)[-1]
    assert "For example" in replies_to(phones, teacher)[-1]
    say(roster["school"], teacher.phone, "5A")
    assert "For example" in replies_to(phones, teacher)[-1]


def test_a_nepali_teacher_gets_replies_in_nepali(db, roster, phones, teacher, say):
    teacher.language = "ne"
    db.session.commit()
    say(roster["school"], teacher.phone, "सूचना ५क: भोलि बिदा छ।")
    preview = replies_to(phones, teacher)[0]
    assert "भोलि बिदा छ।" in preview
    assert "YES" in preview
    assert "Preview" not in preview
    assert re.search("#[०-९]+", preview)  # the number to confirm or cancel, in Nepali digits


def test_yes_without_a_preview_is_explained(db, roster, phones, teacher, say):
    say(roster["school"], teacher.phone, "YES")
    assert "nothing waiting" in replies_to(phones, teacher)[0]


def test_a_deliveries_reply_to_the_teacher_is_a_direct_delivery(db, roster, phones, teacher, say):
    say(roster["school"], teacher.phone, "HELP")
    reply = db.session.scalar(sa.select(Delivery).where(Delivery.purpose == "teacher_reply"))
    assert reply.broadcast_id is None and reply.status == "accepted"
    assert reply.to_phone == teacher.phone


def test_past_drafts_expire(db, roster, phones, teacher, say, monkeypatch):
    say(roster["school"], teacher.phone, "5A: Hello")
    later = clock.now() + timedelta(hours=25)  # previews wait a day
    monkeypatch.setattr(clock, "now", lambda: later)
    say(roster["school"], teacher.phone, "YES")
    assert "nothing waiting" in replies_to(phones, teacher)[-1]
