"""`@ time` in teacher commands: Nepal time (UTC+05:45, no DST), BS or AD dates, and a parser
that never raises whatever arrives."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from portal.models import KINDS
from portal.services.common.dates import NEPAL
from portal.services.conversations.commands import (
    REASONS,
    Broadcast,
    Cancel,
    Confirm,
    Decline,
    Help,
    Status,
    Unclear,
    parse,
    read_command,
)
from portal.services.conversations.commands.times import TimeError, parse_when

NOW = datetime(2025, 11, 22, 10, 0, tzinfo=NEPAL)  # Saturday 6 Mangsir 2082, 04:15 UTC
COMMANDS = (Broadcast, Confirm, Decline, Cancel, Status, Help, Unclear)


@pytest.fixture(autouse=True)
def db():
    """The parser is pure: these tests need no app or database (overrides conftest's `db`)."""


def npt(month, day, hour, minute=0, year=2025):
    return datetime(year, month, day, hour, minute, tzinfo=NEPAL)


TIMES = [
    # a clock time alone: today, or tomorrow once it has passed
    ("6:00", npt(11, 23, 6)),
    ("18:30", npt(11, 22, 18, 30)),
    ("10:30", npt(11, 22, 10, 30)),
    ("9:59", npt(11, 23, 9, 59)),
    ("10:00", npt(11, 23, 10)),
    ("6pm", npt(11, 22, 18)),
    ("6 pm", npt(11, 22, 18)),
    ("6 PM", npt(11, 22, 18)),
    ("6p.m.", npt(11, 22, 18)),
    ("6:15 pm", npt(11, 22, 18, 15)),
    ("6.30pm", npt(11, 22, 18, 30)),
    ("12pm", npt(11, 22, 12)),
    ("12 am", npt(11, 23, 0)),
    ("noon", npt(11, 22, 12)),
    ("06:30", npt(11, 23, 6, 30)),
    ("04:30", npt(11, 23, 4, 30)),  # written as 24-hour: meant as such
    ("4:30", npt(11, 22, 16, 30)),  # 1 to 5 without am/pm is school-day afternoon
    ("4", npt(11, 22, 16)),
    ("7", npt(11, 23, 7)),
    # days in words
    ("tomorrow 7am", npt(11, 23, 7)),
    ("7am tomorrow", npt(11, 23, 7)),
    ("Tomorrow 7 AM", npt(11, 23, 7)),
    ("tomorrow", npt(11, 23, 7)),
    ("today 4pm", npt(11, 22, 16)),
    ("tonight", npt(11, 22, 20)),
    ("day after tomorrow 8am", npt(11, 24, 8)),
    ("monday 10am", npt(11, 24, 10)),
    ("saturday 11am", npt(11, 22, 11)),
    ("saturday 9am", npt(11, 29, 9)),
    # Nepali words and digits
    ("भोलि ७ बजे", npt(11, 23, 7)),
    ("भोलि बिहान ७ बजे", npt(11, 23, 7)),
    ("भोलि बेलुका", npt(11, 23, 18)),
    ("आज ४ बजे", npt(11, 22, 16)),
    ("आज ४:३० बजे", npt(11, 22, 16, 30)),
    ("४ बजे", npt(11, 22, 16)),
    ("७बजे", npt(11, 23, 7)),
    ("बेलुका ६ बजे", npt(11, 22, 18)),
    ("साँझ ६ बजे", npt(11, 22, 18)),
    ("दिउँसो २ बजे", npt(11, 22, 14)),
    ("दिउँसो १२ बजे", npt(11, 22, 12)),
    ("राति ८ बजे", npt(11, 22, 20)),
    ("राति १२ बजे", npt(11, 23, 0)),
    ("साढे ४ बजे", npt(11, 22, 16, 30)),
    ("सवा ११ बजे", npt(11, 22, 11, 15)),
    ("पौने २ बजे", npt(11, 22, 13, 45)),
    ("पर्सि बिहान ८ बजे", npt(11, 24, 8)),
    ("सोमबार १० बजे", npt(11, 24, 10)),
    ("bholi 7 baje", npt(11, 23, 7)),
    # dates: Bikram Sambat from year 2070, Gregorian below it
    ("2082-08-15 10:00", npt(12, 1, 10)),
    ("२०८२-०८-१५ १०:००", npt(12, 1, 10)),
    ("2082/08/15 10:00", npt(12, 1, 10)),
    ("2082.08.15 10am", npt(12, 1, 10)),
    ("10:00 2082-08-15", npt(12, 1, 10)),
    ("2082-08-15", npt(12, 1, 7)),
    ("2025-12-01 10:00", npt(12, 1, 10)),
    ("2025/12/1 10:00", npt(12, 1, 10)),
    ("01/12/2025 10:00", npt(12, 1, 10)),
    ("2025-11-22 11:00", npt(11, 22, 11)),
    ("मंसिर १५ गते १० बजे", npt(12, 1, 10)),
    ("mangsir 15 10am", npt(12, 1, 10)),
    ("1 Dec 10am", npt(12, 1, 10)),
    ("Dec 1 10:00", npt(12, 1, 10)),
    ("December 1st at 10am", npt(12, 1, 10)),
    ("Dec 1", npt(12, 1, 7)),
    ("Nov 20 10am", npt(11, 20, 10, year=2026)),
    ("2083-03-01 10:00", npt(6, 15, 10, year=2026)),
]


@pytest.mark.parametrize("text, expected", TIMES, ids=[text for text, _ in TIMES])
def test_times_are_read_as_nepal_time(text, expected):
    when = parse_when(text, now=NOW)
    assert when.tzinfo is UTC
    assert when == expected


REFUSED = [
    ("nonsense", "bad_time"),
    ("", "bad_time"),
    ("25:00", "bad_time"),
    ("6:75", "bad_time"),
    ("13am", "bad_time"),
    ("0 pm", "bad_time"),
    ("2082-13-01 10:00", "bad_time"),
    ("2082-08-40 10:00", "bad_time"),
    ("2025-02-30 10:00", "bad_time"),
    ("today tomorrow 7am", "bad_time"),
    ("6pm 7pm", "bad_time"),
    ("tomorrow 2082-08-15", "bad_time"),
    ("साढे", "bad_time"),
    ("साढे ४:३०", "bad_time"),
    ("Dec", "bad_time"),
    ("the gate", "bad_time"),
    ("2024-01-01 10:00", "past_time"),
    ("2082-08-01 10:00", "past_time"),
    ("2025-11-22 09:00", "past_time"),
    ("today 9am", "past_time"),
    ("आज बिहान ८ बजे", "past_time"),
    ("0001-01-01 10:00", "past_time"),
    ("2027-01-01 10:00", "too_far"),
    ("Dec 31 9999", "too_far"),
]


@pytest.mark.parametrize("text, code", REFUSED, ids=[text or "empty" for text, _ in REFUSED])
def test_times_that_cannot_be_used_are_refused_with_a_reason(text, code):
    with pytest.raises(TimeError) as raised:
        parse_when(text, now=NOW)
    assert raised.value.code == code
    assert code in REASONS


def test_a_refused_time_reaches_the_teacher_with_the_words_given():
    assert parse("5A: hi @ 2027-01-01 10:00", now=NOW) == Unclear("too_far", "2027-01-01 10:00")
    assert parse("5A: hi @ आज बिहान ८ बजे", now=NOW) == Unclear("past_time", "आज बिहान ८ बजे")


def test_nepal_is_five_hours_forty_five_minutes_ahead_all_year():
    assert parse_when("18:30", now=NOW) == datetime(2025, 11, 22, 12, 45, tzinfo=UTC)
    assert parse_when("05:45", now=NOW) == datetime(2025, 11, 23, 0, 0, tzinfo=UTC)
    assert parse_when("00:10", now=NOW) == datetime(2025, 11, 22, 18, 25, tzinfo=UTC)
    # mid-summer (Asar 2083): the same offset, no daylight saving
    assert parse_when("2083-03-15 10:00", now=NOW) == datetime(2026, 6, 29, 4, 15, tzinfo=UTC)


def test_today_is_the_day_in_nepal_not_in_utc():
    late_utc = datetime(2025, 11, 21, 23, 0, tzinfo=UTC)  # already 04:45 on the 22nd in Nepal
    assert parse_when("6:00", now=late_utc) == datetime(2025, 11, 22, 0, 15, tzinfo=UTC)
    assert parse_when("tomorrow 6am", now=late_utc) == datetime(2025, 11, 23, 0, 15, tzinfo=UTC)


def test_now_may_be_given_in_any_zone_or_the_old_zone_name():
    for now in (NOW.astimezone(UTC), NOW.astimezone(ZoneInfo("Asia/Katmandu"))):
        assert parse_when("6pm", now=now) == npt(11, 22, 18)
    naive_utc = NOW.astimezone(UTC).replace(tzinfo=None)
    assert parse("5A: hi @ 6pm", now=naive_utc).when == npt(11, 22, 18)


def test_a_moment_just_past_moves_to_tomorrow_and_a_moment_ahead_stays_today():
    now = npt(11, 22, 18, 0) + timedelta(seconds=1)
    assert parse_when("6pm", now=now) == npt(11, 23, 18)
    assert parse_when("6:01 pm", now=now) == npt(11, 22, 18, 1)


# A parser that reads whatever arrives from WhatsApp: it never raises, and always answers with
# one of the commands, built from fragments teachers use as well as from arbitrary text.
FRAGMENTS = st.sampled_from([
    "5A", "५क", "5", "13Z", "ALL", "सबै", "HW", "गृहकार्य", "ABSENT", "अनुपस्थित", "NOTICE",
    "EVENT", "URGENT", "Science", ":", "：", "ः", "||", "॥", "@", "@ ", "6:00", "6pm", "भोलि",
    "७ बजे", "2082-08-15", "2025-12-01", "मंसिर", "Dec", "3", "7-9", "१२", ",", " ", "\n",
    "YES", "हो", "CANCEL", "42", "STATUS", "?", "साढे", "राति", "\x00", "\u200d", "🙏", "-",
])  # fmt: skip
MESSAGES = st.one_of(
    st.text(max_size=300),
    st.text(st.characters(codec="utf-8"), max_size=300),
    st.lists(FRAGMENTS | st.text(max_size=5), max_size=30).map("".join),
    st.lists(FRAGMENTS, max_size=30).map(" ".join),
)
LONG = "5A: " + "पाठ " * 20_000 + "@ " + "1" * 5_000


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=MESSAGES, hours=st.integers(-24 * 400, 24 * 400))
@example(text=LONG, hours=0)
@example(text="\x00\x01\x1f\x7f:" * 1000, hours=0)
@example(text="ः " * 5000, hours=0)
@example(text="5A: x @ " + "9" * 4000, hours=0)
@example(text="5A: x @ Dec 31 9999", hours=0)
@example(text="5A: x @ 0001-01-01", hours=0)
@example(text="5A: x @ २१००-१२-३०", hours=0)
def test_parse_never_raises_and_always_answers_with_a_command(text, hours):
    now = NOW + timedelta(hours=hours)
    command = read_command(text, now=now)  # without parse()'s safety net
    assert isinstance(command, COMMANDS)
    assert parse(text, now=now) == command
    if isinstance(command, Unclear):
        assert command.reason_code in REASONS
    if isinstance(command, Broadcast):
        assert command.kind in KINDS
        assert command.targets
        assert command.body_en or command.body_ne or command.rolls
        assert command.when is None or command.when.tzinfo is UTC and command.when > now


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=60) | st.lists(FRAGMENTS, max_size=8).map(" ".join))
def test_time_words_either_give_a_future_moment_or_a_reason(text):
    try:
        when = parse_when(text, now=NOW)
    except TimeError as error:
        assert error.code in ("bad_time", "past_time", "too_far")
    else:
        assert NOW < when <= NOW + timedelta(days=366)
