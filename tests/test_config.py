"""Settings: production refuses to start without its secrets, development keeps its own,
hosts' `postgres://` URLs work, cookies are secure in production, and keys rotate."""

import stat

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from portal import config, create_app
from portal.config import ConfigError, load
from portal.services.common import secrets
from tests.conftest import close_connections

SECRET = "s" * 48
# Fixed keys (a Fernet key is 32 url-safe base64 bytes) so test ids are the same everywhere.
KEY = "yFXnINyWQ678IDkkYY_qtJXMU3Xp6bjl7_UPI_7NHeE="
OLD_KEY = "NmczUd3kHqtQu9HgCZUO8sleOo6EonXn2yBfiPY_kS4="
PRODUCTION = {"SANDESH_ENV": "production", "SECRET_KEY": SECRET, "ENCRYPTION_KEY": KEY}


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """A fresh, empty instance/ folder for settings that keep files there."""
    monkeypatch.setattr(config, "INSTANCE_PATH", tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    "env, missing",
    [
        ({"SANDESH_ENV": "production"}, "SECRET_KEY, ENCRYPTION_KEY"),
        ({"SANDESH_ENV": "production", "ENCRYPTION_KEY": KEY}, "SECRET_KEY"),
        ({"SANDESH_ENV": "production", "SECRET_KEY": SECRET}, "ENCRYPTION_KEY"),
        ({"SANDESH_ENV": " Production ", "SECRET_KEY": " ", "ENCRYPTION_KEY": KEY}, "SECRET_KEY"),
    ],
)
def test_production_refuses_to_start_without_its_secrets(env, missing, instance):
    with pytest.raises(ConfigError, match=f"production needs {missing} in the environment"):
        load(env)
    assert list(instance.iterdir()) == []  # nothing was generated in its place


def test_production_refuses_a_short_secret_key(instance):
    with pytest.raises(ConfigError, match="SECRET_KEY must be at least 32 characters"):
        load(PRODUCTION | {"SECRET_KEY": "too-short"})


def test_the_app_itself_refuses_to_start(monkeypatch):
    monkeypatch.setenv("SANDESH_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("ENCRYPTION_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY, ENCRYPTION_KEY"):
        create_app()


def test_development_makes_its_keys_once_and_keeps_them(instance):
    first, second = load({}), load({})
    assert len(first["SECRET_KEY"]) >= 32
    assert second["SECRET_KEY"] == first["SECRET_KEY"]
    assert second["ENCRYPTION_KEY"] == first["ENCRYPTION_KEY"]
    Fernet(first["ENCRYPTION_KEY"])  # a usable key
    kept = instance / "secret_key"
    assert kept.read_text().strip() == first["SECRET_KEY"]
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_keys_from_the_environment_win_and_are_not_written(instance):
    settings = load(
        {
            "SECRET_KEY": SECRET,
            "ENCRYPTION_KEY": f"{KEY},{OLD_KEY}",
            "WHATSAPP_APP_SECRET": "s",
            "WHATSAPP_VERIFY_TOKEN": "v",
        }
    )
    assert (settings["SECRET_KEY"], settings["ENCRYPTION_KEY"]) == (SECRET, f"{KEY},{OLD_KEY}")
    assert (settings["WHATSAPP_APP_SECRET"], settings["WHATSAPP_VERIFY_TOKEN"]) == ("s", "v")
    assert list(instance.iterdir()) == []


def test_the_sandbox_signs_its_webhooks_with_a_kept_secret(instance):
    first, second = load({}), load({})
    assert first["WHATSAPP_APP_SECRET"] and first["WHATSAPP_VERIFY_TOKEN"]
    assert second["WHATSAPP_APP_SECRET"] == first["WHATSAPP_APP_SECRET"]
    cloud = load({"WHATSAPP_TRANSPORT": "cloud"})
    assert cloud["WHATSAPP_APP_SECRET"] is None  # the Cloud API needs Meta's own secret


def test_the_default_database_is_sqlite_under_instance(instance):
    assert load({})["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'sandesh.db'}"


def test_postgres_urls_as_hosts_write_them_are_accepted(instance):
    uri = load({"DATABASE_URL": "postgres://u:p@db.example:5432/sandesh"})[
        "SQLALCHEMY_DATABASE_URI"
    ]
    assert uri == "postgresql://u:p@db.example:5432/sandesh"
    engine = sa.create_engine(uri)  # builds without connecting: the dialect is known
    assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg2")


def test_the_pool_holds_two_connections_for_every_consumer_thread(instance):
    """Senders hold their session's connection and their ledger's at once: a pool smaller
    than that makes a busy consumer time out waiting for connections."""
    url = "postgresql://u:p@db.example:5432/sandesh"
    options = load({"DATABASE_URL": url, "WORKER_THREADS": "16"})["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_size"] >= 2 * 16
    engine = sa.create_engine(url, **options)
    assert engine.pool.size() == options["pool_size"]
    assert load({"DATABASE_URL": url})["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] >= 2 * 4
    embedded = load({"WORKER_THREADS": "16"})
    engine = sa.create_engine(
        embedded["SQLALCHEMY_DATABASE_URI"], **embedded["SQLALCHEMY_ENGINE_OPTIONS"]
    )
    assert engine.pool.size() >= 2 * 16


def test_cookies_are_secure_only_in_production(instance):
    production, development = load(PRODUCTION), load({})
    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        assert production[name] is True
        assert development[name] is False
    for settings in (production, development):
        assert settings["SESSION_COOKIE_HTTPONLY"] and settings["REMEMBER_COOKIE_HTTPONLY"]
        assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_a_production_app_sends_secure_cookies_and_hsts(app, monkeypatch):
    monkeypatch.setenv("SANDESH_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("ENCRYPTION_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    production = create_app()
    try:
        response = production.test_client().get("/login")
    finally:
        close_connections(production)
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_the_development_app_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_encryption_keys_rotate(app, monkeypatch):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setitem(app.config, "ENCRYPTION_KEY", old)
    stored = secrets.encrypt("EAAG-school-token")
    assert "EAAG" not in stored

    monkeypatch.setitem(app.config, "ENCRYPTION_KEY", f"{new}, {old}")
    assert secrets.decrypt(stored) == "EAAG-school-token"
    rotated = secrets.rotate(stored)
    assert rotated != stored

    monkeypatch.setitem(app.config, "ENCRYPTION_KEY", new)
    assert secrets.decrypt(rotated) == "EAAG-school-token"
    with pytest.raises(ValueError, match="no ENCRYPTION_KEY opens this secret"):
        secrets.decrypt(stored)


@pytest.mark.parametrize("mode", ["prod", "staging", "Productoin", "test"])
def test_an_unknown_environment_refuses_to_start(mode, instance):
    """A mistyped SANDESH_ENV must not quietly run as development (kept keys, no HSTS)."""
    with pytest.raises(ConfigError, match="SANDESH_ENV must be one of"):
        load({"SANDESH_ENV": mode})
    assert list(instance.iterdir()) == []


@pytest.mark.parametrize(
    "value, which",
    [
        ("k", 1),
        ("not-a-fernet-key-at-all-not-a-fernet-key-at-all", 1),
        (f"{KEY},too-short", 2),
        (f"{KEY},", 2),
        (KEY[:-2], 1),
    ],
)
def test_an_encryption_key_that_is_not_a_fernet_key_refuses_to_start(value, which, instance):
    with pytest.raises(ConfigError, match=f"ENCRYPTION_KEY: key {which} is not a Fernet key"):
        load(PRODUCTION | {"ENCRYPTION_KEY": value})
    with pytest.raises(ConfigError, match="is not a Fernet key"):
        load({"ENCRYPTION_KEY": value})  # in development too: it would fail at first use


def test_the_app_refuses_a_bad_key_at_start(monkeypatch):
    monkeypatch.setenv("ENCRYPTION_KEY", "k")
    with pytest.raises(ConfigError, match="not a Fernet key"):
        create_app()


def test_web_and_workers_have_their_own_database_timeouts(instance):
    env = {"DATABASE_URL": "postgresql://u@127.0.0.1/db"}
    web = load(env)["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]
    worker = load(env, process="worker")["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]
    assert (web["connect_timeout"], web["options"]) == (2, "-c statement_timeout=5000")
    assert (worker["connect_timeout"], worker["options"]) == (10, "-c statement_timeout=120000")
    assert web["tcp_user_timeout"] and web["keepalives"] == 1
    settable = {
        "DATABASE_CONNECT_TIMEOUT": "3",
        "DATABASE_STATEMENT_TIMEOUT": "1.5",
        "WORKER_DATABASE_STATEMENT_TIMEOUT": "600",
    }
    web = load(env | settable)["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]
    worker = load(env | settable, process="worker")["SQLALCHEMY_ENGINE_OPTIONS"]
    assert (web["connect_timeout"], web["options"]) == (3, "-c statement_timeout=1500")
    assert worker["connect_args"]["options"] == "-c statement_timeout=600000"
    assert worker["hide_parameters"] is True  # no phone number or message text in errors
    with pytest.raises(ConfigError, match="DATABASE_STATEMENT_TIMEOUT must be a number"):
        load(env | {"DATABASE_STATEMENT_TIMEOUT": "soon"})


def test_proxy_count_is_a_whole_number(instance):
    assert load({})["PROXY_COUNT"] == 0
    assert load({"PROXY_COUNT": "2"})["PROXY_COUNT"] == 2
    for bad in ("one", "-1"):
        with pytest.raises(ConfigError, match="PROXY_COUNT"):
            load({"PROXY_COUNT": bad})
