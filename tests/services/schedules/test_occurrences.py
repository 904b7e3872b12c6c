"""Recurring schedules on a controlled clock: one broadcast per occurrence, exactly once,
holidays skipped or moved, BS month boundaries, edits for the future only, pause, resume."""

from datetime import date, time, timedelta

import sqlalchemy as sa

from portal.models import Broadcast, RecurringSchedule
from portal.services.calendar import holidays
from portal.services.common.dates import NEPAL
from portal.services.schedules import occurrences, schedules
from portal.tasks.delivery import dispatch_due
from tests.conftest import forget_send_limits


def made(db, schedule):
    schedule_id = schedule if isinstance(schedule, int) else schedule.id
    return db.session.scalars(
        sa.select(Broadcast).where(Broadcast.schedule_id == schedule_id).order_by(Broadcast.id)
    ).all()


def sent_days(db, schedule):
    return [b.scheduled_at.astimezone(NEPAL) for b in made(db, schedule)]


def add_holiday(school, first, last=None, name="Local festival", name_ne="स्थानीय पर्व"):
    holidays.add_holiday(
        school_id=school.id,
        user_id=None,
        starts_on=first,
        ends_on=last,
        name=name,
        name_ne=name_ne,
        closed=True,
    )


def test_daily_0600_over_two_weeks_once_per_school_day(
    db, roster, frozen_clock, recorder, make_schedule
):
    school = roster["school"]
    frozen_clock.nepal(date(2025, 11, 22), 20, 0)  # Saturday evening
    add_holiday(school, date(2025, 11, 27))  # a Thursday
    db.session.commit()
    schedule = make_schedule().id
    phone = roster["guardians"]["one"].phone
    day = date(2025, 11, 23)
    for _ in range(14):
        for hour, minute in ((5, 59), (6, 0), (6, 0), (6, 1), (13, 0)):
            frozen_clock.nepal(day, hour, minute)
            forget_send_limits()  # the 6-second gap to each parent runs on the real clock
            dispatch_due.call_local()
            dispatch_due.call_local()  # the dispatcher run twice
            if (hour, minute) == (6, 1):
                db.session.remove()  # a worker restarted mid-day: only the database remains
        day += timedelta(days=1)
    days = [moment.date() for moment in sent_days(db, schedule)]
    expected = [
        date(2025, 11, d)
        for d in (23, 24, 25, 26, 28, 30)  # 27th a holiday, 29th Saturday
    ] + [date(2025, 12, d) for d in (1, 2, 3, 4, 5)]  # 6th Saturday
    assert days == expected
    assert {moment.time() for moment in sent_days(db, schedule)} == {time(6, 0)}
    assert len(recorder.to(phone)) == len(expected)  # one message per school day
    assert "Monday 24 Nov 2025" in recorder.to(phone)[1]["params"]["message"]


def test_a_crash_before_commit_leaves_the_occurrence_for_the_next_run(
    db, roster, frozen_clock, recorder, make_schedule, monkeypatch
):
    schedule = make_schedule()  # created Sunday 08:00: next is Monday 06:00
    frozen_clock.nepal(date(2025, 11, 24), 6, 0)
    assert occurrences.make_due(schedule.id) is not None
    db.session.rollback()  # the worker died before committing
    assert made(db, schedule) == []
    dispatch_due.call_local()
    dispatch_due.call_local()
    assert [b.occurrence_on for b in made(db, schedule)] == [date(2025, 11, 24)]


def test_the_unique_occurrence_holds_even_if_the_claim_is_repeated(
    db, roster, frozen_clock, make_schedule
):
    schedule = make_schedule()
    frozen_clock.nepal(date(2025, 11, 24), 6, 0)
    dispatch_due.call_local()
    # someone puts the schedule back on the day already made
    db.session.execute(
        sa.update(RecurringSchedule)
        .where(RecurringSchedule.id == schedule.id)
        .values(next_on=date(2025, 11, 24), next_at=schedule.next_at - timedelta(days=1))
    )
    db.session.commit()
    dispatch_due.call_local()
    assert len(made(db, schedule)) == 1


def test_weekly_with_next_school_day(db, roster, frozen_clock, make_schedule):
    school = roster["school"]
    add_holiday(school, date(2025, 11, 30))  # Sunday
    db.session.commit()
    schedule = make_schedule(
        every="week", weekdays=[6], at=time(7, 0), on_holiday="next_school_day"
    )
    upcoming, skipped = schedules.next_occurrences(schedule)
    assert [(o.on, o.day) for o in upcoming] == [
        (date(2025, 11, 30), date(2025, 12, 1)),  # moved to Monday
        (date(2025, 12, 7), date(2025, 12, 7)),
        (date(2025, 12, 14), date(2025, 12, 14)),
        (date(2025, 12, 21), date(2025, 12, 21)),
        (date(2025, 12, 28), date(2025, 12, 28)),
    ]
    assert upcoming[0].holiday.name == "Local festival"
    assert skipped == []
    assert upcoming[0].at.astimezone(NEPAL).isoformat() == "2025-12-01T07:00:00+05:45"


def test_bs_monthly_across_poush_and_magh(db, roster, frozen_clock, recorder, make_schedule):
    frozen_clock.nepal(date(2025, 12, 10), 12, 0)  # 2082 Mangsir 24
    schedule = make_schedule(
        every="bs_month", bs_day=1, at=time(10, 0), body_en="Fees for {date_bs}."
    )
    upcoming, _ = schedules.next_occurrences(schedule, count=3)
    # Poush 1 = 16 Dec 2025; Magh 1 = 15 Jan 2026 (another AD year); Falgun 1 = 13 Feb 2026
    assert [o.at.astimezone(NEPAL).isoformat() for o in upcoming] == [
        "2025-12-16T10:00:00+05:45",
        "2026-01-15T10:00:00+05:45",
        "2026-02-13T10:00:00+05:45",
    ]
    for moment in ("2025-12-16", "2026-01-15"):
        frozen_clock.nepal(date.fromisoformat(moment), 10, 0)
        forget_send_limits()
        dispatch_due.call_local()
    assert [b.occurrence_on for b in made(db, schedule)] == [date(2025, 12, 16), date(2026, 1, 15)]
    messages = [m["params"]["message"] for m in recorder.to(roster["guardians"]["one"].phone)]
    assert messages == ["Fees for 1 Poush 2082.", "Fees for 1 Magh 2082."]


def test_a_bs_day_past_a_short_month_is_its_last_day(db, roster, frozen_clock, make_schedule):
    schedule = make_schedule(
        every="bs_month", bs_day=32, at=time(9, 0), on_holiday="next_school_day"
    )
    upcoming, _ = schedules.next_occurrences(schedule, count=2)
    # Mangsir 2082 has 29 days (29th = 15 Dec, a Monday); Poush 2082 has 30 (30th = 14 Jan)
    assert [o.on for o in upcoming] == [date(2025, 12, 15), date(2026, 1, 14)]


def test_an_edit_changes_only_future_occurrences(db, roster, frozen_clock, make_schedule):
    schedule = make_schedule()
    frozen_clock.nepal(date(2025, 11, 24), 6, 0)
    dispatch_due.call_local()
    frozen_clock.nepal(date(2025, 11, 24), 9, 0)
    rule = {f: getattr(schedule, f) for f in schedules.RULE_FIELDS} | {"at": time(18, 0)}
    texts = {"kind": "notice", "targets": ["5A"], "body_en": "Evening news.", "body_ne": None}
    schedules.update_schedule(schedule=schedule, user_id=None, rule=rule, texts=texts)
    db.session.commit()
    assert schedule.next_on == date(2025, 11, 25)  # today's was made: not again at 18:00
    frozen_clock.nepal(date(2025, 11, 25), 18, 0)
    dispatch_due.call_local()
    first, second = made(db, schedule)
    assert (
        first.body_en == "Good morning, {weekday} {date}."
        and first.scheduled_at.astimezone(NEPAL).hour == 6
    )
    assert second.body_en == "Evening news." and second.scheduled_at.astimezone(NEPAL).hour == 18


def test_pause_and_resume(db, roster, frozen_clock, make_schedule):
    schedule = make_schedule()
    assert schedules.pause(schedule=schedule, user_id=None)
    db.session.commit()
    for day in (24, 25):
        frozen_clock.nepal(date(2025, 11, day), 6, 0)
        dispatch_due.call_local()
    assert made(db, schedule) == []
    frozen_clock.nepal(date(2025, 11, 25), 12, 0)
    assert schedules.resume(schedule=schedule, user_id=None)
    db.session.commit()
    assert schedule.next_on == date(2025, 11, 26)  # nothing sent for the paused days
    frozen_clock.nepal(date(2025, 11, 26), 6, 0)
    dispatch_due.call_local()
    assert [b.occurrence_on for b in made(db, schedule)] == [date(2025, 11, 26)]
    assert schedules.stop(schedule=schedule, user_id=None)
    assert schedule.next_at is None and not schedules.resume(schedule=schedule, user_id=None)


def test_an_occurrence_hours_late_is_counted_missed_not_sent(
    db, roster, frozen_clock, make_schedule
):
    schedule = make_schedule()
    frozen_clock.nepal(date(2025, 11, 24), 20, 0)  # no worker ran all day
    dispatch_due.call_local()
    assert made(db, schedule) == []
    db.session.refresh(schedule)
    assert schedule.missed == 1 and schedule.next_on == date(2025, 11, 25)


def test_a_schedule_ends_after_its_last_day(db, roster, frozen_clock, make_schedule):
    schedule = make_schedule(ends_on=date(2025, 11, 24))
    frozen_clock.nepal(date(2025, 11, 24), 6, 0)
    dispatch_due.call_local()
    db.session.refresh(schedule)
    assert len(made(db, schedule)) == 1 and schedule.status == "stopped"
