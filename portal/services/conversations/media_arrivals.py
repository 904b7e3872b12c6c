"""A photo or document someone sent to a school's number, downloaded (`media/downloads`) and
kept with their message: a teacher's becomes a notice (`teacher_media`), a parent's is shown
in the inbox. A refused file is recorded with its reason; nothing of it is kept."""

from datetime import timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.models import InboundMessage, School
from portal.services.common import clock
from portal.services.conversations import teacher_media
from portal.services.delivery import transport
from portal.services.delivery.sending import access_token
from portal.services.media import downloads
from portal.services.media.refusals import MediaRefused
from portal.whatsapp.errors import GraphError, TransportError


def take(message_id: int, *, last_try: bool = True) -> str:
    """Fetch and keep one message's file, then act on it; what happened. A failure to reach
    Meta is raised for another try, or on the last try refused as a failed download."""
    message = db.session.get(InboundMessage, message_id)
    if message is None or message.media_file_id is not None or message.media_error:
        return "done"
    school = db.session.get(School, message.school_id)
    try:
        media = downloads.fetch(
            school=school,
            kind=message.type,
            ref=message.media_ref or {},
            transport=transport.current_transport(),
            token=access_token(school),
            source=message.route or "unknown",
        )
    except MediaRefused as exc:
        return _refused(message, school, exc)
    except (GraphError, TransportError):
        if not last_try:
            raise
        return _refused(message, school, MediaRefused("download_failed"))
    if message.route == "teacher" and message.teacher is not None:
        teacher_media.downloaded(
            message.id, teacher=message.teacher, school=school, media_file_id=media.id
        )
    else:
        message.media_file_id = media.id
    return "kept"


def lost_ids(*, older_than=timedelta(minutes=5), kept=timedelta(days=6), limit=50) -> list[int]:
    """Files still neither kept nor refused well after they came (the task that fetches them
    was lost: a queue emptied, a worker gone); Meta keeps an inbound file about a week."""
    now = clock.now()
    return list(
        db.session.scalars(
            sa.select(InboundMessage.id)
            .where(
                InboundMessage.type.in_(teacher_media.MEDIA),
                InboundMessage.media_ref.is_not(None),
                InboundMessage.media_file_id.is_(None),
                InboundMessage.media_error.is_(None),
                InboundMessage.route.in_(("teacher", "guardian")),
                InboundMessage.received_at < now - older_than,
                InboundMessage.received_at > now - kept,
            )
            .order_by(InboundMessage.id)
            .limit(limit)
        )
    )


def _refused(message: InboundMessage, school: School, error: MediaRefused) -> str:
    if message.route == "teacher" and message.teacher is not None:
        teacher_media.refused(message.id, teacher=message.teacher, school=school, error=error)
    else:
        message.media_error = error.code
    return "refused"
