"""Keeping a webhook's raw body, committed, before Meta gets its 200.

On PostgreSQL that is one round trip: a connection of the webhook's own small pool, in
autocommit, runs an INSERT the server planned once for it (`events.store`), the statement
its own commit: no ORM session, no BEGIN, no COMMIT. Its own pool, so what it keeps
prepared never reaches a connection the rest of the app (or a pooler's peer) takes.
Elsewhere (SQLite, the embedded mode) the session stores and commits.
"""

import threading

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.services.conversations import events

_made = threading.Lock()


def store_committed(body: bytes) -> int:
    """Store the body exactly as received and commit it; the event's id. Raises
    SQLAlchemyError when it could not be stored (nothing is kept then)."""
    if db.engine.dialect.name != "postgresql":
        event_id = events.store(body)
        db.session.commit()
        return event_id
    with _engine().connect() as connection:
        try:
            return events.store(body, connection=connection)
        except sa.exc.DBAPIError:
            connection.invalidate()  # in a state no one knows: the pool makes a new one
            raise


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
