"""Steps many tests take: a broadcast made as the portal makes one, the senders run as a
consumer runs them; where the fixture files are."""

from pathlib import Path

from portal.extensions import db
from portal.models import Source
from portal.services.broadcasting import broadcasts
from portal.tasks.delivery import send_deliveries, start_broadcast

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def make_broadcast(
    school,
    targets,
    *,
    kind="notice",
    body_en="School is closed tomorrow.",
    body_ne="भोलि विद्यालय बन्द छ।",
    **kwargs,
):
    """A broadcast created and committed the way the portal and API create one."""
    broadcast = broadcasts.create_broadcast(
        school=school,
        kind=kind,
        targets_given=targets,
        body_en=body_en,
        body_ne=body_ne,
        source=Source.PORTAL,
        **kwargs,
    )
    db.session.commit()
    return broadcast


def run_senders(broadcast_id=None) -> int:
    """Send everything due now, as a consumer would."""
    return send_deliveries.call_local(broadcast_id)


def start(broadcast) -> None:
    """Start a due broadcast as the dispatcher would: fan it out and send what may go."""
    start_broadcast.call_local(broadcast.id)
