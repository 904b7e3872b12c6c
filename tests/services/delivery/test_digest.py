"""The daily digest on a controlled clock: a guardian's non-urgent notices of the day are held
and reach them as one message at the school's digest time; emergencies and absence alerts
go at once; the held ones follow their digest's statuses; nothing is sent twice, and what a
dead worker left is taken up by the sweeper."""

from datetime import date, time, timedelta

import sqlalchemy as sa

from portal.models import Broadcast, Delivery, InboundMessage
from portal.services.common import clock
from portal.services.common.dates import NEPAL
from portal.services.delivery import claims, digests, statuses
from portal.tasks.delivery import dispatch_due, start_broadcast
from portal.tasks.sweeper import sweep
from portal.whatsapp.payloads import StatusUpdate
from tests.conftest import forget_send_limits
from tests.helpers import make_broadcast, run_senders

MONDAY = date(2025, 11, 24)  # 2082 Mangsir 8


def send_now(frozen_clock, hour, minute, school, targets, **kwargs):
    """A broadcast made and started at that Nepal time on Monday."""
    frozen_clock.nepal(MONDAY, hour, minute)
    broadcast = make_broadcast(school, targets, **kwargs)
    forget_send_limits()  # the 6-second gap to each parent runs on the real clock
    start_broadcast.call_local(broadcast.id)
    return broadcast


def three_notices(frozen_clock, school):
    return [
        send_now(frozen_clock, 9, 0, school, ["5A"], body_en="Bring a lunch box."),
        send_now(
            frozen_clock,
            11,
            30,
            school,
            ["5"],
            kind="homework",
            subject="Science",
            body_en="Page 23, exercises 1-5.",
        ),
        send_now(frozen_clock, 14, 0, school, ["ALL"], kind="event", body_en="Sports day Friday."),
    ]


def at(frozen_clock, day, hour, minute):
    frozen_clock.nepal(day, hour, minute)
    forget_send_limits()
    dispatch_due.call_local()


def rows(db, **where):
    query = sa.select(Delivery).order_by(Delivery.id)
    for name, value in where.items():
        query = query.where(getattr(Delivery, name) == value)
    db.session.expire_all()
    return db.session.scalars(query).all()


def test_three_notices_become_one_message_per_guardian_at_the_digest_time(
    db, roster, frozen_clock, recorder
):
    school, g = roster["school"], roster["guardians"]
    school.digest_at = time(16, 0)
    db.session.commit()
    notices = three_notices(frozen_clock, school)
    assert recorder.sent == []  # all held
    assert {d.status for d in rows(db)} == {"held"}
    at(frozen_clock, MONDAY, 15, 59)
    assert recorder.sent == []
    at(frozen_clock, MONDAY, 16, 1)
    at(frozen_clock, MONDAY, 16, 2)  # the dispatcher again: nothing twice
    [one] = recorder.to(g["one"].phone)
    assert one["kind"] == "template" and one["name"] == "sandesh_digest"
    assert one["params"]["message"] == (
        "1) Notice: Bring a lunch box. 2) Homework · Science: Page 23, exercises 1-5. "
        "3) Event: Sports day Friday."
    )
    assert one["params"]["students"].startswith("Aarav")
    [both] = recorder.to(g["both"].phone)  # Bina in 5A, Dipa in 5B; reads Nepali
    # Meta has no Nepali: a template declared in English carries the Nepali digest
    assert both["language"] == "en" and both["name"] == "sandesh_digest_ne"
    carried = both["params"]["message"]
    first, rest = carried[carried.index("१) ") :].split(" २) ")
    second = rest.split(" ३) ")[0]
    assert "५क" in first and "५ख" not in first  # the 5A notice names Bina only
    assert "५क" not in second and "५ख" not in second  # the grade's names both: as the header
    # Firoj (6A) had only the event: it goes on its own, as the ordinary notice
    [sixth] = recorder.to(g["sixth"].phone)
    assert sixth["name"] == "sandesh_notice"
    assert len(recorder.sent) == 4  # one, both, triple (each a digest), sixth (its own)
    carried = rows(db, broadcast_id=notices[0].id)
    assert {d.status for d in carried} == {"accepted"}
    assert all(d.digest_id is not None for d in carried)
    for notice in notices:
        db.session.refresh(notice)
        assert notice.status == "completed"


def test_an_emergency_and_an_absence_alert_are_never_held(db, roster, frozen_clock, recorder):
    school, g = roster["school"], roster["guardians"]
    school.digest_at = time(16, 0)
    db.session.commit()
    send_now(frozen_clock, 9, 0, school, ["5A"], body_en="Bring a lunch box.")
    send_now(frozen_clock, 10, 0, school, ["5A"], kind="emergency", body_en="Go home now.")
    aarav = roster["students"]["Aarav"].id
    send_now(frozen_clock, 10, 5, school, ["5A"], kind="absence", student_ids=[aarav])
    sent = recorder.to(g["one"].phone)
    assert [m["params"].get("message", "") for m in sent][:1] == ["Go home now."]
    assert [m["name"] for m in sent] == ["sandesh_notice", "sandesh_absence"]
    at(frozen_clock, MONDAY, 16, 1)
    assert [m["name"] for m in recorder.to(g["one"].phone)][2:] == ["sandesh_notice"]


def test_inside_the_window_the_digest_is_one_numbered_text(db, roster, frozen_clock, recorder):
    school, g = roster["school"], roster["guardians"]
    school.digest_at = time(6, 0)
    db.session.commit()
    send_now(frozen_clock, 9, 0, school, ["5A"], body_en="Bring a lunch box.")
    send_now(frozen_clock, 13, 0, school, ["5A"], kind="event", body_en="Sports day Friday.")
    tuesday = MONDAY + timedelta(days=1)
    frozen_clock.nepal(tuesday, 5, 0)
    g["one"].last_inbound_at = frozen_clock()  # the parent wrote at 05:00
    db.session.commit()
    at(frozen_clock, tuesday, 5, 59)
    assert recorder.to(g["one"].phone) == []
    at(frozen_clock, tuesday, 6, 1)
    [text] = recorder.to(g["one"].phone)
    assert text["kind"] == "text"
    body = text["body"]
    assert body.startswith(f"*{school.name}* · Today's messages\nFor Aarav")
    assert "\n1. Notice: Bring a lunch box.\n" in body
    assert "\n2. Event: Sports day Friday.\n" in body
    assert body.endswith("Reply STOP to stop these messages.")


def test_the_held_ones_follow_the_digest_status(db, roster, frozen_clock, recorder):
    school, g = roster["school"], roster["guardians"]
    school.digest_at = time(16, 0)
    db.session.commit()
    notices = three_notices(frozen_clock, school)
    at(frozen_clock, MONDAY, 16, 1)
    [message] = recorder.to(g["one"].phone)
    digest = rows(db, wamid=message["wamid"])[0]
    assert digest.purpose == "digest"
    for status in ("delivered", "read"):
        update = StatusUpdate(
            phone_number_id=school.phone_number_id,
            wamid=message["wamid"],
            status=status,
            timestamp=frozen_clock(),
            recipient_id=message["to"],
            recipient_user_id=None,
            callback_data=None,
        )
        assert statuses.take(school_id=school.id, update=update)
        db.session.commit()
    carried = rows(db, digest_id=digest.id)
    assert len(carried) == 3
    assert {d.status for d in carried} == {"read"}
    assert {d.broadcast_id for d in carried} == {b.id for b in notices}


def test_a_notice_cancelled_while_held_is_left_out(db, roster, frozen_clock, recorder):
    from portal.services.broadcasting import broadcasts

    school, g = roster["school"], roster["guardians"]
    school.digest_at = time(16, 0)
    db.session.commit()
    first, homework, event = three_notices(frozen_clock, school)
    assert broadcasts.cancel(db.session.get(Broadcast, homework.id))
    db.session.commit()
    at(frozen_clock, MONDAY, 16, 1)
    [one] = recorder.to(g["one"].phone)
    assert one["params"]["message"] == (
        "1) Notice: Bring a lunch box. 2) Event: Sports day Friday."
    )
    assert {d.status for d in rows(db, broadcast_id=homework.id)} == {"cancelled"}


def test_a_second_dispatcher_links_nothing(db, roster, frozen_clock, recorder):
    school = roster["school"]
    school.digest_at = time(16, 0)
    db.session.commit()
    three_notices(frozen_clock, school)
    frozen_clock.nepal(MONDAY, 16, 1)
    held = rows(db, guardian_id=roster["guardians"]["one"].id)
    assert digests._carry(held) == 3
    assert digests._carry(held) == 0  # already linked: its digest is not kept
    db.session.commit()
    assert len(rows(db, purpose="digest")) == 1


def test_a_dead_workers_digest_is_sent_once_by_the_sweeper(db, app, roster, frozen_clock, recorder):
    school, g = roster["school"], roster["guardians"]
    school.digest_at = time(16, 0)
    db.session.commit()
    three_notices(frozen_clock, school)
    frozen_clock.nepal(MONDAY, 16, 1)
    assert digests.make_due() == 10  # one, both and triple: 3 each; sixth: 1 (goes alone)
    db.session.commit()
    claimed = claims.claim_batch(limit=100)  # a worker claims them, then dies
    db.session.commit()
    assert recorder.sent == []
    lease = app.config["DELIVERY_LEASE_SECONDS"]
    frozen_clock.advance(seconds=lease + app.config["RESEND_GRACE"].total_seconds() + 1)
    forget_send_limits()
    sweep.call_local()
    assert len(recorder.to(g["one"].phone)) == 1
    assert len(recorder.sent) == len(claimed)
    run_senders()
    assert len(recorder.sent) == len(claimed)  # nothing twice


def test_held_ones_whose_digest_went_on_without_them_follow_it_after_a_crash(
    db, roster, frozen_clock, recorder
):
    school = roster["school"]
    school.digest_at = time(16, 0)
    db.session.commit()
    three_notices(frozen_clock, school)
    frozen_clock.nepal(MONDAY, 16, 1)
    digests.make_due()
    db.session.commit()
    [digest] = [
        d for d in rows(db, purpose="digest") if d.guardian_id == roster["guardians"]["one"].id
    ]
    # the worker stored the wamid and died before the held ones followed
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id == digest.id)
        .values(status="accepted", wamid="wamid.crash", accepted_at=frozen_clock())
    )
    db.session.commit()
    assert {d.status for d in rows(db, digest_id=digest.id)} == {"held"}
    sweep.call_local()
    assert {d.status for d in rows(db, digest_id=digest.id)} == {"accepted"}


def test_the_digest_time_is_nepal_time_and_the_next_one_after_it_passed(db, roster):
    school = roster["school"]
    school.digest_at = time(16, 0)
    noon = digests.next_digest_at(school, _nepal(MONDAY, 12, 0))
    assert noon.astimezone(NEPAL).isoformat() == "2025-11-24T16:00:00+05:45"
    evening = digests.next_digest_at(school, _nepal(MONDAY, 16, 0, 30))
    assert evening.astimezone(NEPAL).isoformat() == "2025-11-25T16:00:00+05:45"


def _nepal(day, hour, minute, second=0):
    from datetime import datetime

    return datetime.combine(day, time(hour, minute, second), tzinfo=NEPAL)


def test_what_the_digest_template_cannot_carry_goes_in_the_next_or_on_its_own(
    db, roster, frozen_clock, recorder, monkeypatch
):
    monkeypatch.setattr(digests, "BUDGET", 10_000)  # the estimate lets all three in one
    school, g = roster["school"], roster["guardians"]
    school.digest_at = time(16, 0)
    db.session.commit()
    texts = [f"Notice {n}: " + "word " * 100 for n in (1, 2, 3)]  # about 500 characters each
    for hour, text in zip((9, 10, 11), texts, strict=True):
        send_now(frozen_clock, hour, 0, school, ["5A"], body_en=text, body_ne=None)
    for minute in (1, 2, 3, 4):
        at(frozen_clock, MONDAY, 16, minute)
    got = [m["params"]["message"] for m in recorder.to(g["one"].phone)]
    assert len(got) == 3  # each within Meta's 1,024, none lost, none twice
    assert all(text.strip() in message for text, message in zip(texts, got, strict=True))
    assert {d.status for d in rows(db, guardian_id=g["one"].id)} == {"accepted"}


def test_the_sweeper_makes_due_digests_when_the_dispatcher_did_not_run(
    db, roster, frozen_clock, recorder
):
    school, g = roster["school"], roster["guardians"]
    school.digest_at = time(16, 0)
    db.session.commit()
    three_notices(frozen_clock, school)
    frozen_clock.nepal(MONDAY, 16, 5)
    forget_send_limits()
    result = sweep.call_local()
    assert result["held_taken_up"] == 10
    assert len(recorder.to(g["one"].phone)) == 1
    at(frozen_clock, MONDAY, 16, 6)  # the dispatcher afterwards: nothing twice
    assert len(recorder.to(g["one"].phone)) == 1


def test_a_seen_tap_on_a_digest_marks_every_message_it_carried(db, roster, frozen_clock, recorder):
    from portal.services.conversations import parent_keywords
    from portal.services.wording import template_texts, templates

    school, one = roster["school"], roster["guardians"]["one"]
    school.digest_at = time(16, 0)
    for lang in ("ne", "en"):  # synced from Meta: approved, with their Seen quick reply
        shipped = template_texts.shipped("digest", lang)
        row = templates.new_row(school, shipped)
        row.approved, row.status, row.buttons = True, "APPROVED", list(shipped.buttons)
    db.session.commit()
    notices = three_notices(frozen_clock, school)
    at(frozen_clock, MONDAY, 16, 1)
    [digest] = recorder.to(one.phone)
    [digest_row] = rows(db, purpose="digest", guardian_id=one.id)
    assert digest["name"] == "sandesh_digest" and digest["quick_replies"] == [
        f"seen:{digest_row.id}"
    ]
    tap = InboundMessage(
        school_id=school.id, phone_number_id=school.phone_number_id, wamid="wamid.tap",
        sender=one.phone.lstrip("+"), type="button", text="Seen",
        button_id=f"seen:{digest_row.id}", sent_at=clock.now(),
        received_at=clock.now(),
    )  # fmt: skip
    db.session.add(tap)
    db.session.flush()
    assert parent_keywords.act(message=tap, guardian=one, school=school) == "seen"
    carried = [d for d in rows(db, guardian_id=one.id) if d.broadcast_id is not None]
    assert len(carried) == len(notices) and all(d.acknowledged_at for d in carried)
