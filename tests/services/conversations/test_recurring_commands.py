"""Recurring teacher commands: parsed in English and Nepali, ASCII or Devanagari digits; a
preview with the next occurrences, then YES starts the schedule."""

from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa

from portal.models import RecurringSchedule
from portal.services.conversations.commands import Recurring, Unclear, parse
from tests.factories import TeacherFactory

NOW = datetime(2025, 11, 23, 2, 15, tzinfo=UTC)  # Sunday 08:00 in Nepal


@pytest.mark.parametrize(
    "text, every, at, weekdays, bs_day, targets",
    [
        ("EVERY DAY 6am 5A: Bring your lunch box.", "day", time(6), (), None, ["5A"]),
        ("every day at 6 am 5a: Bring your lunch box.", "day", time(6), (), None, ["5A"]),
        ("DAILY 06:30 5A 5B: Bring your lunch box.", "day", time(6, 30), (), None, ["5A", "5B"]),
        ("हरेक दिन बिहान ६ बजे ५क: खाजा ल्याउनुहोस्।", "day", time(6), (), None, ["5A"]),
        ("हरेक दिन बिहान 6 बजे 5क: खाजा ल्याउनुहोस्।", "day", time(6), (), None, ["5A"]),
        ("दैनिक साढे ४ बजे ५ख: खाजा ल्याउनुहोस्।", "day", time(16, 30), (), None, ["5B"]),
        ("EVERY SUNDAY 7am 5A: Library books back.", "week", time(7), (6,), None, ["5A"]),
        ("EVERY SUN, WED 7:30 5A: Library books back.", "week", time(7, 30), (2, 6), None, ["5A"]),
        ("हरेक आइतबार र बुधबार बिहान ७ बजे ५क: पुस्तकालय।", "week", time(7), (2, 6), None, ["5A"]),
        ("EVERY WEEK ON FRIDAY 2pm ALL: Clean-up day.", "week", time(14), (4,), None, ["ALL"]),
        ("EVERY MONTH 1 10:00 ALL: Fees are due.", "bs_month", time(10), (), 1, ["ALL"]),
        ("EVERY MONTH ON THE 1ST 10:00 ALL: Fees are due.", "bs_month", time(10), (), 1, ["ALL"]),
        ("हरेक महिना १ गते १०:०० सबै: शुल्क बुझाउनुहोस्।", "bs_month", time(10), (), 1, ["ALL"]),
        ("हरेक महिना १५ गते बिहान १० बजे सबै: बैठक।", "bs_month", time(10), (), 15, ["ALL"]),
        ("EVERY DAY 5A: Bring your lunch box. @ 6am", "day", time(6), (), None, ["5A"]),
    ],
)
def test_recurring_commands_are_read(text, every, at, weekdays, bs_day, targets):
    command = parse(text, now=NOW)
    assert isinstance(command, Recurring), command
    assert (command.every, command.at, command.weekdays, command.bs_day) == (
        every,
        at,
        weekdays,
        bs_day,
    )
    assert command.broadcast.targets == targets
    assert command.broadcast.when is None


def test_the_text_kind_and_subject_are_those_of_a_broadcast_command():
    command = parse("EVERY SUNDAY 7am HW 5A Maths: Practice page 4 || पृष्ठ ४ अभ्यास", now=NOW)
    broadcast = command.broadcast
    assert (broadcast.kind, broadcast.subject) == ("homework", "Maths")
    assert (broadcast.body_en, broadcast.body_ne) == ("Practice page 4", "पृष्ठ ४ अभ्यास")


@pytest.mark.parametrize(
    "text, code",
    [
        ("EVERY DAY 5A: Bring your lunch box.", "recurring_time"),
        ("EVERY FORTNIGHT 7am 5A: Bring your lunch box.", "recurring_period"),
        ("EVERY MONTH 10:00 5A: Fees.", "recurring_day"),
        ("हरेक महिना ४० गते १० बजे सबै: शुल्क", "recurring_day"),
        ("EVERY DAY 6am ABSENT 5A: 3 7", "recurring_kind"),
        ("EVERY DAY 6am: Hello", "no_targets"),
        ("EVERY DAY 6am 5A Bring your lunch box", "no_colon"),
    ],
)
def test_what_is_not_understood_says_why(text, code):
    command = parse(text, now=NOW)
    assert isinstance(command, Unclear) and command.reason_code == code


def test_a_missing_colon_is_shown_where_it_goes():
    command = parse("EVERY DAY 6am 5A Bring your lunch box", now=NOW)
    assert command.hint == "EVERY DAY 6am 5A: Bring your lunch box"


def test_a_sentence_starting_with_every_is_not_a_command():
    assert isinstance(parse("Every child needs a lunch box", now=NOW), Unclear)


@pytest.fixture
def teacher(db, roster):
    classes = [roster["classes"]["5A"], roster["classes"]["5B"]]
    return TeacherFactory(school=roster["school"], language="en", classes=classes)


@pytest.fixture(autouse=True)
def no_pair_gap(monkeypatch):
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)


def test_a_teacher_previews_then_starts_a_weekly_schedule(
    db, roster, phones, teacher, say, frozen_clock
):
    say(roster["school"], teacher.phone, "EVERY SUNDAY 7am 5A: Library books back on {weekday}.")
    [preview] = [m["body"] for m in phones.to(teacher.phone)]
    assert "Preview — recurring Notice to 5A" in preview
    assert "When: every Sunday at 07:00; not on holidays (Nepal time)" in preview
    assert "Parents: 3" in preview
    assert "• 30 Nov 2025 · 14 Mangsir 2082, 07:00" in preview
    assert "Library books back on Sunday." in preview
    schedule = db.session.scalar(sa.select(RecurringSchedule))
    assert schedule.status == "draft" and schedule.next_on == date(2025, 11, 30)
    say(roster["school"], teacher.phone, "YES")
    reply = phones.to(teacher.phone)[-1]["body"]
    assert reply.startswith(f"Recurring broadcast {schedule.id} is on: every Sunday at 07:00")
    db.session.refresh(schedule)
    assert schedule.status == "active"


def test_a_nepali_teacher_gets_a_nepali_preview(db, roster, phones, teacher, say, frozen_clock):
    teacher.language = "ne"
    db.session.commit()
    say(roster["school"], teacher.phone, "हरेक दिन बिहान ६ बजे ५क: खाजा ल्याउनुहोस्।")
    [preview] = [m["body"] for m in phones.to(teacher.phone)]
    assert "हरेक दिन ०६:०० बजे" in preview
    assert "• २०८२ मंसिर ८ · २४ नोभेम्बर २०२५, ०६:००" in preview
    say(roster["school"], teacher.phone, "होइन")
    assert db.session.scalar(sa.select(RecurringSchedule.status)) == "stopped"


def test_a_double_yes_starts_it_once_and_is_recorded_with_the_teacher(
    db, roster, phones, teacher, say, frozen_clock
):
    from flask_babel import force_locale

    from portal.models import AuditLog
    from portal.services.conversations import teacher_schedules

    say(roster["school"], teacher.phone, "EVERY DAY 6am 5A: Bring your lunch box.")
    schedule = db.session.scalar(sa.select(RecurringSchedule))
    say(roster["school"], teacher.phone, "YES")
    # a second YES for the same draft (two events at once) finds it taken
    with force_locale("en"):
        again = teacher_schedules.confirm(schedule)
    assert again.startswith(f"Recurring broadcast {schedule.id} is already on.")
    [entry] = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "schedule.create"))
    assert (entry.teacher_id, entry.actor) == (teacher.id, "teacher")


def test_a_draft_schedule_expires_after_a_day_and_the_teacher_is_told(
    db, roster, phones, teacher, say, frozen_clock
):
    from portal.tasks.sweeper import sweep

    say(roster["school"], teacher.phone, "EVERY DAY 6am 5A: Bring your lunch box.")
    frozen_clock.advance(days=1, minutes=1)
    sweep.call_local()
    assert db.session.scalar(sa.select(RecurringSchedule.status)) == "stopped"
    assert phones.to(teacher.phone)[-1]["body"] == (
        "The recurring broadcast you previewed (every day at 06:00; not on holidays) waited "
        "more than a day and has expired. Nothing will be sent; send it again if it is still "
        "needed."
    )
    say(roster["school"], teacher.phone, "YES")
    assert "There is nothing waiting for your YES." in phones.to(teacher.phone)[-1]["body"]
