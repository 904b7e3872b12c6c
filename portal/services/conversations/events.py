"""Webhook events: stored raw before Meta gets its 200, then processed item by item.

Every effect is idempotent (unique wamids, forward-only statuses), so an event processed twice
(Meta's retries, the sweeper after a crash) changes nothing the second time.
"""

import contextlib
import dataclasses
import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.lexicon.text import fitted
from portal.models import EventStatus, Guardian, InboundMessage, School, WebhookEvent
from portal.services.common import clock, dialects
from portal.services.conversations import routing
from portal.services.delivery import status_batches, statuses
from portal.services.waba import account_events
from portal.whatsapp import payloads

log = logging.getLogger(__name__)
SANDBOX_PREFIX = "sandbox-"


def store(body: bytes, *, source: str = "meta", connection: sa.Connection | None = None) -> int:
    """Keep the raw body exactly as received; its id. In the session (the caller commits
    before the 200), or on the caller's `connection` through one prepared statement: in
    autocommit, one round trip that is its own commit (`webhook.storing`)."""
    if connection is not None:
        return _store_on(connection, {"body": body, "source": source, "received_at": clock.now()})
    statement = (
        sa.insert(WebhookEvent)
        .values(
            body=body,
            source=source,
            status=EventStatus.PENDING,
            attempts=0,
            received_at=clock.now(),
        )
        .returning(WebhookEvent.id)
    )
    return db.session.execute(statement).scalar_one()


PREPARED_STORE = "sandesh_store_webhook_event"
_STORE = (
    "INSERT INTO webhook_events (body, source, status, attempts, received_at)"
    " VALUES ({}, {}, 'pending', 0, {}) RETURNING id"
)


def _store_on(connection: sa.Connection, params: dict) -> int:
    """Straight on the driver's cursor: for one small row, a result object costs more."""
    statement = _stored_by(connection)
    dbapi_error = connection.dialect.loaded_dbapi.Error
    try:
        with contextlib.closing(connection.connection.cursor()) as cursor:
            cursor.execute(statement, params)
            return cursor.fetchone()[0]
    except dbapi_error as error:
        raise sa.exc.DBAPIError.instance(
            statement, params, error, dbapi_error, hide_parameters=True
        ) from error


def _stored_by(connection: sa.Connection) -> str:
    """EXECUTE of the INSERT PostgreSQL planned once for this connection (prepared when it
    is new to it, remembered as long as the DBAPI connection lives); the plain INSERT
    when prepared statements are off (a pooler in transaction mode)."""
    if not current_app.config["DATABASE_PREPARED_STATEMENTS"]:
        return _STORE.format("%(body)s", "%(source)s", "%(received_at)s")
    if PREPARED_STORE not in connection.info:
        prepare = _STORE.format("$1", "$2", "$3")
        connection.exec_driver_sql(
            f"PREPARE {PREPARED_STORE} (bytea, text, timestamptz) AS {prepare}"
        )
        connection.info[PREPARED_STORE] = True
    return f"EXECUTE {PREPARED_STORE}(%(body)s, %(source)s, %(received_at)s)"


def lease() -> timedelta:
    """How long a worker holds an event: shorter than a delivery's lease and grace together,
    so a dead worker's statuses are applied before its deliveries can be sent again."""
    return timedelta(seconds=current_app.config["WEBHOOK_LEASE_SECONDS"])


def claim(event_id: int) -> list | None:
    """Take an event for processing (pending, or held by a worker whose lease ran out): its
    items, read from its raw bytes, or None when it is done or held. The claimed row stays
    locked until the caller commits, so a second worker waits and then finds it done."""
    now = clock.now()
    _events = WebhookEvent.__table__
    body = db.session.execute(
        sa.update(_events)
        .where(
            _events.c.id == event_id,
            sa.or_(
                sa.and_(
                    _events.c.status == EventStatus.PENDING,
                    sa.or_(_events.c.retry_at.is_(None), _events.c.retry_at <= now),
                ),
                sa.and_(_events.c.status == EventStatus.PROCESSING, _events.c.lease_until < now),
            ),
        )
        .values(
            status=EventStatus.PROCESSING,
            lease_until=now + lease(),
            attempts=_events.c.attempts + 1,
        )
        .returning(_events.c.body)
    ).scalar()
    return None if body is None else list(payloads.parse(body))


class SchoolFinder:
    """Which school a business number belongs to, asked once per number per event."""

    def __init__(self):
        self._cache: dict[str, int | None] = {}

    def __call__(self, phone_number_id: str) -> int | None:
        if phone_number_id not in self._cache:
            query = sa.select(School.id).where(School.phone_number_id == phone_number_id)
            if phone_number_id.startswith(SANDBOX_PREFIX):
                slug = phone_number_id[len(SANDBOX_PREFIX) :]
                query = sa.select(School.id).where(
                    sa.or_(School.phone_number_id == phone_number_id, School.slug == slug)
                )
            self._cache[phone_number_id] = db.session.scalar(query)
        return self._cache[phone_number_id]


def handle(item, *, find_school: SchoolFinder) -> str:
    """Apply one item of an event; what it was (for counting)."""
    if isinstance(item, payloads.StatusUpdate):
        taken = statuses.take(school_id=find_school(item.phone_number_id), update=item)
        return "status" if taken else "duplicate"
    if isinstance(item, payloads.InboundMessage):
        store_inbound(item, school_id=find_school(item.phone_number_id))
        return act_once(item.wamid)
    if isinstance(item, payloads.OtherChange):
        kind = account_events.apply(field=item.field, account_id=item.account_id, value=item.raw)
        if kind != "ignored":
            return kind
    log.warning("webhook item not acted on: %s", _described(item))
    return "ignored"


def handle_all(items: list, *, find_school: SchoolFinder) -> list[str]:
    """Apply items in order, as `handle` would one by one, each run of statuses together
    (a batch of a hundred is a few statements, not a few hundred); what each was."""
    kinds, run = [], []
    for item in items:
        if isinstance(item, payloads.StatusUpdate):
            run.append((find_school(item.phone_number_id), item))
            continue
        kinds += _take_statuses(run)
        run = []
        kinds.append(handle(item, find_school=find_school))
    return kinds + _take_statuses(run)


def _take_statuses(run: list) -> list[str]:
    return ["status" if new else "duplicate" for new in status_batches.take_all(run)]


def _described(item) -> str:
    """What an item was, for the log: its kind and where it came, never what a person wrote
    or their number."""
    where = getattr(item, "where", None) or getattr(item, "phone_number_id", "")
    return f"{type(item).__name__} {where} {getattr(item, 'why', '')}".strip()


def act_once(wamid: str) -> str:
    """Act on a stored message unless someone already has (Meta's retries, the sweeper)."""
    message = db.session.scalar(sa.select(InboundMessage).where(InboundMessage.wamid == wamid))
    if message is None or message.processed_at is not None or not routing.claim(message.id):
        return "duplicate"
    routing.act(message)
    return "message"


def store_inbound(message, *, school_id: int | None) -> bool:
    """Keep an inbound message once (unique wamid); a guardian who wrote opens their window."""
    values = {
        "school_id": school_id,
        "wamid": message.wamid,
        "text": message.text,
        **_fitted(message),
        "media_ref": message.media,
        "button_id": fitted(message.button_id, 256),
        "system": dataclasses.asdict(message.system) if message.system else None,
        "sent_at": message.timestamp,
        "received_at": clock.now(),
    }
    statement = (
        dialects.insert(InboundMessage)
        .values(values)
        .on_conflict_do_nothing(index_elements=["wamid"])
    )
    if db.session.execute(statement).rowcount != 1:
        return False
    if school_id is not None and (message.sender or message.user_id) and not message.system:
        _open_window(school_id, message.sender, message.user_id, message.timestamp)
    return True


# Every short field of an inbound message, with its column's length: a longer value (no real
# phone or id is that long) is kept cut to fit, never a database error that drops the message.
FITTED = {
    "phone_number_id": 64,
    "sender": 32,
    "wa_id": 64,
    "user_id": 128,
    "profile_name": 200,
    "type": 32,
    "context_wamid": 128,
}


def _fitted(message) -> dict:
    return {name: fitted(getattr(message, name), size) for name, size in FITTED.items()}


def _open_window(school_id: int, sender: str | None, user_id: str | None, at) -> None:
    """The guardian who wrote (by number, else by business-scoped user id) may get text."""
    who = Guardian.phone == "+" + sender.lstrip("+") if sender else Guardian.user_id == user_id
    db.session.execute(
        sa.update(Guardian)
        .where(
            Guardian.school_id == school_id,
            who,
            sa.or_(Guardian.last_inbound_at.is_(None), Guardian.last_inbound_at < at),
        )
        .values(last_inbound_at=at)
        .execution_options(synchronize_session=False)
    )


def claim_pending(*, limit: int) -> list[tuple[int, list]]:
    """Take up to `limit` pending events, oldest first, that no one holds or waits to try
    again, skipping any another worker has locked: (id, items) each. Locked as `claim`."""
    with index_scanned():
        claimed = db.session.execute(taking(limit)).all()
    return [(row.id, list(payloads.parse(row.body))) for row in sorted(claimed)]


def taking(limit: int) -> sa.Update:
    """The statement that takes the oldest pending events, leased from now: (id, body) each."""
    e = WebhookEvent.__table__
    return (
        sa.update(e)
        .where(e.c.id.in_(oldest_pending(limit).scalar_subquery()))
        .values(
            status=EventStatus.PROCESSING,
            lease_until=clock.now() + lease(),
            attempts=e.c.attempts + 1,
        )
        .returning(e.c.id, e.c.body)
    )


@contextlib.contextmanager
def index_scanned():
    """On PostgreSQL, the statements within read indexes in order, never by bitmap.

    Each event taken leaves its pending version in the queue index until vacuum. An index
    scan marks such an entry dead the first time it meets one and steps over it after; a
    bitmap scan, which the planner prefers for the few rows it expects, never marks them and
    visits every one again, so each take would cost more than the last. (Should a statement
    fail, the rollback that follows undoes the setting with the rest.)"""
    on_postgresql = dialects.on_postgresql()
    if on_postgresql:
        db.session.execute(sa.text("SET LOCAL enable_bitmapscan = off"))
    yield
    if on_postgresql:
        db.session.execute(sa.text("SET LOCAL enable_bitmapscan = on"))


def oldest_pending(limit: int) -> sa.Select:
    """The ids of up to `limit` pending events not waiting for a retry, oldest first, that
    no one has locked: read from their own index (`QUEUED`), whose terms these are."""
    e = WebhookEvent.__table__
    return (
        sa.select(e.c.id)
        .where(e.c.status == EventStatus.PENDING, e.c.retry_at.is_(None))
        .order_by(e.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def finish_all(event_ids: list[int]) -> None:
    """Mark events processed: every item applied."""
    db.session.execute(
        sa.update(WebhookEvent)
        .where(WebhookEvent.id.in_(event_ids))
        .values(
            status=EventStatus.PROCESSED,
            error=None,
            processed_at=clock.now(),
            lease_until=None,
            retry_at=None,
        )
        .execution_options(synchronize_session=False)
    )


def finish(event_id: int) -> None:
    """Mark an event processed: every item applied."""
    mark(event_id, status=EventStatus.PROCESSED, error=None, processed_at=clock.now())


def mark(event_id: int, **values) -> None:
    """Set an event's state (it is no longer held, nor waiting for a retry)."""
    db.session.execute(
        sa.update(WebhookEvent)
        .where(WebhookEvent.id == event_id)
        .values(lease_until=None, retry_at=None, **values)
        .execution_options(synchronize_session=False)
    )


def unprocessed_ids(*, older_than: timedelta = timedelta(seconds=30), limit=500) -> list[int]:
    """Events no worker holds: pending for a while (or past the time of their next try), or
    processing past their lease."""
    now = clock.now()
    query = (
        sa.select(WebhookEvent.id)
        .where(
            sa.or_(
                sa.and_(
                    WebhookEvent.status == EventStatus.PENDING,
                    WebhookEvent.retry_at.is_(None),
                    WebhookEvent.received_at < now - older_than,
                ),
                sa.and_(WebhookEvent.status == EventStatus.PENDING, WebhookEvent.retry_at <= now),
                sa.and_(
                    WebhookEvent.status == EventStatus.PROCESSING, WebhookEvent.lease_until < now
                ),
            )
        )
        .order_by(WebhookEvent.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))
