"""Liveness and readiness probes for load balancers and orchestrators."""

import redis
import sqlalchemy as sa
from flask import Blueprint, current_app

from portal.extensions import csrf, db, huey

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up; checks nothing else."""
    return {"status": "ok"}


def _check_database() -> str | None:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any failure means not ready; the reason is reported
        db.session.rollback()
        return f"database unreachable: {type(exc).__name__}: {_database_reason(exc)}"
    return None


def _database_reason(exc: Exception) -> str:
    """Why, in a few words: a timeout names the limit it hit (the connection's settings)."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = detail[0][:200] if detail else ""
    limits = current_app.config["DATABASE_TIMEOUTS"]
    if "timeout expired" in first:
        return f"no answer within {limits['DATABASE_CONNECT_TIMEOUT']:g} s (connect timeout)"
    if "statement timeout" in first:
        return f"no answer within {limits['DATABASE_STATEMENT_TIMEOUT']:g} s (statement timeout)"
    return first


def _check_queue() -> str | None:
    url = current_app.config["REDIS_URL"]
    try:
        if url:
            redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
        else:
            huey.storage.queue_size()
    except Exception as exc:  # any failure means not ready; the reason is reported
        return f"queue unreachable: {type(exc).__name__}"
    return None


def _check_whatsapp() -> str | None:
    cfg = current_app.config
    if cfg["WHATSAPP_TRANSPORT"] == "sandbox":
        return None
    if cfg["WHATSAPP_TRANSPORT"] != "cloud":
        return f"WHATSAPP_TRANSPORT must be sandbox or cloud, not {cfg['WHATSAPP_TRANSPORT']!r}"
    missing = [n for n in ("WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN") if not cfg[n]]
    return f"WhatsApp not configured: {', '.join(missing)} unset" if missing else None


@bp.get("/readyz")
@csrf.exempt
def readyz():
    """Ready to serve: database, queue and WhatsApp settings; 503 with the reasons if not."""
    checks = {"database": _check_database(), "queue": _check_queue(), "whatsapp": _check_whatsapp()}
    problems = {name: reason for name, reason in checks.items() if reason}
    body = {
        "status": "not ready" if problems else "ready",
        "checks": {name: reason or "ok" for name, reason in checks.items()},
    }
    return body, 503 if problems else 200
