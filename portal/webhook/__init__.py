"""Meta's webhook: GET verification, POST store → commit → enqueue → 200 (nothing else)."""

import hmac
import logging

from flask import Blueprint, abort, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import csrf, db
from portal.tasks.events import wake_drainer
from portal.webhook import storing
from portal.whatsapp import signature

bp = Blueprint("webhook", __name__, url_prefix="/webhooks")
log = logging.getLogger(__name__)


@bp.get("/whatsapp")
def verify():
    """Meta's subscription handshake: echo the challenge when the verify token matches."""
    expected = current_app.config["WHATSAPP_VERIFY_TOKEN"] or ""
    given = request.args.get("hub.verify_token", "")
    if (
        request.args.get("hub.mode") != "subscribe"
        or not expected
        or not hmac.compare_digest(given.encode(), expected.encode())
    ):
        abort(403)
    return request.args.get("hub.challenge", ""), 200, {"Content-Type": "text/plain"}


RECEIVED = {"status": "received"}
BAD_SIGNATURE = {"error": {"code": "bad_signature", "message": "signature does not match"}}
UNAVAILABLE = {"error": {"code": "unavailable", "message": "not stored; retry"}}


@bp.post("/whatsapp")
@csrf.exempt
def receive():
    """Check the signature over the raw bytes, keep the body, then answer 200 (most posts
    are answered before Flask by `intake`, through the same `accept`)."""
    body = request.get_data(cache=False)  # raw bytes: re-serialised JSON would not verify
    return accept(body, request.headers.get("X-Hub-Signature-256"))


def accept(body: bytes, signed: str | None) -> tuple[dict, int]:
    """The answer to a posted body: 401 unless `signed` signs exactly these bytes; 503 when
    it could not be stored (Meta retries); else 200, once it is stored and committed."""
    secret = current_app.config["WHATSAPP_APP_SECRET"] or ""
    if not secret or not signature.verify(body, signed, secret):
        return BAD_SIGNATURE, 401
    try:
        event_id = storing.store_committed(body)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not store a webhook event; Meta will retry")
        return UNAVAILABLE, 503
    _enqueue(event_id)
    return RECEIVED, 200


def _enqueue(event_id: int) -> None:
    """Wake a drainer (unless one was just woken, which takes this event too); if the queue
    is down the sweeper finds the stored event later."""
    try:
        wake_drainer()
    except Exception:  # the event is safe in the database; only the wake-up was lost
        log.exception("could not enqueue webhook event %s; the sweeper will", event_id)
