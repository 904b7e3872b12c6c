"""The sandbox transport: messages are kept for the portal, and statuses come back through
the same webhook path as Meta's."""

import sqlalchemy as sa

from portal.models import Delivery, SandboxMessage
from portal.services.delivery import replies
from portal.tasks.delivery import send_deliveries, start_broadcast
from portal.tasks.sandbox import sandbox_status
from tests.helpers import make_broadcast


def test_a_broadcast_is_kept_and_its_statuses_arrive_as_webhooks(db, roster):
    broadcast = make_broadcast(roster["school"], ["5A"])
    start_broadcast.call_local(broadcast.id)
    kept = db.session.scalars(sa.select(SandboxMessage)).all()
    assert len(kept) == 3 and all(m.direction == "out" and m.wamid for m in kept)
    delivery = db.session.scalars(sa.select(Delivery)).first()
    for status in ("sent", "delivered", "read"):
        sandbox_status.call_local(delivery.id, status)
    db.session.expire_all()
    assert db.session.get(Delivery, delivery.id).status == "read"


def test_a_direct_reply_gets_its_statuses_too(db, roster):
    teacher_phone = "+9779851111111"
    reply = replies.queue_reply(
        school_id=roster["school"].id,
        to_phone=teacher_phone,
        body="Sending #1 now.",
        purpose="teacher_reply",
    )
    db.session.commit()
    send_deliveries.call_local(None)
    kept = db.session.scalar(sa.select(SandboxMessage))
    assert kept.peer == teacher_phone.lstrip("+") and kept.body == "Sending #1 now."
    sandbox_status.call_local(reply.id, "delivered")
    db.session.expire_all()
    assert db.session.get(Delivery, reply.id).status == "delivered"
