"""Usernames: Meta's business-scoped user id (BSUID) is kept beside a guardian's or teacher's
number the first time both come; a message that carries only the id reaches the same
person; a new id or a new number (system messages) moves onto the same person, never a
second record; a stranger known only by an id gets the one polite reply a day."""

import copy
import json

import pytest
import sqlalchemy as sa

from portal.models import Broadcast, Guardian
from portal.whatsapp.signature import sign
from tests.factories import TeacherFactory
from tests.helpers import FIXTURES

BSUID = "NP.1502576394655843"  # the id in inbound_user_id_no_phone.json
NEW_BSUID = "NP.2602576394655844"


@pytest.fixture(autouse=True)
def no_pair_gap(monkeypatch):
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)


@pytest.fixture
def post(client):
    def send(doc: dict):
        body = json.dumps(doc, separators=(",", ":")).encode()
        headers = {
            "X-Hub-Signature-256": sign(body, "test-app-secret"),
            "Content-Type": "application/json",
        }
        assert client.post("/webhooks/whatsapp", data=body, headers=headers).status_code == 200

    return send


def meta_example(name: str, school) -> dict:
    """One of Meta's examples, addressed to this school's number."""
    doc = copy.deepcopy(json.loads((FIXTURES / "whatsapp" / name).read_text(encoding="utf-8")))
    doc["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = school.phone_number_id
    return doc


def guardians(db, school):
    db.session.expire_all()
    return db.session.scalars(sa.select(Guardian).where(Guardian.school_id == school.id)).all()


def test_the_id_is_kept_the_first_time_it_comes_with_a_number(db, roster, phones, say):
    one = roster["guardians"]["one"]
    say(roster["school"], one.phone, "Thank you", user_id=BSUID)
    db.session.expire_all()
    assert one.user_id == BSUID


def test_a_stop_carrying_only_the_id_stops_the_right_parent(db, roster, phones, post):
    one, other = roster["guardians"]["one"], roster["guardians"]["both"]
    one.user_id = BSUID
    db.session.commit()
    post(meta_example("inbound_user_id_no_phone.json", roster["school"]))  # Meta's: "STOP"
    db.session.expire_all()
    assert one.opted_out_at is not None and other.opted_out_at is None
    [reply] = phones.to(one.phone)
    assert "no longer receive messages" in reply["body"]
    assert len(guardians(db, roster["school"])) == 4  # nobody new


def test_a_yes_carrying_only_the_id_confirms_the_teachers_preview(db, roster, phones, say):
    teacher = TeacherFactory(
        school=roster["school"], language="en", classes=[roster["classes"]["5A"]]
    )
    say(roster["school"], teacher.phone, "5A: Picnic on Saturday.", user_id=BSUID)
    say(roster["school"], None, "YES", user_id=BSUID)  # the teacher adopted a username
    (draft,) = db.session.scalars(sa.select(Broadcast)).all()
    assert draft.status in ("sending", "completed")
    assert f"Sending #{draft.id} now" in phones.to(teacher.phone)[-1]["body"]


def test_a_new_user_id_moves_onto_the_same_parent(db, roster, phones, say, post):
    one = roster["guardians"]["one"]
    one.user_id = BSUID
    db.session.commit()
    post(meta_example("system_user_changed_user_id.json", roster["school"]))
    db.session.expire_all()
    assert one.user_id == NEW_BSUID
    say(roster["school"], None, "STOP", user_id=NEW_BSUID)
    db.session.expire_all()
    assert one.opted_out_at is not None
    assert len(guardians(db, roster["school"])) == 4


def test_a_new_number_moves_onto_the_same_parent(db, roster, phones, post):
    one = roster["guardians"]["one"]
    doc = meta_example("system_user_changed_number.json", roster["school"])
    message = doc["entry"][0]["changes"][0]["value"]["messages"][0]
    message["from"] = one.phone.lstrip("+")  # Meta's example, from this parent's number
    post(doc)
    db.session.expire_all()
    assert one.phone == "+12195555358" and one.wa_id == "12195555358"
    assert len(guardians(db, roster["school"])) == 4


def test_a_new_number_another_guardian_has_is_not_taken(db, roster, phones, post):
    one, both = roster["guardians"]["one"], roster["guardians"]["both"]
    doc = meta_example("system_user_changed_number.json", roster["school"])
    message = doc["entry"][0]["changes"][0]["value"]["messages"][0]
    message["from"], message["system"]["wa_id"] = one.phone.lstrip("+"), both.phone.lstrip("+")
    post(doc)
    db.session.expire_all()
    assert one.phone != both.phone


def test_a_stranger_known_only_by_an_id_gets_one_polite_reply_a_day(db, roster, phones, say):
    say(roster["school"], None, "Hello?", user_id="NP.9990001112223334")
    say(roster["school"], None, "Anyone?", user_id="NP.9990001112223334")
    sent = [m for m in phones.fake.messages() if m["recipient"] == "NP.9990001112223334"]
    assert len(sent) == 1 and "not registered" in sent[0]["body"]
    assert sent[0]["to"] == "NP.9990001112223334"  # sent with `recipient`, not `to`
    assert guardians(db, roster["school"]) and len(guardians(db, roster["school"])) == 4
