"""A period's reach as the reports count it, against the numbers counted from the rows in
tests/report_data.py: the funnel, by class and grade (a guardian once per class and once
per grade), by teacher and kind, over time, time to deliver, cost; the same from the kept
tallies as from the deliveries, and a change after a tally was kept shown at once."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from portal.models import BroadcastTally, Delivery, report_marks
from portal.services.reports import periods, reach, tallies
from tests import report_data
from tests.report_data import MANGSIR, TODAY, expected, expected_for_classes

MONTH = ["b1", "b2", "b4"]  # the broadcasts of Mangsir 2083 (b3 was in Kartik)


@pytest.fixture
def data(db):
    return report_data.seed()


def as_dict(counts: tallies.Counts) -> dict[str, int]:
    return {name: getattr(counts, name) for name in tallies.COUNTED}


def this_month():
    return periods.preset("month", TODAY)


def test_this_bs_month_is_mangsir_2083():
    period = this_month()
    assert (period.first, period.last) == MANGSIR
    assert period.label("en") == "Mangsir 2083" and period.label("ne") == "मंसिर २०८३"
    assert periods.preset("last_month", TODAY).first == date(2026, 10, 18)  # Kartik 1
    assert periods.preset("last_month", TODAY).last == date(2026, 11, 16)
    assert (periods.preset("7", TODAY).first, periods.preset("7", TODAY).last) == (
        date(2026, 11, 26),
        TODAY,
    )


@pytest.mark.parametrize("kept", [False, True], ids=["counted now", "kept tallies"])
def test_the_funnel_of_this_month(data, kept):
    if kept:
        assert tallies.refresh() == 5  # every started broadcast, the other school's too
        assert not reach._kept(data.other.id, []) and _marks() == 0
    report = reach.load(data.school, this_month())
    assert [line.broadcast.id for line in report.lines] == [
        data.broadcasts["b1"].id,
        data.broadcasts["b2"].id,
        data.broadcasts["b4"].id,
    ]
    assert as_dict(report.funnel) == expected(MONTH, data.sends)
    assert as_dict(report.funnel)["targeted"] == 14 and report.funnel.prompt == 7


@pytest.mark.parametrize("kept", [False, True], ids=["counted now", "kept tallies"])
def test_by_class_and_grade_each_guardian_once(data, kept):
    if kept:
        tallies.refresh()
    report = reach.load(data.school, this_month())
    names = MONTH
    by_class = {c.name: as_dict(counts) for c, counts in report.classes}
    for name in ("Nursery", "1A", "1B", "5A"):
        short = "Nur" if name == "Nursery" else name
        assert by_class[name] == expected_for_classes({short}, names, data.sends), name
    by_grade = {grade: as_dict(counts) for grade, counts in report.grades}
    assert set(by_grade) == {-3, 1, 5}
    # g2 has children in 1A and 1B: counted once in grade 1, once in each class
    assert by_grade[1] == expected_for_classes({"1A", "1B"}, names, data.sends)
    assert by_class["1A"]["targeted"] + by_class["1B"]["targeted"] > by_grade[1]["targeted"]


def test_by_teacher_and_kind(data):
    report = reach.load(data.school, periods.preset("30", TODAY))
    teachers = {(t.name if t else None): (n, as_dict(c)) for t, n, c in report.by_teacher()}
    assert teachers == {
        "Sita Thapa": (2, expected(["b2", "b4"], data.sends)),
        None: (2, expected(["b1", "b3"], data.sends)),
    }
    kinds = {kind: n for kind, n, _ in report.by_kind()}
    assert kinds == {"notice": 1, "homework": 1, "emergency": 1, "event": 1}


def test_over_time_by_day_and_by_week(data):
    report = reach.load(data.school, this_month())
    days = dict(report.over_time())
    assert len(days) == 29 and days[date(2026, 11, 20)].targeted == 8
    assert days[date(2026, 12, 1)].read == 1
    assert days[date(2026, 11, 25)].read == 1 and days[date(2026, 11, 21)].targeted == 0
    long = periods.read({"from": "2026-09-01", "to": "2026-12-02"}, TODAY)
    weeks = dict(reach.load(data.school, long).over_time())
    assert long.by_week and all(day.weekday() == 6 for day in weeks)  # Sundays
    assert weeks[date(2026, 11, 8)].targeted == 3  # b3, Tuesday 10 Nov
    assert weeks[date(2026, 11, 15)].targeted == 8 and weeks[date(2026, 11, 22)].targeted == 3
    assert weeks[date(2026, 11, 29)].targeted == 3  # b4, Tuesday 1 Dec


def test_time_to_deliver_and_the_reach_target(data):
    report = reach.load(data.school, this_month())
    b1, b2, b4 = report.lines
    # b1: delivered after 30, 60, 120, 400 s; nearest-rank median and 95th percentile
    assert (b1.p50_seconds, b1.p95_seconds) == (60, 400)
    assert b1.reach_share() == pytest.approx(3 / 7)  # 7 messaged (one skipped)
    assert (b2.p50_seconds, b2.p95_seconds) == (10, 20)
    assert b2.reach_share() == pytest.approx(2 / 3)
    assert b4.reach_share() == 1  # the skipped guardian is not counted
    assert [line.broadcast.id for line in report.slow()] == [b1.broadcast.id, b2.broadcast.id]
    data.school.reach_target = 40
    assert [line.broadcast.id for line in report.slow()] == []


def test_cost_by_category_at_the_schools_price(data):
    [service, utility] = reach.load(data.school, this_month()).costs()
    assert (utility.category, utility.free, utility.paid) == ("utility", 0, 5)
    assert str(utility.amount) == "6.25"  # 5 × 1.25
    assert (service.category, service.free, service.paid, service.amount) == ("service", 1, 0, None)


def test_a_change_after_the_tally_was_kept_shows_at_once(db, data):
    tallies.refresh()
    b1 = data.broadcasts["b1"]
    kept = db.session.get(BroadcastTally, (b1.id, "school", 0))
    assert kept.read == 2
    sent = db.session.scalar(
        sa.select(Delivery).where(Delivery.broadcast_id == b1.id, Delivery.status == "sent")
    )
    sent.status, sent.read_at = "read", b1.started_at + timedelta(hours=2)
    db.session.commit()
    assert _marks() >= 1  # the trigger marked it
    report = reach.load(data.school, this_month())
    assert report.lines[0].counts.read == 3  # counted afresh, not the kept 2
    tallies.refresh()
    db.session.expire_all()
    assert db.session.get(BroadcastTally, (b1.id, "school", 0)).read == 3 and _marks() == 0


def _marks() -> int:
    from portal.extensions import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(report_marks))


@pytest.mark.parametrize(
    "args,first,last",
    [
        ({"from": "2083-08-01", "to": "2083-08-16", "calendar": "bs"}, MANGSIR[0], TODAY),
        ({"from": "२०८३-०८-०१", "to": "२०८३-०८-१६", "calendar": "bs"}, MANGSIR[0], TODAY),
        ({"from": "2026-11-17", "to": "2026-12-02"}, MANGSIR[0], TODAY),
        ({"from": "2026-11-17", "to": "2026-12-02", "calendar": "ad"}, MANGSIR[0], TODAY),
        ({"from": "2026/11/17"}, MANGSIR[0], MANGSIR[0]),
        ({"period": "7"}, date(2026, 11, 26), TODAY),
        ({"period": "nonsense"}, *MANGSIR),
    ],
)
def test_periods_in_bs_and_ad(app, args, first, last):
    with app.test_request_context():
        period = periods.read(args, TODAY)
    assert (period.first, period.last) == (first, last)


@pytest.mark.parametrize(
    "args,message",
    [
        ({"from": "2083-13-01", "calendar": "bs"}, "There is no such day"),
        ({"from": "2026-02-30"}, "There is no such day"),
        ({"from": "1800-01-01"}, "There is no such day"),
        ({"from": "yesterday"}, "Write dates as year-month-day"),
        ({"from": "2026-12-02", "to": "2026-11-01"}, "The first day is after the last"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "at most a year"),
        ({"from": "2026-01-01", "calendar": "lunar"}, "Choose BS or AD"),
    ],
)
def test_a_period_that_cannot_be_read_says_why(app, args, message):
    with (
        app.test_request_context(),
        force_locale("en"),
        pytest.raises(periods.PeriodError, match=message),
    ):
        periods.read(args, TODAY)


def test_the_same_data_in_bs_and_ad_gives_the_same_report(data, app):
    with app.test_request_context():
        bs = periods.read({"from": "2083-08-01", "to": "2083-08-29", "calendar": "bs"}, TODAY)
        ad = periods.read({"from": "2026-11-17", "to": "2026-12-15"}, TODAY)
    assert bs == ad == periods.Period(*MANGSIR)  # Mangsir 2083 has 29 days
    assert as_dict(reach.load(data.school, bs).funnel) == expected(MONTH, data.sends)


def test_in_nepali_the_reader_is_told_in_nepali(app):
    with (
        app.test_request_context(),
        force_locale("ne"),
        pytest.raises(periods.PeriodError, match="यस्तो दिन छैन: 2083-13-01।"),
    ):
        periods.read({"from": "2083-13-01", "calendar": "bs"}, TODAY)


def test_the_tally_task_counts_what_changed(db, data):
    from portal.tasks.reports import refresh_tallies

    assert refresh_tallies.call_local() == 5
    assert refresh_tallies.call_local() == 0  # nothing changed since
    b2 = data.broadcasts["b2"]
    pending = db.session.scalar(
        sa.select(Delivery).where(Delivery.broadcast_id == b2.id, Delivery.status == "pending")
    )
    pending.status = "failed"
    db.session.commit()
    assert refresh_tallies.call_local() == 1
    db.session.expire_all()
    assert db.session.get(BroadcastTally, (b2.id, "school", 0)).failed == 1
