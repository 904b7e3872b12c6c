"""One rule for send times everywhere (at most a year ahead), and no page that breaks on a
stored date the Bikram Sambat table cannot show: such a date shows in AD."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.models import Broadcast, BroadcastStatus, Source
from portal.services.accounts.tokens import create_api_token
from portal.services.common import clock, dates
from portal.services.common.send_times import SendTimeError, check_send_time
from tests.factories import ClassFactory, GuardianFactory, StudentFactory, StudentGuardianFactory


@pytest.fixture
def five_a(db, school):
    five = ClassFactory(school=school, grade=5, section="A")
    StudentGuardianFactory(
        student=StudentFactory(school_class=five, roll=1), guardian=GuardianFactory(school=school)
    )
    return five


def compose(portal, day: str, at: str = "10:00"):
    return portal.post(
        "/broadcasts/new",
        {
            "targets": ["5A"],
            "kind": "notice",
            "body_en": "Hello",
            "send_date": day,
            "send_time": at,
            "action": "send",
        },
    )


def test_the_rule_itself():
    now = clock.now()
    assert check_send_time(now + timedelta(days=366), now=now)
    for when, code in [
        (now + timedelta(days=367), "too_far"),
        (now - timedelta(minutes=5), "past_time"),
        (datetime(2026, 1, 1, 10), "no_zone"),
    ]:
        with pytest.raises(SendTimeError) as refused:
            check_send_time(when, now=now)
        assert refused.value.code == code


@pytest.mark.parametrize("years", [2, 10])
def test_the_portal_refuses_a_date_more_than_a_year_ahead(admin_portal, five_a, db, years):
    far = clock.now().astimezone(dates.NEPAL).date().replace(day=1) + timedelta(days=365 * years)
    response = compose(admin_portal, far.isoformat())
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "more than a year ahead" in page and 'id="send_date-error"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Broadcast)) == 0


def test_the_portal_takes_a_date_within_the_year(admin_portal, five_a, db):
    soon = clock.now().astimezone(dates.NEPAL).date() + timedelta(days=300)
    assert compose(admin_portal, soon.isoformat()).status_code == 302


@pytest.fixture
def stored_far(db, school, five_a):
    """A broadcast kept for 2090 (before the rule, or written by hand): outside the BS table."""
    broadcast = Broadcast(
        school_id=school.id,
        kind="notice",
        source=Source.API,
        status=BroadcastStatus.SCHEDULED,
        targets=["5A"],
        body_en="Far away",
        scheduled_at=datetime(2090, 1, 1, 4, 15, tzinfo=UTC),
        created_at=clock.now(),
    )
    db.session.add(broadcast)
    db.session.commit()
    return broadcast


@pytest.mark.parametrize("lang", ["en", "ne"])
def test_pages_show_a_stored_date_outside_the_bs_table_in_ad(admin_portal, stored_far, db, lang):
    admin_portal.post("/language", {"lang": lang, "next": "/"})
    for url in ("/", "/broadcasts/", f"/broadcasts/{stored_far.id}"):
        response = admin_portal.get(url)
        assert response.status_code == 200, url
    page = admin_portal.get(f"/broadcasts/{stored_far.id}").get_data(as_text=True)
    assert ("2090" if lang == "en" else "२०९०") in page


def test_the_api_shows_it_too(client, db, school, stored_far):
    _, token = create_api_token(school=school)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/broadcasts", headers=headers).status_code == 200
    shown = client.get(f"/api/v1/broadcasts/{stored_far.id}", headers=headers)
    assert shown.status_code == 200 and shown.json["scheduled_at"].startswith("2090-01-01")


@pytest.mark.parametrize("day", [date(1, 1, 1), date(1900, 1, 1), date(2090, 1, 1), date.max])
def test_date_formatting_never_raises(day):
    for locale in ("en", "ne"):
        assert dates.format_dual_date(day, locale)
        moment = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        assert dates.format_dual_datetime(moment, locale)


def test_recurring_schedules_follow_the_same_rule(db, frozen_clock, english):
    from datetime import time, timedelta

    from portal.services.common import send_times
    from portal.services.schedules import schedules

    today = frozen_clock().astimezone(dates.NEPAL).date()
    rule = {"every": "day", "at": time(6), "weekdays": [], "bs_day": None}
    rule |= {"on_holiday": "skip", "ends_on": None}
    last = today + send_times.HORIZON - timedelta(days=1)  # its 06:00 is within the year
    assert schedules.checked_rule(**rule, starts_on=last)["starts_on"] == last
    for field in ("starts_on", "ends_on"):
        far = {"starts_on": None, field: today + send_times.HORIZON + timedelta(days=1)}
        with pytest.raises(schedules.ScheduleError) as refused:
            schedules.checked_rule(**(rule | far))
        assert refused.value.field == field
        assert str(refused.value) == "That date is more than a year away. Check the year."
