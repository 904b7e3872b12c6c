"""/api/v1/schedules: create, show with the next five occurrences in Nepal time, pause,
resume and stop; another school's schedule is a 404."""

from datetime import date

import pytest

from portal.services.accounts.tokens import create_api_token
from portal.services.calendar import holidays
from tests.factories import SchoolFactory


@pytest.fixture
def token(db, roster):
    _, token = create_api_token(school=roster["school"])
    db.session.commit()
    return token


def api(client, method, url, token, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.open(f"/api/v1{url}", method=method, headers=headers, **kwargs)


WEEKLY = {
    "targets": ["5A"],
    "body_en": "Library books back on {weekday}.",
    "body_ne": "{weekday} पुस्तकालयका किताब फिर्ता।",
    "kind": "notice",
    "rule": {"every": "week", "at": "07:00", "weekdays": ["sun", "wed"], "on_holiday": "skip"},
    "starts_on": "2025-11-23",
    "ends_on": "2026-03-31",
}


def test_create_then_show_the_next_five_in_nepal_time(client, db, roster, token, frozen_clock):
    holidays.add_holiday(
        school_id=roster["school"].id,
        user_id=None,
        starts_on=date(2025, 11, 26),
        ends_on=None,
        name="Local festival",
        name_ne=None,
        closed=True,
    )
    db.session.commit()
    response = api(client, "POST", "/schedules", token, json=WEEKLY)
    assert response.status_code == 201, response.json
    shown = api(client, "GET", f"/schedules/{response.json['id']}", token).json
    assert shown["status"] == "active"
    assert shown["rule"] == WEEKLY["rule"] | {"bs_day": None}
    assert shown["next"] == [
        "2025-11-30T07:00:00+05:45",  # Sunday 23rd 07:00 has passed (it is 08:00)
        "2025-12-03T07:00:00+05:45",  # Wednesday 26th is a holiday: skipped
        "2025-12-07T07:00:00+05:45",
        "2025-12-10T07:00:00+05:45",
        "2025-12-14T07:00:00+05:45",
    ]
    assert shown["skipped"] == [{"on": "2025-11-26", "holiday": "Local festival"}]


def test_pause_resume_and_stop(client, roster, token, frozen_clock):
    created = api(client, "POST", "/schedules", token, json=WEEKLY).json
    url = f"/schedules/{created['id']}"
    paused = api(client, "POST", f"{url}/pause", token)
    assert paused.status_code == 200 and paused.json["status"] == "paused"
    assert api(client, "POST", f"{url}/pause", token).status_code == 409
    resumed = api(client, "POST", f"{url}/resume", token).json
    assert resumed["status"] == "active" and len(resumed["next"]) == 5
    stopped = api(client, "DELETE", url, token).json
    assert stopped["status"] == "stopped" and stopped["next"] == []
    again = api(client, "DELETE", url, token)
    assert again.status_code == 409 and again.json["error"]["code"] == "stopped"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"rule": {"every": "week", "at": "07:00"}}, "rule"),
        ({"rule": {"every": "bs_month", "at": "7am"}}, "rule"),
        ({"rule": {"every": "fortnight", "at": "07:00"}}, "rule"),
        ({"targets": ["9Z"]}, "targets"),
        ({"body_en": None, "body_ne": None}, "body_ne"),
        ({"ends_on": "2025-11-01"}, "ends_on"),
        ({"starts_on": "2027-06-01"}, "starts_on"),  # the field that is wrong
    ],
)
def test_bad_schedules_are_refused_with_the_field(
    client, roster, token, frozen_clock, change, field
):
    response = api(client, "POST", "/schedules", token, json=WEEKLY | change)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_another_school_s_schedule_is_not_found(client, db, roster, token, frozen_clock):
    created = api(client, "POST", "/schedules", token, json=WEEKLY).json
    _, other = create_api_token(school=SchoolFactory())
    db.session.commit()
    assert api(client, "GET", f"/schedules/{created['id']}", other).status_code == 404
    assert api(client, "GET", f"/schedules/{created['id']}", None).status_code == 401


def test_the_audit_log_names_the_api_token(client, db, roster, token, frozen_clock):
    import sqlalchemy as sa

    from portal.models import AuditLog

    made = api(client, "POST", "/schedules", token, json=WEEKLY).json
    api(client, "POST", f"/schedules/{made['id']}/pause", token)
    query = sa.select(AuditLog).where(AuditLog.action.startswith("schedule.")).order_by(AuditLog.id)
    entries = db.session.scalars(query).all()
    assert [(e.action, e.actor) for e in entries] == [
        ("schedule.create", "api"),
        ("schedule.pause", "api"),
    ]
    assert all(e.api_token_id is not None for e in entries)
