"""Which database the session talks to, for the few statements that differ: PostgreSQL in
production, SQLite on the embedded stack."""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from portal.extensions import db


def on_postgresql() -> bool:
    """Whether the session's database is PostgreSQL (else SQLite)."""
    return db.session.get_bind().dialect.name == "postgresql"


def insert(table) -> sa.Insert:
    """An INSERT into `table` (a table or model) that takes the session's database's
    ON CONFLICT clauses (`on_conflict_do_nothing`, `on_conflict_do_update`)."""
    return (postgresql.insert if on_postgresql() else sqlite.insert)(table)
