"""A parent gets every word the teacher wrote: a notice too long for one message goes as
numbered parts, in order, each within Meta's limits, with the engine's guarantees."""

import re

import pytest
import sqlalchemy as sa

from portal.models import Delivery, DeliveryStatus
from portal.services.common import clock
from portal.services.delivery import parts
from portal.services.wording import long_messages, template_texts
from portal.tasks.delivery import start_broadcast
from portal.tasks.sweeper import sweep
from portal.whatsapp.outgoing import MAX_TEXT_LENGTH
from tests.fakes.recording import graph_error
from tests.helpers import make_broadcast, run_senders

SENTENCES = [
    f"Sentence {i} of the long notice tells parents something they need to know."
    for i in range(1, 40)
]  # close to 3,000 characters, the most a notice may have


def long_notice(paragraph_every: int = 6) -> str:
    paragraphs = [
        " ".join(SENTENCES[i : i + paragraph_every])
        for i in range(0, len(SENTENCES), paragraph_every)
    ]
    return "\n\n".join(paragraphs)


@pytest.fixture(autouse=True)
def no_pair_gap(monkeypatch):
    """The parts of one message follow each other within seconds here."""
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)


def words(text: str) -> list[str]:
    return re.findall(r"Sentence \d+", text)


def send_all(broadcast_id) -> None:
    """Start the broadcast and run the senders until every released part has gone."""
    start_broadcast.call_local(broadcast_id)
    for _ in range(60):
        if not run_senders():
            break


def template_text(message: dict) -> str:
    return message["params"]["message"]


@pytest.mark.parametrize("limit", [50, 300, 1000])
def test_splitting_keeps_every_word_in_order_and_each_part_within_the_limit(limit):
    text = long_notice()
    split = long_messages.split(text, limit)
    assert all(len(part) <= limit for part in split)
    assert words(" ".join(split)) == words(text)
    assert " ".join(" ".join(split).split()) == " ".join(text.split())


def test_splitting_prefers_paragraphs_then_sentences():
    text = long_notice()
    by_paragraph = long_messages.split(text, 1000)
    assert all(part.endswith("know.") for part in by_paragraph)
    assert all(part.startswith("Sentence") for part in by_paragraph)
    one_long_paragraph = " ".join(SENTENCES)
    by_sentence = long_messages.split(one_long_paragraph, 400)
    assert all(part.endswith("know.") for part in by_sentence)


def test_a_3000_character_notice_reaches_a_parent_outside_the_window_whole_and_in_order(
    db, roster, recorder
):
    text = long_notice()
    assert 2800 < len(text) <= 3000
    broadcast = make_broadcast(roster["school"], ["5A"], body_en=text, body_ne=None)
    send_all(broadcast.id)
    sent = recorder.to(roster["guardians"]["one"].phone)  # English, outside the window
    assert len(sent) >= 4 and all(m["kind"] == "template" for m in sent)
    first, *continued = sent
    assert first["name"] == "sandesh_notice"
    assert all(m["name"] == "sandesh_continued" for m in continued)
    total = len(sent)
    assert template_text(first).startswith(f"(1/{total}) ")
    assert [m["params"]["part"] for m in continued] == [
        f"({i}/{total})" for i in range(2, total + 1)
    ]
    received = " ".join(template_text(m) for m in sent)
    assert words(received) == words(text)  # every word, in order
    for message in sent:  # each within Meta's 1,024 characters for a whole template body
        purpose = "notice" if message["name"] == "sandesh_notice" else "continued"
        body = template_texts.BODIES[(purpose, "en")]
        for name, value in message["params"].items():
            body = body.replace("{{" + name + "}}", value)
        assert "{{" not in body and len(body) <= long_messages.TEMPLATE_BODY_LIMIT
    # one delivery per guardian still: the parts are not counted as more parents
    from portal.services.broadcasting import delivery_counts

    assert delivery_counts.of_broadcast(broadcast.id)["total"] == 3


def test_inside_the_window_a_long_message_goes_as_numbered_texts(db, roster, recorder):
    triple = roster["guardians"]["triple"]  # reads both languages: both versions, 6,000+
    triple.last_inbound_at = clock.now()
    db.session.commit()
    nepali = "\n\n".join(f"अनुच्छेद {i}: " + "भोलि विद्यालय बन्द रहनेछ। " * 12 for i in range(9))
    broadcast = make_broadcast(roster["school"], ["5B"], body_en=long_notice(), body_ne=nepali)
    send_all(broadcast.id)
    sent = recorder.to(triple.phone)
    assert len(sent) == 2 and all(m["kind"] == "text" for m in sent)
    assert sent[0]["body"].startswith("(१/२)\n") and sent[1]["body"].startswith("(२/२)\n")
    assert all(len(m["body"]) <= MAX_TEXT_LENGTH for m in sent)
    joined = "".join(m["body"] for m in sent)
    assert words(joined) == words(long_notice()) and joined.count("अनुच्छेद") == 9


def test_the_cheaper_form_sends_the_opening_and_the_rest_when_the_parent_replies_more(
    db, roster, recorder, client
):
    from tests.services.conversations.conftest import inbound_body
    from tests.webhook.test_webhooks import post

    school = roster["school"]
    school.long_notice_form = "more"
    db.session.commit()
    text = long_notice()
    broadcast = make_broadcast(school, ["5A"], body_en=text, body_ne=None)
    send_all(broadcast.id)
    one = roster["guardians"]["one"]
    (opening,) = recorder.to(one.phone)
    assert opening["kind"] == "template" and "(Reply MORE to read the rest.)" in template_text(
        opening
    )
    assert post(client, inbound_body(school, one.phone, "MORE")).status_code == 200
    run_senders()
    rest = recorder.to(one.phone)[1:]
    assert rest and all(m["kind"] == "text" for m in rest)
    assert words(" ".join(m["body"] for m in rest)) == words(text)  # the whole notice again
    from portal.models import InboundMessage

    assert not db.session.scalars(sa.select(InboundMessage)).one().in_inbox


def test_a_crash_between_two_parts_loses_nothing_and_sends_nothing_twice(
    db, roster, recorder, monkeypatch
):
    monkeypatch.setattr(parts, "release_after", lambda delivery: 0)  # the worker dies there
    broadcast = make_broadcast(roster["school"], ["5A"], body_en=long_notice(), body_ne=None)
    send_all(broadcast.id)
    one = roster["guardians"]["one"]
    assert len(recorder.to(one.phone)) == 1
    monkeypatch.undo()
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)
    for _ in range(10):  # the sweeper, minute after minute
        sweep.call_local()
        run_senders()
    sent = recorder.to(one.phone)
    total = int(re.match(r"\(1/(\d+)\)", template_text(sent[0])).group(1))
    assert len(sent) == total  # every part, once
    assert words(" ".join(template_text(m) for m in sent)) == words(long_notice())


def test_a_first_part_that_fails_ends_the_parts_after_it(db, roster, recorder):
    one = roster["guardians"]["one"]
    recorder.fail(one.phone, graph_error(131026))  # not on WhatsApp
    broadcast = make_broadcast(roster["school"], ["5A"], body_en=long_notice(), body_ne=None)
    send_all(broadcast.id)
    assert recorder.to(one.phone) == []
    rows = db.session.scalars(sa.select(Delivery).where(Delivery.to_phone == one.phone)).all()
    assert rows and all(r.status == DeliveryStatus.FAILED for r in rows)


def test_a_text_first_part_outside_the_window_after_all_is_planned_again_as_templates(
    db, roster, recorder
):
    triple = roster["guardians"]["triple"]
    triple.last_inbound_at = clock.now()
    db.session.commit()
    nepali = "\n\n".join("भोलि विद्यालय बन्द रहनेछ। " * 20 for _ in range(5))
    recorder.fail(triple.phone, graph_error(131047))  # Meta: the window has closed
    broadcast = make_broadcast(roster["school"], ["5B"], body_en=long_notice(), body_ne=nepali)
    send_all(broadcast.id)
    sent = recorder.to(triple.phone)
    assert sent and all(m["kind"] == "template" for m in sent)
    cancelled = db.session.scalars(
        sa.select(Delivery).where(Delivery.error_reason == "written again")
    ).all()
    assert cancelled  # the text parts written first were not sent


def test_the_compose_page_says_how_many_messages_a_parent_gets(db, roster, login_as, portal):
    login_as("admin", school=roster["school"], language="en")
    page = portal.post(
        "/broadcasts/new",
        {
            "targets": ["5A"],
            "kind": "notice",
            "body_en": long_notice(),
            "action": "preview",
        },
    ).get_data(as_text=True)
    parts = re.search(r"Long message: it reaches parents in (\d+) parts \(1 if they wrote", page)
    assert parts and int(parts.group(1)) >= 4
