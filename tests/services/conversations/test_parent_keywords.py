"""Parents control what they receive by replying; anything else reaches the school's inbox."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.models import Delivery, Guardian, InboundMessage
from portal.services.common import clock
from portal.tasks.delivery import start_broadcast
from tests.helpers import make_broadcast


def reload(db, guardian):
    db.session.expire_all()
    return db.session.get(Guardian, guardian.id)


@pytest.mark.parametrize("text", ["STOP", "stop", "  Stop. ", "UNSUBSCRIBE", "बन्द"])
def test_stop_opts_out_and_is_confirmed(db, roster, phones, say, text):
    one = roster["guardians"]["one"]
    say(roster["school"], one.phone, text)
    assert reload(db, one).opted_out_at is not None
    [reply] = phones.to(one.phone)
    assert "no longer receive" in reply["body"] and "START" in reply["body"]


def test_stop_then_the_next_broadcast_skips_them_and_start_brings_them_back(
    db, roster, phones, say
):
    one = roster["guardians"]["one"]
    say(roster["school"], one.phone, "STOP")
    first = make_broadcast(roster["school"], ["5A"])
    start_broadcast.call_local(first.id)
    status = db.session.scalar(
        sa.select(Delivery.status).where(
            Delivery.broadcast_id == first.id, Delivery.guardian_id == one.id
        )
    )
    assert status == "skipped"
    say(roster["school"], one.phone, "START")
    assert reload(db, one).opted_out_at is None
    second = make_broadcast(roster["school"], ["5A"])
    start_broadcast.call_local(second.id)
    status = db.session.scalar(
        sa.select(Delivery.status).where(
            Delivery.broadcast_id == second.id, Delivery.guardian_id == one.id
        )
    )
    # Included again; it may wait a few seconds for the pair limit after the START reply.
    assert status in ("accepted", "pending")


def test_nepali_sets_the_language_and_confirms_in_nepali(db, roster, phones, say):
    one = roster["guardians"]["one"]  # English speaker
    say(roster["school"], one.phone, "नेपाली")
    guardian = reload(db, one)
    assert guardian.language == "ne" and guardian.language_chosen_at is not None
    [reply] = phones.to(one.phone)
    assert any("\u0900" <= ch <= "\u097f" for ch in reply["body"])


def test_english_sets_the_language(db, roster, phones, say):
    both = roster["guardians"]["both"]
    say(roster["school"], both.phone, "english")
    assert reload(db, both).language == "en"


def test_a_longer_message_with_a_keyword_is_a_reply_not_a_command(db, roster, phones, say):
    one = roster["guardians"]["one"]
    say(roster["school"], one.phone, "Please do not stop the bus service")
    assert reload(db, one).opted_out_at is None
    message = db.session.scalar(sa.select(InboundMessage))
    assert message.in_inbox and message.guardian_id == one.id


def test_replies_reach_the_inbox_and_are_acknowledged_once_a_day(
    db, roster, phones, say, monkeypatch
):
    one = roster["guardians"]["one"]
    say(roster["school"], one.phone, "Will the bus run?")
    say(roster["school"], one.phone, "Also, what time?")
    assert len(phones.to(one.phone)) == 1  # one acknowledgement
    assert "received your message" in phones.to(one.phone)[0]["body"]
    inbox = db.session.scalars(sa.select(InboundMessage).where(InboundMessage.in_inbox)).all()
    assert len(inbox) == 2
    tomorrow = clock.now() + timedelta(days=1, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: tomorrow)
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)
    say(roster["school"], one.phone, "Thanks")
    assert len(phones.to(one.phone)) == 2


def test_a_reply_to_a_notice_is_linked_to_its_broadcast(db, roster, phones, say):
    one = roster["guardians"]["one"]
    broadcast = make_broadcast(roster["school"], ["5A"])
    start_broadcast.call_local(broadcast.id)
    wamid = phones.to(one.phone)[0]["wamid"]
    say(roster["school"], one.phone, "Noted, thank you", context=wamid)
    message = db.session.scalar(sa.select(InboundMessage))
    assert message.broadcast_id == broadcast.id


def test_a_reply_opens_the_guardian_s_window_so_notices_go_as_text(db, roster, phones, say):
    one = roster["guardians"]["one"]
    say(roster["school"], one.phone, "Hello")
    broadcast = make_broadcast(roster["school"], ["5A"])
    start_broadcast.call_local(broadcast.id)
    kinds = [m["kind"] for m in phones.to(one.phone)]
    assert kinds[-1] == "text"
    others = phones.to(roster["guardians"]["both"].phone)
    assert [m["kind"] for m in others] == ["template"]


def test_the_same_webhook_three_times_acts_once(db, roster, phones, say):
    one = roster["guardians"]["one"]
    for _ in range(3):
        say(roster["school"], one.phone, "STOP", wamid="wamid.same")
    assert len(phones.to(one.phone)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InboundMessage)) == 1


def test_an_unknown_number_gets_one_bilingual_reply_a_day(db, roster, phones, say, monkeypatch):
    stranger = "+9779801234567"
    say(roster["school"], stranger, "Hello?")
    say(roster["school"], stranger, "Anyone?")
    [reply] = phones.to(stranger)
    assert "not registered" in reply["body"]
    assert any("\u0900" <= ch <= "\u097f" for ch in reply["body"])
    tomorrow = clock.now() + timedelta(days=1, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: tomorrow)
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)
    say(roster["school"], stranger, "Hello again")
    assert len(phones.to(stranger)) == 2


@pytest.mark.parametrize(
    "text",
    [
        "stop please",
        "Please stop these messages",
        "STOP sending me messages",
        "I don't want these, unsubscribe me",
        "मलाई सन्देश नपठाउनुहोस्",
        "कृपया बन्द गर्नुहोस्",
    ],
)
def test_a_sentence_asking_to_stop_is_answered_with_how_and_flagged_not_obeyed(
    db, roster, phones, say, text, login_as, portal
):
    one = roster["guardians"]["one"]
    say(roster["school"], one.phone, text)
    assert reload(db, one).opted_out_at is None  # a sentence never opts out by itself
    [reply] = phones.to(one.phone)
    assert "reply with just the word STOP (or बन्द)" in reply["body"]
    assert "Thank you" not in reply["body"]
    message = db.session.scalars(sa.select(InboundMessage)).one()
    assert message.in_inbox
    login_as("admin", school=roster["school"])
    page = portal.get("/inbox/").get_data(as_text=True)
    assert "Looks like a request to stop the messages" in page
    assert "Opt this guardian out" in page
    portal.post(f"/inbox/{message.id}/opt-out")
    assert reload(db, one).opted_out_at is not None
    assert "Opted out." in portal.get("/inbox/").get_data(as_text=True)
    from portal.models import AuditLog

    entry = db.session.scalars(sa.select(AuditLog)).one()
    assert (entry.action, entry.actor, entry.target_id) == ("guardian.opt_out", "user", one.id)


def test_an_ordinary_reply_is_thanked_and_not_flagged(db, roster, phones, say, login_as, portal):
    one = roster["guardians"]["one"]
    say(roster["school"], one.phone, "Thank you, we will bring the forms on Sunday.")
    [reply] = phones.to(one.phone)
    assert "Thank you" in reply["body"]
    login_as("admin", school=roster["school"])
    assert "Looks like a request to stop" not in portal.get("/inbox/").get_data(as_text=True)


@pytest.mark.parametrize("arrival", ["in order", "newest first"])
def test_the_latest_keyword_the_parent_sent_wins_whatever_order_they_arrive(
    db, roster, phones, say, arrival
):
    one, school = roster["guardians"]["one"], roster["school"]
    start_at = clock.now() - timedelta(minutes=5)
    stop_at = clock.now() - timedelta(minutes=1)  # sent after START
    sends = [("START", start_at), ("STOP", stop_at)]
    for text, at in sends if arrival == "in order" else reversed(sends):
        say(school, one.phone, text, at=at)
    assert reload(db, one).opted_out_at is not None
    assert reload(db, one).subscription_changed_at == stop_at.replace(microsecond=0)
    # the other way round: the newer START wins over a late, older STOP
    two = roster["guardians"]["both"]
    sends = [("STOP", start_at), ("START", stop_at)]
    for text, at in sends if arrival == "in order" else reversed(sends):
        say(school, two.phone, text, at=at)
    assert reload(db, two).opted_out_at is None


def test_a_late_older_language_choice_does_not_undo_a_newer_one(db, roster, phones, say):
    one, school = roster["guardians"]["one"], roster["school"]
    say(school, one.phone, "NEPALI", at=clock.now() - timedelta(minutes=1))
    say(school, one.phone, "ENGLISH", at=clock.now() - timedelta(minutes=9))  # older, late
    assert reload(db, one).language == "ne"
    assert len(phones.to(one.phone)) == 1  # the superseded one is not confirmed
