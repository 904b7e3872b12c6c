"""Statuses applied together end exactly where the same statuses one after another would:
forward only, duplicates kept once, failures in their place, early statuses kept for later."""

import pytest
import sqlalchemy as sa

from portal.extensions import db as _db
from portal.models import Delivery, StatusEvent
from portal.services.delivery import status_batches, statuses
from portal.tasks.delivery import start_broadcast
from portal.whatsapp import payloads
from tests.fakes.status_webhooks import status_item, webhook_body
from tests.helpers import make_broadcast

COMPARED = (
    "status",
    "wamid",
    "sent_at",
    "delivered_at",
    "read_at",
    "failed_at",
    "error_code",
    "pricing_type",
    "pricing_category",
    "billable",
    "lease_until",
)
T = 1_764_000_000  # the statuses' times, a second apart


@pytest.fixture
def sent(db, roster, recorder, frozen_clock):
    """Three messages Meta accepted (wamids stored), as the broadcast's senders leave them."""
    start_broadcast.call_local(make_broadcast(roster["school"], ["5A"]).id)
    rows = db.session.scalars(sa.select(Delivery).order_by(Delivery.id)).all()
    assert len(rows) == 3 and all(d.status == "accepted" and d.wamid for d in rows)
    return rows


def updates(school, steps) -> list:
    """StatusUpdates as Meta's payload parses: (delivery, status, second[, error code]);
    a delivery given as a string is a wamid nothing is stored for."""
    items = []
    for delivery, name, second, *code in steps:
        record = (
            {"wamid": delivery, "recipient": "9779840000000"}
            if isinstance(delivery, str)
            else {
                "wamid": delivery.wamid or f"wamid.late.{delivery.id}",
                "recipient": "9779840000000",
                "callback_data": statuses.callback_data(delivery.id),
            }
        )
        items.append(status_item(record, name, T + second, *code))
    body = webhook_body(school.phone_number_id, items)
    return [(school.id, item) for item in payloads.parse(body)]


def state(deliveries) -> tuple:
    """What a person could see of the deliveries and the statuses kept for them."""
    _db.session.expire_all()
    rows = [
        tuple(getattr(_db.session.get(Delivery, d.id), name) for name in COMPARED)
        + (_db.session.get(Delivery, d.id).next_attempt_at is not None,)
        for d in deliveries
    ]
    kept = _db.session.execute(
        sa.select(StatusEvent.wamid, StatusEvent.status, StatusEvent.delivery_id)
        .add_columns(StatusEvent.applied_at.is_not(None), StatusEvent.occurred_at)
        .add_columns(StatusEvent.pricing, StatusEvent.error_code, StatusEvent.error_title)
        .add_columns(StatusEvent.callback_data, StatusEvent.school_id)
        .order_by(StatusEvent.wamid, StatusEvent.status)
    ).all()
    return rows, [tuple(row) for row in kept]


def both_ways(deliveries, items) -> tuple:
    """The items one by one (`statuses.take`), then, from the same start, all together
    (`status_batches.take_all`): the answers and the state each left."""
    table = Delivery.__table__
    start = _db.session.execute(sa.select(table).where(table.c.id.in_([d.id for d in deliveries])))
    start = [dict(row._mapping) for row in start]
    one_by_one = [statuses.take(school_id=s, update=u) for s, u in items]
    after_one_by_one = state(deliveries)
    _db.session.execute(sa.delete(StatusEvent))
    for row in start:
        _db.session.execute(sa.update(table).where(table.c.id == row["id"]).values(**row))
    together = status_batches.take_all(items)
    return (one_by_one, after_one_by_one), (together, state(deliveries))


SEQUENCES = {
    "every order, with duplicates": lambda d: [
        (d[0], "read", 3),
        (d[0], "sent", 1),
        (d[0], "delivered", 2),
        (d[1], "delivered", 2),
        (d[1], "delivered", 2),
        (d[1], "sent", 1),
        (d[2], "sent", 1),
        (d[0], "read", 3),
    ],
    "a failure among them": lambda d: [
        (d[0], "sent", 1),
        (d[0], "failed", 2, 131026),
        (d[0], "delivered", 3),
        (d[1], "failed", 1, 131000),
        (d[1], "sent", 2),
        (d[2], "delivered", 1),
        (d[2], "failed", 2, 131026),
    ],
    "the furthest first, the price from one behind it": lambda d: [
        (d[0], "read", 5),
        (d[0], "delivered", 4),
        (d[1], "read", 3),
        (d[2], "sent", 1),
        (d[2], "sent", 2),
    ],
    "an unknown wamid and a status for it twice": lambda d: [
        ("wamid.nobody", "sent", 1),
        (d[1], "read", 2),
        ("wamid.nobody", "sent", 1),
        ("wamid.nobody", "delivered", 2),
    ],
}


@pytest.mark.parametrize("sequence", SEQUENCES, ids=list(SEQUENCES))
def test_together_ends_where_one_by_one_does(db, roster, sent, sequence):
    items = updates(roster["school"], SEQUENCES[sequence](sent))
    one_by_one, together = both_ways(sent, items)
    assert together == one_by_one


def test_statuses_only_move_a_delivery_forward_and_keep_every_time(db, roster, sent):
    items = updates(roster["school"], [(sent[0], "read", 3), (sent[0], "sent", 1)])
    assert status_batches.take_all(items) == [True, True]
    delivery = state(sent)[0][0]
    assert delivery[0] == "read" and delivery[2] is not None and delivery[4] is not None
    again = updates(roster["school"], [(sent[0], "delivered", 2), (sent[0], "sent", 1)])
    assert status_batches.take_all(again) == [True, False]  # sent was kept before
    assert state(sent)[0][0][0] == "read" and state(sent)[0][0][3] is not None


def test_a_status_before_its_wamid_is_kept_and_applied_when_the_wamid_is_stored(db, roster, sent):
    items = updates(roster["school"], [("wamid.early", "delivered", 2)])
    assert status_batches.take_all(items) == [True]
    kept = db.session.scalars(sa.select(StatusEvent)).one()
    assert kept.delivery_id is None and kept.applied_at is None
    db.session.execute(
        sa.update(Delivery).where(Delivery.id == sent[2].id).values(wamid="wamid.early")
    )
    assert statuses.apply_pending("wamid.early") == 1
    assert state(sent)[0][2][0] == "delivered"


def test_a_delivery_without_wamid_takes_the_first_that_names_it_only(db, roster, sent):
    """The callback data names the delivery; only the first wamid to do so is believed, as
    one after another (the second finds the first stored)."""
    db.session.execute(sa.update(Delivery).where(Delivery.id == sent[1].id).values(wamid=None))
    first = {"wamid": "wamid.first", "callback_data": statuses.callback_data(sent[1].id)}
    other = first | {"wamid": "wamid.other"}
    body = webhook_body(
        roster["school"].phone_number_id,
        [
            status_item(first | {"recipient": "977"}, "sent", T + 1),
            status_item(other | {"recipient": "977"}, "read", T + 2),
        ],
    )
    items = [(roster["school"].id, item) for item in payloads.parse(body)]
    one_by_one, together = both_ways(sent, items)
    assert together == one_by_one
    assert state(sent)[0][1][:2] == ("sent", "wamid.first")


def test_a_wamid_stored_between_the_two_lookups_is_still_applied(db, roster, sent, monkeypatch):
    """Looked for by wamid a moment before its sender stored it, found by its callback
    data with that wamid: applied, not left waiting for a sender who has already looked."""
    monkeypatch.setattr(status_batches, "BY_WAMIDS", status_batches.BY_WAMIDS.where(sa.false()))
    items = updates(roster["school"], [(sent[0], "delivered", 2)])
    assert status_batches.take_all(items) == [True]
    assert state(sent)[0][0][0] == "delivered"
    assert db.session.scalars(sa.select(StatusEvent.applied_at)).one() is not None
