"""Settings from the environment, with defaults that need nothing installed (SQLite, SqliteHuey)."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_PATH = Path(os.environ.get("SANDESH_INSTANCE_PATH", PROJECT_ROOT / "instance"))


class ConfigError(RuntimeError):
    """Raised when the app is asked to start with settings it cannot run with."""


ENVIRONMENTS = ("development", "testing", "production")


def environment(env=os.environ) -> str:
    """Which run mode: `development` (default), `testing` or `production`; anything else
    refuses to start (a mistyped `prod` must not run as development)."""
    mode = env.get("SANDESH_ENV", "development").strip().lower() or "development"
    if mode not in ENVIRONMENTS:
        raise ConfigError(f"SANDESH_ENV must be one of {', '.join(ENVIRONMENTS)}, not {mode!r}")
    return mode


def check_encryption_keys(value: str) -> str:
    """Every comma-separated key must be a Fernet key (32 url-safe base64 bytes)."""
    for index, key in enumerate(k.strip() for k in value.split(",")):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ConfigError(
                f"ENCRYPTION_KEY: key {index + 1} is not a Fernet key "
                "(32 url-safe base64-encoded bytes)"
            ) from None
    return value


def _kept_secret(name: str, make) -> str:
    """A development secret made once and kept under instance/, so restarts keep sessions."""
    INSTANCE_PATH.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_PATH / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _sandbox_secret(env, mode: str, name: str) -> str | None:
    """In sandbox mode outside production, webhook secrets of its own, so the phone simulator
    signs and verifies webhooks exactly as Meta's would be; never for the Cloud API."""
    if mode == "production" or env.get("WHATSAPP_TRANSPORT", "sandbox").strip().lower() == "cloud":
        return None
    return _kept_secret(f"whatsapp_{name}_secret", lambda: secrets.token_urlsafe(32))


def database_url(env=os.environ) -> str:
    """The SQLAlchemy URL; `postgres://` (as some hosts write it) is accepted."""
    url = env.get("DATABASE_URL", "").strip()
    if not url:
        INSTANCE_PATH.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{INSTANCE_PATH / 'sandesh.db'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    return url


def _seconds(env, name: str, default: float) -> float:
    try:
        value = float(env.get(name) or default)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative")
    return value


# Web requests must answer fast (Meta retries a webhook answered 503); workers may wait
# longer for a big fan-out. Either process's limits can be set in the environment.
DATABASE_TIMEOUTS = {
    "web": {"DATABASE_CONNECT_TIMEOUT": 2, "DATABASE_STATEMENT_TIMEOUT": 5},
    "worker": {"DATABASE_CONNECT_TIMEOUT": 10, "DATABASE_STATEMENT_TIMEOUT": 120},
}


def database_timeouts(env=os.environ, process: str = "web") -> dict[str, float]:
    """Connect and statement timeouts (seconds) for this kind of process: `web` reads
    DATABASE_CONNECT_TIMEOUT and DATABASE_STATEMENT_TIMEOUT, `worker` the same names
    with a WORKER_ prefix."""
    prefix = "WORKER_" if process == "worker" else ""
    return {
        name: _seconds(env, prefix + name, default)
        for name, default in DATABASE_TIMEOUTS[process].items()
    }


def engine_options(env=os.environ, process: str = "web") -> dict:
    """Connection pool settings. A consumer thread that sends holds two connections (its
    session's and its ledger's), a web thread one: the pool keeps that many for the
    process's threads (WORKER_THREADS and WEB_THREADS, as the Procfile passes them).
    Statement parameters never appear in errors or logs (they hold phone numbers and
    message text); on PostgreSQL every connection has connect and statement timeouts."""
    threads = max(int(env.get("WORKER_THREADS") or 4), int(env.get("WEB_THREADS") or 4))
    options = {
        "pool_recycle": 1800,
        "pool_size": 2 * threads + 1,
        "max_overflow": 10,
        "hide_parameters": True,
    }
    if database_url(env).startswith("postgresql"):
        options["connect_args"] = postgres_connect_args(database_timeouts(env, process))
    return options


def postgres_connect_args(timeouts: dict[str, float]) -> dict:
    """libpq settings: give up connecting after the connect timeout (libpq's floor is 2 s),
    cancel a statement after the statement timeout, and drop a connection whose peer stopped
    acknowledging (tcp_user_timeout, keepalives) instead of waiting on it for minutes."""
    connect = max(2, round(timeouts["DATABASE_CONNECT_TIMEOUT"]))
    statement_ms = round(timeouts["DATABASE_STATEMENT_TIMEOUT"] * 1000)
    return {
        "connect_timeout": connect,
        "options": f"-c statement_timeout={statement_ms}",
        "tcp_user_timeout": max(statement_ms, 1000) + connect * 1000,
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
    }


def proxy_count(env=os.environ) -> int:
    """How many reverse proxies stand in front of gunicorn (PROXY_COUNT): the client's
    address is read from X-Forwarded-For that many hops back, and only then."""
    try:
        count = int(env.get("PROXY_COUNT") or 0)
    except ValueError:
        raise ConfigError("PROXY_COUNT must be a whole number") from None
    if count < 0:
        raise ConfigError("PROXY_COUNT must not be negative")
    return count


def load(env=os.environ, process: str = "web") -> dict:
    """Every setting the app reads, as a mapping for `app.config` (`process` is `web` or
    `worker`: their database timeouts differ)."""
    mode = environment(env)
    production = mode == "production"
    secret_key = env.get("SECRET_KEY", "").strip()
    encryption_key = env.get("ENCRYPTION_KEY", "").strip()
    if production:
        missing = [
            n for n, v in (("SECRET_KEY", secret_key), ("ENCRYPTION_KEY", encryption_key)) if not v
        ]
        if missing:
            raise ConfigError(f"production needs {', '.join(missing)} in the environment")
        if len(secret_key) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters in production")
    secret_key = secret_key or _kept_secret("secret_key", lambda: secrets.token_urlsafe(48))
    encryption_key = check_encryption_keys(
        encryption_key or _kept_secret("encryption_key", lambda: Fernet.generate_key().decode())
    )
    return {
        "SANDESH_ENV": mode,
        "TESTING": mode == "testing",
        "SECRET_KEY": secret_key,
        "ENCRYPTION_KEY": encryption_key,
        "SQLALCHEMY_DATABASE_URI": database_url(env),
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(env, process),
        "SANDESH_PROCESS": process,
        "DATABASE_TIMEOUTS": database_timeouts(env, process),
        "PROXY_COUNT": proxy_count(env),
        # Senders have PostgreSQL plan their per-message statement once (PREPARE); a pooler
        # in transaction mode (PgBouncer) cannot keep that for a connection: set 0 there.
        "DATABASE_PREPARED_STATEMENTS": env.get("DATABASE_PREPARED_STATEMENTS", "1").strip()
        not in ("0", "false", "no", "off"),
        "REDIS_URL": env.get("REDIS_URL", "").strip() or None,
        "WHATSAPP_TRANSPORT": env.get("WHATSAPP_TRANSPORT", "sandbox").strip().lower() or "sandbox",
        # v24.0 is the first with `whatsapp_business_manager_messaging_limit`; v26.0 is the
        # newest (Graph API changelog, 29 July 2026).
        "WHATSAPP_API_URL": env.get("WHATSAPP_API_URL", "https://graph.facebook.com/v26.0"),
        "WHATSAPP_ACCESS_TOKEN": env.get("WHATSAPP_ACCESS_TOKEN") or None,
        "WHATSAPP_APP_ID": env.get("WHATSAPP_APP_ID", "").strip() or None,
        "WHATSAPP_APP_SECRET": env.get("WHATSAPP_APP_SECRET") or _sandbox_secret(env, mode, "app"),
        "WHATSAPP_VERIFY_TOKEN": env.get("WHATSAPP_VERIFY_TOKEN")
        or _sandbox_secret(env, mode, "verify"),
        "WHATSAPP_RATE_MPS": float(env.get("WHATSAPP_RATE_MPS", "80")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 12,
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": "ne",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Kathmandu",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "COMPRESS_MIMETYPES": [
            "text/html",
            "text/css",
            "text/plain",
            "text/csv",
            "application/javascript",
            "text/javascript",
            "application/json",
            "image/svg+xml",
        ],
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        # Pages and fragments (static files are compressed once, at brotli's best): level 5
        # takes a tenth off level 4's bytes (the students page 2,959 -> 2,621) in the same
        # 0.6 ms; from 6 up it costs more time for almost nothing.
        "COMPRESS_BR_LEVEL": 5,
        "COMPRESS_MIN_SIZE": 256,
        "COMPRESS_STREAMS": False,
        "SEND_FILE_MAX_AGE_DEFAULT": 0,
        # argon2id cost: OWASP's floor is m=19 MiB, t=2, p=1; tests use a cheaper setting.
        "ARGON2_TIME_COST": int(env.get("ARGON2_TIME_COST", "1" if mode == "testing" else "3")),
        "ARGON2_MEMORY_KIB": int(
            env.get("ARGON2_MEMORY_KIB", "8" if mode == "testing" else "65536")
        ),
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCK_MINUTES": 15,
        "PAGE_SIZE": 25,
        # Sender tasks enqueued per broadcast (each claims its own batches). Below the
        # deployment's consumer threads (4 per consumer), so webhook events find a thread.
        "SEND_CONCURRENCY": int(env.get("SEND_CONCURRENCY", "3")),
        # A sender task works this long, then hands over to a fresh one (graceful shutdown).
        "SEND_SLICE_SECONDS": float(env.get("SEND_SLICE_SECONDS", "20")),
        # A delivery whose worker died is sent again only after its lease and this grace
        # period, so a `sent` status can show that Meta already took it.
        "RESEND_GRACE": timedelta(seconds=int(env.get("RESEND_GRACE_SECONDS", "15"))),
        # How long a worker holds the deliveries it claimed before the sweeper may take them.
        # A live sender renews it every third of it, so it may be short: a killed worker's
        # deliveries are free again soon after (lease + grace, then the sweeper's minute).
        "DELIVERY_LEASE_SECONDS": float(env.get("DELIVERY_LEASE_SECONDS", "15")),
        # The longest wait between two tries of a delivery after a temporary error.
        "RETRY_CAP_SECONDS": float(env.get("RETRY_CAP_SECONDS", "600")),
        # A stored webhook event still unprocessed after this long is processed by the
        # sweeper (its wake-up was lost), as is one whose worker held it past its lease; both
        # well under DELIVERY_LEASE_SECONDS + RESEND_GRACE_SECONDS, so a dead worker's
        # statuses are applied before its deliveries are sent again.
        "WEBHOOK_STALE_SECONDS": float(env.get("WEBHOOK_STALE_SECONDS", "10")),
        "WEBHOOK_LEASE_SECONDS": float(env.get("WEBHOOK_LEASE_SECONDS", "15")),
        # The web wakes the drainer of stored events at most once this often per process
        # (tests: every time, each webhook processed before its answer).
        "WEBHOOK_WAKE_SECONDS": float(
            env.get("WEBHOOK_WAKE_SECONDS", "0" if mode == "testing" else "0.1")
        ),
        # How long one send to the Cloud API may take before it counts as a timeout.
        "WHATSAPP_TIMEOUT_SECONDS": float(env.get("WHATSAPP_TIMEOUT_SECONDS", "10")),
        # Where photos and PDFs are kept: the database (default) or an S3-compatible bucket.
        "MEDIA_STORAGE": env.get("MEDIA_STORAGE", "database").strip().lower() or "database",
        "MEDIA_S3_BUCKET": env.get("MEDIA_S3_BUCKET") or None,
        "MEDIA_S3_PREFIX": env.get("MEDIA_S3_PREFIX") or "sandesh/media/",
        "MEDIA_S3_ENDPOINT_URL": env.get("MEDIA_S3_ENDPOINT_URL") or None,
        # The public address of this Sandesh, for the webhook URL an operator pastes into
        # Meta's app (unset: the address the operator's own request came to).
        "PUBLIC_URL": env.get("PUBLIC_URL", "").strip().rstrip("/") or None,
        # How long the sandbox's stand-in for Meta takes to review a submitted template.
        "SANDBOX_TEMPLATE_REVIEW_SECONDS": float(env.get("SANDBOX_TEMPLATE_REVIEW_SECONDS", "15")),
    }
