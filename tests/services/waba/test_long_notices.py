"""Long notices meet Meta's day one: a Nepali reader outside their window gets every part as
a template declared in English carrying the Nepali text (the notice's, then
`sandesh_continued_ne`), each whole body within Meta's 1,024 characters and each with the
Seen quick reply naming the counted (first) delivery; inside the window the last text part
carries the Seen button."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.lexicon.numerals import localize_digits
from portal.models import Delivery, Guardian
from portal.services.broadcasting import delivery_counts
from portal.services.common import clock
from portal.services.waba.template_sync import sync_templates
from portal.services.wording import long_messages, template_texts
from portal.tasks.delivery import start_broadcast
from tests.helpers import make_broadcast, run_senders
from tests.services.conversations.conftest import inbound_body
from tests.services.waba.test_templates import approve_all, school  # noqa: F401

SENTENCES = [f"वाक्य {i}: अभिभावकले थाहा पाउनुपर्ने कुरा यहाँ लेखिएको छ।" for i in range(1, 52)]
LONG_NE = "\n\n".join(" ".join(SENTENCES[i : i + 8]) for i in range(0, len(SENTENCES), 8))
LONG_EN = " ".join(f"Sentence {i} tells parents what they need to know." for i in range(1, 60))


@pytest.fixture(autouse=True)
def no_pair_gap(monkeypatch):
    """The parts of one message follow each other within seconds here."""
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)


@pytest.fixture
def approved(db, school, meta, graph, post_webhook):  # noqa: F811
    sync_templates(school=school, graph=graph)
    db.session.commit()
    approve_all(post_webhook, school)
    return school


def guardian(school, language: str) -> Guardian:  # noqa: F811
    return db.session.scalar(
        sa.select(Guardian).where(Guardian.school_id == school.id, Guardian.language == language)
    )


def send_all(broadcast) -> None:
    start_broadcast.call_local(broadcast.id)
    for _ in range(60):
        if not run_senders():
            break


def first_delivery(broadcast, parent) -> Delivery:
    return db.session.scalar(
        sa.select(Delivery).where(
            Delivery.broadcast_id == broadcast.id, Delivery.guardian_id == parent.id
        )
    )


def test_a_long_notice_reaches_a_nepali_reader_in_carried_parts_each_with_seen(
    approved, meta, post_webhook
):
    assert 2000 < len(LONG_NE) <= 3000
    broadcast = make_broadcast(approved, ["5A"], body_en=LONG_EN[:2900], body_ne=LONG_NE)
    send_all(broadcast)
    parent = guardian(approved, "ne")
    sent = meta.messages(to=parent.phone)
    assert len(sent) >= 3
    first, *rest = sent
    assert (first["template"], first["language"]) == ("sandesh_notice_ne", "en")
    assert {(m["template"], m["language"]) for m in rest} == {("sandesh_continued_ne", "en")}
    total = len(sent)
    carried = [m["params"]["message"] for m in sent]
    labels = [localize_digits(f"({n}/{total})", "ne") for n in range(1, total + 1)]
    assert carried[0].startswith("नमस्ते,") and labels[0] in carried[0]
    assert [re.search(r"\([०-९]+/[०-९]+\)", text)[0] for text in carried[1:]] == labels[1:]
    heard = " ".join(carried)
    assert re.findall(r"वाक्य \d+", heard) == [f"वाक्य {i}" for i in range(1, 52)]
    for text in carried:  # the carrier's whole body within Meta's 1,024 characters
        body = template_texts.CARRIER_BODY.replace("{{message}}", text)
        assert "\n" not in text and len(body) <= long_messages.TEMPLATE_BODY_LIMIT
    counted = first_delivery(broadcast, parent)
    assert {tuple(m["quick_replies"]) for m in sent} == {(f"seen:{counted.id}",)}

    tap = inbound_body(approved, parent.phone, "बुझें", tap=("quick_reply", f"seen:{counted.id}"))
    post_webhook(tap)
    db.session.expire_all()
    assert db.session.get(Delivery, counted.id).acknowledged_at is not None
    assert delivery_counts.of_broadcast(broadcast.id)["acknowledged"] == 1
    assert len(meta.messages(to=parent.phone)) == total  # the tap is not answered


def test_inside_the_window_the_last_part_of_a_long_text_carries_seen(approved, meta, monkeypatch):
    # texts of at most 900 characters here (Meta's are 4,096), so a notice comes in parts
    monkeypatch.setattr(long_messages, "MAX_TEXT_LENGTH", 900)
    parent = guardian(approved, "en")
    parent.last_inbound_at = clock.now() - timedelta(hours=1)
    db.session.commit()
    broadcast = make_broadcast(approved, ["5A"], body_en=LONG_EN[:2900], body_ne=LONG_NE)
    send_all(broadcast)
    sent = meta.messages(to=parent.phone)
    counted = first_delivery(broadcast, parent)
    assert len(sent) >= 4
    *earlier, last = sent
    assert {m["type"] for m in earlier} == {"text"}
    assert last["type"] == "interactive" and last["body"].startswith(f"({len(sent)}/{len(sent)})")
    assert last["buttons"] == [{"id": f"seen:{counted.id}", "title": "Seen"}]
    assert delivery_counts.of_broadcast(broadcast.id)["total"] == 2  # one per guardian
