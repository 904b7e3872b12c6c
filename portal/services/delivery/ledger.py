"""The send ledger: a sender's per-message statements on a connection it holds, each committed
as it runs (the check just before a message goes, the wamid just after), planned once per
sender by PostgreSQL where it may (PREPARE / EXECUTE)."""

import contextlib
import re

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.models import Broadcast, BroadcastStatus, Delivery, DeliveryStatus, School, StatusEvent
from portal.services.common import clock

# The statements every message runs, built once so their SQL and cache keys are reused.
_deliveries, _broadcasts, _schools = Delivery.__table__, Broadcast.__table__, School.__table__
_events = StatusEvent.__table__


def _gate_columns(broadcast_id, school_id) -> list:
    """(broadcast status, school paused at): what may stop a message just before it goes."""
    return [
        sa.select(_broadcasts.c.status).where(_broadcasts.c.id == broadcast_id).scalar_subquery(),
        sa.select(_schools.c.sending_paused_at).where(_schools.c.id == school_id).scalar_subquery(),
    ]


GATE = sa.select(*_gate_columns(sa.bindparam("broadcast_id"), sa.bindparam("school_id")))


_stored = {
    "wamid": sa.bindparam("new_wamid"),
    "accepted_at": sa.bindparam("now", type_=_deliveries.c.accepted_at.type),
    "sent_as": sa.bindparam("how"),
    "language": sa.bindparam("lang"),
}


ACCEPT = (
    sa.update(_deliveries)
    .where(
        _deliveries.c.id == sa.bindparam("delivery_id"),
        _deliveries.c.status == DeliveryStatus.SENDING,
    )
    .values(
        status=DeliveryStatus.ACCEPTED,
        error_code=None,
        error_reason=None,
        lease_until=None,
        **_stored,
    )
    .returning(
        # Whether statuses came for this wamid before it was stored (rare) ...
        sa.exists().where(
            _events.c.wamid == sa.bindparam("new_wamid"), _events.c.applied_at.is_(None)
        ),
        # ... and the gate as it stands now, for the sender's next message.
        *_gate_columns(_deliveries.c.broadcast_id, _deliveries.c.school_id),
    )
)


ACCEPT_OVERTAKEN = (  # a status webhook (matched by callback data) already moved it on
    sa.update(_deliveries)
    .where(_deliveries.c.id == sa.bindparam("delivery_id"), _deliveries.c.wamid.is_(None))
    .values(**_stored)
)


class Ledger:
    """A sender's statements per message, on a connection it holds for its loop, each
    committed as it runs: the check just before a message goes and the wamid just after.
    Storing a wamid also reads the check again, so a sender going from one message to the
    next makes one round trip to the database per message, not a transaction and a pool
    checkout each.

    Everything else a send may change (deferrals, failures, alerts, early statuses) goes
    through the session, which the sender commits after each message."""

    def __init__(self, connection: sa.Connection):
        self.connection = connection
        self._fresh: tuple[int, tuple[bool, bool]] | None = None  # (broadcast id, gate)
        self._accept = prepared(connection, "sandesh_accept", ACCEPT)

    def gate(self, delivery: sa.Row) -> tuple[bool, bool]:
        """(broadcast cancelled, school paused) just before sending: as read when the
        previous message of the same broadcast was stored, else from the database now."""
        fresh, self._fresh = self._fresh, None
        if fresh is not None and fresh[0] == delivery.broadcast_id:
            return fresh[1]
        params = {"broadcast_id": delivery.broadcast_id, "school_id": delivery.school_id}
        return _gate_of(*self.connection.execute(GATE, params).one())

    def accepted(self, delivery: sa.Row, *, wamid: str, sent_as: str, language: str) -> bool:
        """Store the wamid Meta gave; whether statuses for it are waiting to be applied."""
        params = {"delivery_id": delivery.id, "new_wamid": wamid, "now": clock.now()}
        params |= {"how": sent_as, "lang": language}
        row = self._accept(params)
        if row is None:
            self.connection.execute(ACCEPT_OVERTAKEN, params)
            return True
        waiting, status_now, paused_at = row
        self._fresh = (delivery.broadcast_id, _gate_of(status_now, paused_at))
        return bool(waiting)


def _gate_of(broadcast_status: str | None, paused_at) -> tuple[bool, bool]:
    return broadcast_status == BroadcastStatus.CANCELLED, paused_at is not None


@contextlib.contextmanager
def open_ledger():
    """A Ledger on a connection of its own, in autocommit, for one sender's loop."""
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        try:
            yield Ledger(connection)
        finally:
            forget_prepared(connection)


_PARAMETER = re.compile(r"%\((\w+)\)s")


def prepared(connection: sa.Connection, name: str, statement):
    """`statement` as a function of its parameters giving its first row, on this connection.
    On PostgreSQL the server plans it once (PREPARE) and then only runs it (EXECUTE) on the
    driver's cursor: for a small statement run for every message, planning costs the
    server more than running it, and a result object the sender more than the row."""
    planned_once = current_app.config["DATABASE_PREPARED_STATEMENTS"]
    if connection.dialect.name != "postgresql" or not planned_once:
        return lambda params: connection.execute(statement, params).first()
    compiled = statement.compile(dialect=connection.dialect)
    names = list(dict.fromkeys(_PARAMETER.findall(compiled.string)))
    body = _PARAMETER.sub(lambda m: f"${names.index(m.group(1)) + 1}", compiled.string)
    connection.exec_driver_sql(f"PREPARE {name} AS {body}")
    connection.info.setdefault("sandesh_prepared", set()).add(name)
    run = f"EXECUTE {name}({', '.join(f'%({n})s' for n in names)})"
    processors = {
        key: processor
        for bind, key in compiled.bind_names.items()
        if (processor := bind.type.bind_processor(connection.dialect)) is not None
    }

    def execute(params: dict):
        """The first row the statement returns (None if none), straight from the driver."""
        values = compiled.construct_params(params)
        for key, process in processors.items():
            values[key] = process(values[key])
        with contextlib.closing(connection.connection.cursor()) as cursor:
            cursor.execute(run, values)
            return cursor.fetchone() if cursor.description else None

    return execute


def forget_prepared(connection: sa.Connection) -> None:
    """Drop this connection's prepared statements before the pool hands it to someone
    else; a connection that cannot is closed instead of going back to the pool."""
    for name in connection.info.pop("sandesh_prepared", ()):
        try:
            connection.exec_driver_sql(f"DEALLOCATE {name}")
        except sa.exc.DBAPIError:
            connection.invalidate()
            return
