"""What each message cost: the `pricing` a status carries is kept on its delivery (Meta puts
it on one status of a message), the broadcast page shows messages by category, free or
charged, at the school's prices, and the preview estimates the cost before YES."""

import copy
import html
import json
from decimal import Decimal

import sqlalchemy as sa

from portal.models import Delivery, StatusEvent
from portal.services.broadcasting import preview, tracking
from portal.services.common import clock
from portal.whatsapp.signature import sign
from tests.helpers import FIXTURES, make_broadcast, start


def status_from(name: str, school, delivery: Delivery) -> bytes:
    """Meta's status example, for this delivery's message."""
    doc = copy.deepcopy(json.loads((FIXTURES / "whatsapp" / name).read_text(encoding="utf-8")))
    value = doc["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = school.phone_number_id
    value["statuses"][0]["id"] = delivery.wamid
    value["statuses"][0]["timestamp"] = str(int(clock.now().timestamp()))
    return json.dumps(doc, separators=(",", ":")).encode()


def post(client, body: bytes):
    headers = {
        "X-Hub-Signature-256": sign(body, "test-app-secret"),
        "Content-Type": "application/json",
    }
    assert client.post("/webhooks/whatsapp", data=body, headers=headers).status_code == 200


def test_pricing_is_kept_from_a_status_and_the_broadcast_page_shows_it(
    db, roster, recorder, client, portal, login_as
):
    school = roster["school"]
    school.prices = {"utility": "1.25", "service": "0"}
    g = roster["guardians"]
    g["one"].last_inbound_at = clock.now()  # inside the window: free customer service
    db.session.commit()
    broadcast = make_broadcast(school, ["5A"])
    start(broadcast)
    rows = db.session.scalars(
        sa.select(Delivery).where(Delivery.broadcast_id == broadcast.id)
    ).all()
    inside = next(d for d in rows if d.guardian_id == g["one"].id)
    outside = [d for d in rows if d.guardian_id != g["one"].id]
    post(client, status_from("status_sent_free_customer_service.json", school, inside))
    for delivery in outside:
        post(client, status_from("status_delivered_utility_pmp.json", school, delivery))
    post(client, status_from("status_delivered_utility_pmp.json", school, outside[0]))  # again
    db.session.expire_all()
    assert (inside.pricing_category, inside.pricing_type, inside.billable) == (
        "service",
        "free_customer_service",
        False,
    )
    assert {(d.pricing_category, d.pricing_type, d.billable) for d in outside} == {
        ("utility", "regular", True)
    }
    assert db.session.scalar(
        sa.select(StatusEvent.pricing).where(StatusEvent.wamid == inside.wamid)
    )
    charges = tracking.charges(broadcast)
    assert [(c.category, c.free, c.count, c.cost) for c in charges] == [
        ("service", True, 1, Decimal(0)),
        ("utility", False, 2, Decimal("2.50")),
    ]
    login_as("staff", language="en", school=school)
    page = html.unescape(portal.get(f"/broadcasts/{broadcast.id}").get_data(as_text=True))
    assert "What WhatsApp charged" in page
    assert "NPR\u00a02.50" in page and "free" in page


def test_the_preview_estimates_the_cost_before_yes(db, roster):
    school = roster["school"]
    school.prices = {"utility": "0.95"}
    roster["guardians"]["one"].last_inbound_at = clock.now()
    db.session.commit()
    shown = preview.preview(make_broadcast(school, ["5A", "5B"]), school=school)
    assert shown.outside == 2 and shown.cost == Decimal("1.90")
    assert preview.cost_words(shown, "en") == "Estimated cost: NPR\u00a01.90 (2 template messages)."
    assert preview.cost_words(shown, "ne").startswith("अनुमानित खर्च")


def test_no_price_no_estimate(db, roster):
    school = roster["school"]
    shown = preview.preview(make_broadcast(school, ["5A"]), school=school)
    assert shown.cost is None and preview.cost_words(shown, "en") is None
