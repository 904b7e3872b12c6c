"""A teacher's preview at a school with a daily digest or a daily cap says when and how the
parents get the notice; emergencies and absences say nothing of it."""

from datetime import date, time

import pytest

from tests.factories import TeacherFactory

MONDAY = date(2025, 11, 24)  # 2082 Mangsir 8


@pytest.fixture
def teacher(db, roster):
    classes = [roster["classes"]["5A"], roster["classes"]["5B"]]
    return TeacherFactory(school=roster["school"], language="en", classes=classes)


@pytest.fixture(autouse=True)
def no_pair_gap(monkeypatch):
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)


def last_reply(phones, teacher) -> str:
    return phones.to(teacher.phone)[-1]["body"]


def test_the_preview_and_the_yes_name_the_digest_time(
    db, roster, phones, teacher, say, frozen_clock
):
    school = roster["school"]
    school.digest_at = time(16)
    db.session.commit()
    frozen_clock.nepal(MONDAY, 9, 0)
    say(school, teacher.phone, "5A: Bring a lunch box.")
    preview = last_reply(phones, teacher)
    assert "When: now\nParents get it in the daily digest at 24 Nov 2025 · 8 Mangsir 2082, " in (
        preview
    )
    assert "16:00, in one message with the day's other notices." in preview
    say(school, teacher.phone, "YES")
    assert last_reply(phones, teacher) == (
        "#1 will reach parents in the daily digest at 24 Nov 2025 · 8 Mangsir 2082, 16:00. "
        "Reply CANCEL 1 to stop it."
    )
    assert [m["to"] for m in phones.sent if m["to"] != teacher.phone.lstrip("+")] == []
    say(school, teacher.phone, "EMERGENCY 5A: Go home now.")
    assert "daily digest" not in last_reply(phones, teacher)


def test_a_recurring_preview_names_the_digest_too(db, roster, phones, teacher, say, frozen_clock):
    school = roster["school"]
    school.digest_at = time(16)
    db.session.commit()
    say(school, teacher.phone, "EVERY DAY 6am 5A: Bring your lunch box.")
    preview = last_reply(phones, teacher)
    assert "Parents get it in the daily digest at " in preview and ", 16:00, in one" in preview


def test_the_preview_counts_parents_at_the_daily_limit(
    db, roster, phones, teacher, say, frozen_clock
):
    school = roster["school"]
    school.daily_cap, school.quiet_start, school.quiet_end = 1, time(21), time(6)
    school.require_confirmation = False
    db.session.commit()
    frozen_clock.nepal(MONDAY, 9, 0)
    say(school, teacher.phone, "5A: First notice.")  # sent at once: one each for 5A's parents
    school.require_confirmation = True
    db.session.commit()
    say(school, teacher.phone, "5A: Second notice.")
    assert (
        "Parents at the daily limit (1 a day): 3; they get this one at "
        "25 Nov 2025 · 9 Mangsir 2082, 06:00." in last_reply(phones, teacher)
    )
