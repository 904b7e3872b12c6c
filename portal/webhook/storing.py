"""Keeping a webhook's raw body, committed, before Meta gets its 200.

On PostgreSQL that is one round trip: each web thread holds a connection of the webhook's
own small pool, in autocommit, and runs on it an INSERT the server planned once for it
(`events.store`), the statement its own commit: no ORM session, no BEGIN, no COMMIT, no
pool checkout per request. Its own pool, so what it keeps prepared never reaches a
connection the rest of the app takes. Elsewhere (SQLite, the embedded mode) the session
stores and commits.
"""

import threading

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.services.conversations import events

_made = threading.Lock()
_held = threading.local()  # this thread's connection


def store_committed(body: bytes) -> int:
    """Store the body exactly as received and commit it; the event's id. Raises
    SQLAlchemyError when it could not be stored (nothing is kept then)."""
    if db.engine.dialect.name != "postgresql":
        event_id = events.store(body)
        db.session.commit()
        return event_id
    connection = _connection()
    try:
        return events.store(body, connection=connection)
    except sa.exc.DBAPIError:
        _held.connection = None
        connection.invalidate()  # in a state no one knows: the next request connects anew
        connection.close()
        raise


def _connection() -> sa.Connection:
    """The connection this thread holds for the app's store (taken at its first webhook)."""
    engine = _engine()
    held = getattr(_held, "connection", None)
    if held is None or held.engine is not engine or held.closed:
        if held is not None:
            held.close()
        held = _held.connection = engine.connect()
    return held


def _engine() -> sa.Engine:
    """This app's pool for storing webhooks: the app's settings (timeouts, sizes), in
    autocommit, made at the first webhook."""
    engine = current_app.extensions.get("sandesh_webhook_store")
    if engine is None:
        with _made:
            engine = current_app.extensions.get("sandesh_webhook_store")
            if engine is None:
                options = current_app.config["SQLALCHEMY_ENGINE_OPTIONS"]
                engine = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT", **options)
                current_app.extensions["sandesh_webhook_store"] = engine
    return engine
