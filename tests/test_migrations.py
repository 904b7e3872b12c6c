"""Migrations: a brand-new database goes up to head, down to base and up again, and the
models match what the migrations build (a model change without a migration fails here)."""

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from portal import create_app
from portal.extensions import db
from tests.conftest import close_connections


@pytest.fixture(scope="module")
def empty_database(app, tmp_path_factory):
    """The URL of a new, empty database of the suite's kind: a SQLite file, or a PostgreSQL
    database made (and dropped afterwards) on the server the suite uses."""
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('migrations') / 'empty.db'}"
        return
    name = f"sandesh_migrations_{uuid.uuid4().hex[:12]}"
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture(scope="module")
def fresh_app(empty_database):
    """The app pointed at the empty database."""
    fresh = create_app({"SQLALCHEMY_DATABASE_URI": empty_database})
    yield fresh
    close_connections(fresh)


def tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def current_revision() -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(app) -> str:
    return ScriptDirectory(app.extensions["migrate"].directory).get_current_head()


def schema_differences(app, metadata) -> list:
    """What `flask db migrate` would put in a new migration for these models."""
    opts = {
        key: value
        for key, value in app.extensions["migrate"].configure_args.items()
        if key in ("compare_type", "compare_server_default", "render_as_batch")
    }
    with db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts=opts), metadata)


def test_an_empty_database_goes_up_down_and_up_again(fresh_app):
    with fresh_app.app_context():
        assert tables() == set()
        upgrade()
        assert current_revision() == head_revision(fresh_app)
        assert tables() == set(db.metadata.tables)

        downgrade(revision="base")
        assert current_revision() is None
        assert tables() == set()

        upgrade()
        assert current_revision() == head_revision(fresh_app)
        assert tables() == set(db.metadata.tables)


def test_the_models_match_the_migrations(fresh_app):
    with fresh_app.app_context():
        upgrade()
        assert schema_differences(fresh_app, db.metadata) == []


def test_a_model_change_without_a_migration_is_noticed(fresh_app):
    changed = sa.MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["guardians"].append_column(sa.Column("nickname", sa.String(40)))
    with fresh_app.app_context():
        upgrade()
        differences = schema_differences(fresh_app, changed)
    assert [(d[0], d[2], d[3].name) for d in differences] == [
        ("add_column", "guardians", "nickname")
    ]


def test_partial_indexes_keep_their_conditions(fresh_app):
    """The indexes that serve only some deliveries or events exist with their conditions (a
    plain index in their place would still match the models, and cost every status change)."""
    with fresh_app.app_context():
        upgrade()
        on_postgresql = db.engine.dialect.name == "postgresql"
        if on_postgresql:
            rows = db.session.execute(
                sa.text(
                    "SELECT indexname, indexdef FROM pg_indexes"
                    " WHERE tablename IN ('deliveries', 'webhook_events')"
                )
            )
        else:
            rows = db.session.execute(
                sa.text(
                    "SELECT name, sql FROM sqlite_master"
                    " WHERE tbl_name IN ('deliveries', 'webhook_events')"
                )
            )
        definitions = {name: _plain(sql or "") for name, sql in rows}
    for name, condition in {
        "ix_deliveries_due": "where status = 'pending'",
        "ix_deliveries_leased": "where status = 'sending'",
        "ix_deliveries_reply_to": "where to_phone is not null",
        "ix_deliveries_inbound_message_id": "where inbound_message_id is not null",
        "ix_webhook_events_queue": "where status = 'pending' and retry_at is null",
    }.items():
        assert definitions[name].endswith(condition), definitions[name]
    # On PostgreSQL alone (SQLite changes rows in place, and cannot prove an OR) the other
    # index leaves out the queued events, so that only their own serves the drain.
    unsettled = "or status = 'pending' and retry_at is not null"
    assert definitions["ix_webhook_events_work"].endswith(unsettled) == on_postgresql
    assert "ix_deliveries_work" not in definitions and "ix_deliveries_school_id" not in definitions


def _plain(sql: str) -> str:
    """An index definition without quotes, parentheses and PostgreSQL's casts, lower case."""
    for noise in ('"', "(", ")", "::text"):
        sql = sql.replace(noise, "")
    return sql.lower().strip()
