"""A broadcast's deliveries as a spreadsheet: one row per guardian, with their children and
classes, the status and its reason in the reader's language, and each time in Nepal time
(ISO 8601, +05:45). Rows are read in batches, so a broadcast to thousands streams."""

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import Broadcast, Delivery, Guardian
from portal.services.broadcasting.tracking import children_of, delivery_rows
from portal.services.common.dates import NEPAL
from portal.services.delivery import reasons

BATCH = 500
HEADER = (
    _l("Guardian"),
    _l("Phone or WhatsApp user ID"),
    _l("Language"),
    _l("Children and classes"),
    _l("Status"),
    _l("Seen"),
    _l("Sent"),
    _l("Delivered"),
    _l("Read"),
    _l("Seen at"),
    _l("Failed"),
    _l("Reason"),
)
LANGUAGES = {"ne": _l("Nepali"), "en": _l("English"), "both": _l("Nepali and English")}


def filename(broadcast: Broadcast) -> str:
    return f"broadcast-{broadcast.id}-deliveries.csv"


def rows(broadcast: Broadcast) -> Iterator[list]:
    """Every delivery of the broadcast, by guardian name, as the CSV's cells."""
    locale = reasons.reader_locale()
    query = delivery_rows(broadcast_id=broadcast.id)
    last_id = None
    while True:
        page = query
        if last_id is not None:  # keyset pages: (name, id) after the previous page's last
            page = query.where(sa.tuple_(Guardian.name, Delivery.id) > sa.tuple_(*last_id))
        batch = db.session.scalars(page.limit(BATCH)).all()
        if not batch:
            return
        children = children_of(batch)
        for delivery in batch:
            yield _row(delivery, children, locale)
        last_id = (batch[-1].guardian.name, batch[-1].id)


def _row(delivery: Delivery, children: dict, locale: str) -> list:
    guardian = delivery.guardian
    named = [children[sid] for sid in delivery.student_ids or () if sid in children]
    return [
        guardian.name,
        guardian.phone or guardian.user_id or "",
        LANGUAGES.get(guardian.language, guardian.language),
        "; ".join(f"{s.display_name(locale)} ({_class(s, locale)})" for s in named),
        reasons.STATUS_LABELS.get(delivery.status, delivery.status),
        _l("yes") if delivery.acknowledged_at else "",
        _iso(delivery.accepted_at or delivery.sent_at),
        _iso(delivery.delivered_at),
        _iso(delivery.read_at),
        _iso(delivery.acknowledged_at),
        _iso(delivery.failed_at),
        reasons.delivery_reason(delivery) or "",
    ]


def _class(student, locale: str) -> str:
    school_class = student.school_class
    return school_class.name_ne if locale == "ne" else school_class.name


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(NEPAL).isoformat(timespec="seconds") if moment else ""
