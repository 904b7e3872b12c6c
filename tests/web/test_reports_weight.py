"""The reports page of a year stays within the 50 KB first-visit budget: what grows with a
year is not the deliveries (they are counted) but the rows a page lists (classes, teachers,
weeks, broadcasts below the target, guardians to contact), and those are bounded."""

from datetime import UTC, date, datetime, timedelta

import pytest

from bench.page_weight import FIRST_VISIT_BUDGET, first_visit
from portal.models import Broadcast, Delivery
from tests.factories import (
    ClassFactory,
    GuardianFactory,
    SchoolFactory,
    StudentFactory,
    StudentGuardianFactory,
    TeacherFactory,
    UserFactory,
)

START = datetime(2025, 12, 3, 4, 15, tzinfo=UTC)


@pytest.fixture
def a_year(db, frozen_clock):
    frozen_clock.nepal(date(2026, 12, 2), 10, 0)
    school = SchoolFactory(prices={"utility": "1.25"})
    classes = [ClassFactory(school=school, grade=g, section=s) for g in range(-3, 11) for s in "AB"]
    pairs = []
    for i, school_class in enumerate(classes):
        for roll in (1, 2):
            student = StudentFactory(school_class=school_class, roll=roll)
            guardian = GuardianFactory(school=school, name=f"गुरुङ अभिभावक {i}-{roll}")
            StudentGuardianFactory(student=student, guardian=guardian, school_id=school.id)
            pairs.append((guardian.id, student.id))
    teachers = [TeacherFactory(school=school, name=f"शिक्षक {n}") for n in range(40)]
    for n in range(5 * 240):  # five notices a school day
        started = START + timedelta(hours=n * 7)
        broadcast = Broadcast(
            school_id=school.id,
            kind=("notice", "homework", "event", "absence", "emergency")[n % 5],
            source="teacher",
            status="completed",
            author_teacher_id=teachers[n % 40].id,
            subject=f"सूचना नम्बर {n}: भोलि विद्यालय बिदा रहनेछ",
            body_ne="भोलि विद्यालय बिदा रहनेछ।",
            scheduled_at=started,
            started_at=started,
        )
        db.session.add(broadcast)
        db.session.flush()
        for k, (guardian_id, student_id) in enumerate(pairs[n % 20 : n % 20 + 3]):
            failed = k == 2
            db.session.add(
                Delivery(
                    school_id=school.id,
                    broadcast_id=broadcast.id,
                    guardian_id=guardian_id,
                    student_ids=[student_id],
                    status="failed" if failed else "read",
                    error_code=131026 if failed else None,
                    delivered_at=None if failed else started + timedelta(minutes=k * 9),
                    read_at=None if failed else started + timedelta(minutes=30),
                    pricing_category=None if failed else "utility",
                    pricing_type=None if failed else "regular",
                )
            )
    db.session.commit()
    return school


@pytest.mark.parametrize("language", ["ne", "en"])
def test_a_years_report_fits_the_first_visit_budget(portal, a_year, language):
    portal.login(UserFactory(school=a_year, role="admin", language=language))
    url = "/reports/?calendar=ad&from=2025-12-03&to=2026-12-02"
    resources = first_visit(portal.client, url)
    html = resources[0]
    assert html.kind == "html" and "<svg" in html.text
    assert html.text.count("<tr>") > 100  # weeks, classes, teachers, slow broadcasts
    total = sum(r.wire for r in resources)
    assert total < FIRST_VISIT_BUDGET, [(r.url, r.wire) for r in resources]
