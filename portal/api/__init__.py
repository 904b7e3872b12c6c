"""/api/v1: broadcasts for other programs, with per-school bearer tokens stored hashed."""

import sqlalchemy as sa
from flask import Blueprint, g, request
from marshmallow import ValidationError

from portal.api import bodies, idempotency
from portal.api import media as api_media
from portal.api.auth import error, require_token
from portal.api.schemas import BroadcastIn, BroadcastOut
from portal.extensions import csrf, db
from portal.models import Broadcast, Source
from portal.services.broadcasting import broadcasts, delivery_counts, delivery_export
from portal.services.common import audit, idempotency_keys, spreadsheet
from portal.tasks.delivery import enqueue_start

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.before_request(require_token)
bp.register_blueprint(api_media.bp)
csrf.exempt(api_media.bp)

MAX_PER_PAGE = 100


def _show(broadcast: Broadcast) -> dict:
    return BroadcastOut().dump(broadcast) | {
        "counts": delivery_counts.of_broadcast(broadcast.id),
        "media": api_media.media_out(broadcast.media_file),
    }


def _get(broadcast_id: int) -> Broadcast:
    query = sa.select(Broadcast).where(
        Broadcast.id == broadcast_id, Broadcast.school_id == g.api_school.id
    )
    return db.first_or_404(query)


@bp.get("/broadcasts")
def index():
    """The school's broadcasts, newest first, a page at a time."""
    per_page = min(request.args.get("per_page", 20, type=int), MAX_PER_PAGE)
    query = (
        sa.select(Broadcast)
        .where(Broadcast.school_id == g.api_school.id)
        .order_by(Broadcast.id.desc())
    )
    page = db.paginate(query, per_page=per_page, max_per_page=MAX_PER_PAGE, error_out=False)
    return {
        "broadcasts": [_show(b) for b in page.items],
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "next_page": page.next_num,
    }


@bp.post("/broadcasts")
def create():
    """Schedule a broadcast; it goes out at its time (now if none is given). With an
    Idempotency-Key, a retry gets the first answer and creates nothing."""
    api_media.allow_upload()
    try:
        payload, key = _payload(), idempotency.given_key()
    except api_media.MediaRefused as refusal:
        return error(422, refusal.code, str(refusal), fields={"file": [str(refusal)]})
    except bodies.BadBody as bad:
        return error(bad.status, bad.code, bad.message, fields=bad.fields or {})
    except idempotency.InvalidKey as bad:
        return error(400, "bad_request", str(bad), fields={idempotency.HEADER: [str(bad)]})
    request_hash = idempotency.digest(payload)
    if key is not None and (earlier := idempotency_keys.find(g.api_school.id, key)) is not None:
        return _replay(earlier, request_hash)
    try:
        broadcast = _create(payload)
    except ValidationError as exc:
        return error(422, "invalid", "Some fields are not valid.", fields=exc.messages)
    except broadcasts.BroadcastError as exc:
        return error(422, "invalid", str(exc), fields={exc.field or "body": [str(exc)]})
    db.session.refresh(broadcast)  # as stored (UTC), as every later answer shows it
    shown = _show(broadcast)
    if key is not None:
        idempotency_keys.remember(
            school_id=g.api_school.id,
            key=key,
            request_hash=request_hash,
            status=201,
            response=shown,
        )
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # a retry with the same key committed first
        db.session.rollback()
        return _replay(idempotency_keys.find(g.api_school.id, key), request_hash)
    enqueue_start(broadcast)  # a lost wake-up is logged; the dispatcher starts it anyway
    return shown, 201


def _payload() -> dict:
    """The broadcast asked for: a JSON object, or a multipart form with its file."""
    if request.mimetype == api_media.MULTIPART:
        return api_media.form_payload()
    return bodies.json_object()


def _create(payload: dict) -> Broadcast:
    data = BroadcastIn().load(payload)
    broadcast = broadcasts.create_broadcast(
        school=g.api_school,
        kind=data["kind"],
        targets_given=data["targets"],
        body_en=data["body_en"],
        body_ne=data["body_ne"],
        subject=data["subject"],
        scheduled_at=data["scheduled_at"],
        source=Source.API,
        media_file_id=api_media.school_media_id(data["media_id"]),
    )
    broadcasts.record_created(broadcast, api_token_id=g.api_token.id)
    return broadcast


def _replay(earlier, request_hash: str):
    """The first answer for this key again, or 422 when the key came with another body."""
    if earlier is None or earlier.request_hash != request_hash:
        message = f"This {idempotency.HEADER} was used with a different request body."
        return error(422, "idempotency_key_reused", message, fields={idempotency.HEADER: [message]})
    return earlier.response, earlier.status_code, {"Idempotent-Replayed": "true"}


@bp.get("/broadcasts/<int:broadcast_id>")
def show(broadcast_id: int):
    return _show(_get(broadcast_id))


@bp.get("/broadcasts/<int:broadcast_id>/deliveries.csv")
def deliveries_csv(broadcast_id: int):
    """One row per guardian: children, status, times in Nepal time, the reason."""
    broadcast = _get(broadcast_id)
    return spreadsheet.download(
        delivery_export.HEADER, delivery_export.rows(broadcast), delivery_export.filename(broadcast)
    )


@bp.post("/broadcasts/<int:broadcast_id>/cancel")
def cancel(broadcast_id: int):
    """Stop a scheduled or sending broadcast; 409 if it has already finished."""
    broadcast = _get(broadcast_id)
    before = broadcast.status
    if not broadcasts.cancel(broadcast):
        return error(409, "not_cancellable", f"The broadcast is already {broadcast.status}.")
    audit.record(
        school_id=g.api_school.id,
        api_token_id=g.api_token.id,
        action="broadcast.cancel",
        target=broadcast,
        changes={"status": [before, broadcast.status]},
    )
    db.session.commit()
    return _show(broadcast)
