"""The daily cap on a controlled clock: at most so many non-urgent messages reach a guardian
in a Nepal day; the rest wait for the next morning (nothing is dropped); emergencies and
absence alerts are never held back; a digest counts as one."""

from datetime import date, time, timedelta

import sqlalchemy as sa

from portal.models import Delivery
from portal.services.common.dates import NEPAL
from portal.services.delivery import reasons
from portal.tasks.delivery import dispatch_due
from tests.conftest import forget_send_limits
from tests.helpers import run_senders
from tests.services.delivery.test_digest import MONDAY, send_now


def test_over_the_cap_waits_for_the_next_morning(db, roster, frozen_clock, recorder):
    school, g = roster["school"], roster["guardians"]
    school.daily_cap, school.quiet_start, school.quiet_end = 2, time(21), time(6)
    db.session.commit()
    for hour, text in ((9, "First."), (10, "Second."), (11, "Third.")):
        send_now(frozen_clock, hour, 0, school, ["5A"], body_en=text)
    messages = [m["params"]["message"] for m in recorder.to(g["one"].phone)]
    assert messages == ["First.", "Second."]
    [third] = db.session.scalars(
        sa.select(Delivery).where(Delivery.guardian_id == g["one"].id, Delivery.status == "pending")
    ).all()
    assert third.next_attempt_at.astimezone(NEPAL).isoformat() == "2025-11-25T06:00:00+05:45"
    assert reasons.delivery_reason(third) == (
        "This parent had the day's most messages: it goes the next morning."
    )
    send_now(frozen_clock, 12, 0, school, ["5A"], kind="emergency", body_en="Go home now.")
    messages = [m["params"]["message"] for m in recorder.to(g["one"].phone)]
    assert messages == ["First.", "Second.", "Go home now."]  # never held back
    frozen_clock.nepal(MONDAY + timedelta(days=1), 5, 59)
    forget_send_limits()
    run_senders()
    assert len(recorder.to(g["one"].phone)) == 3
    frozen_clock.nepal(MONDAY + timedelta(days=1), 6, 0)
    forget_send_limits()
    run_senders()
    messages = [m["params"]["message"] for m in recorder.to(g["one"].phone)]
    assert messages == ["First.", "Second.", "Go home now.", "Third."]


def test_a_digest_counts_as_one_message(db, roster, frozen_clock, recorder):
    school, g = roster["school"], roster["guardians"]
    school.daily_cap, school.digest_at = 1, time(16, 0)
    db.session.commit()
    send_now(frozen_clock, 9, 0, school, ["5A"], body_en="First.")
    send_now(frozen_clock, 10, 0, school, ["5A"], body_en="Second.")
    frozen_clock.nepal(MONDAY, 16, 1)
    forget_send_limits()
    dispatch_due.call_local()
    [digest] = recorder.to(g["one"].phone)
    assert digest["params"]["message"] == "1) Notice: First. 2) Notice: Second."
    # a third notice after the digest time waits for tomorrow's digest, not for the cap
    send_now(frozen_clock, 17, 0, school, ["5A"], body_en="Third.")
    tomorrow = date(2025, 11, 25)
    frozen_clock.nepal(tomorrow, 16, 1)
    forget_send_limits()
    dispatch_due.call_local()
    assert [m["params"]["message"] for m in recorder.to(g["one"].phone)][1:] == ["Third."]
