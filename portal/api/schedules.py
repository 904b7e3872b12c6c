"""/api/v1/schedules: recurring broadcasts for other programs (same bearer tokens)."""

import sqlalchemy as sa
from flask import Blueprint, g, request
from marshmallow import ValidationError

from portal.api.auth import error, require_token
from portal.api.schedule_schemas import ScheduleIn, rule_out, service_arguments
from portal.extensions import csrf, db
from portal.models import RecurringSchedule, Source
from portal.services.broadcasting.broadcasts import BroadcastError
from portal.services.common.dates import NEPAL
from portal.services.schedules import schedules

bp = Blueprint("api_schedules", __name__, url_prefix="/api/v1/schedules")
csrf.exempt(bp)
bp.before_request(require_token)


def _show(schedule: RecurringSchedule) -> dict:
    upcoming, skipped = schedules.next_occurrences(schedule) if schedule.next_at else ([], [])
    return {
        "id": schedule.id,
        "status": schedule.status,
        "kind": schedule.kind,
        "targets": schedule.targets,
        "subject": schedule.subject,
        "body_en": schedule.body_en,
        "body_ne": schedule.body_ne,
        "rule": rule_out(schedule),
        "starts_on": schedule.starts_on.isoformat(),
        "ends_on": schedule.ends_on.isoformat() if schedule.ends_on else None,
        "next": [o.at.astimezone(NEPAL).isoformat() for o in upcoming],
        "skipped": [{"on": s.on.isoformat(), "holiday": s.holiday.label("en")} for s in skipped],
        "missed": schedule.missed,
    }


def _get(schedule_id: int) -> RecurringSchedule:
    query = sa.select(RecurringSchedule).where(
        RecurringSchedule.id == schedule_id,
        RecurringSchedule.school_id == g.api_school.id,
        RecurringSchedule.status != "draft",
    )
    return db.first_or_404(query)


@bp.post("")
def create():
    """A recurring broadcast; its first occurrence goes at the rule's next time."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return error(400, "bad_request", "Send a JSON object.")
    try:
        rule, texts = service_arguments(ScheduleIn().load(payload))
        schedule = schedules.create_schedule(
            school=g.api_school,
            source=Source.API,
            rule=rule,
            texts=texts,
            api_token_id=g.api_token.id,
        )
    except ValidationError as exc:
        return error(422, "invalid", "Some fields are not valid.", fields=exc.messages)
    except BroadcastError as exc:
        return error(422, "invalid", str(exc), fields={exc.field or "rule": [str(exc)]})
    db.session.commit()
    return _show(schedule), 201


@bp.get("/<int:schedule_id>")
def show(schedule_id: int):
    return _show(_get(schedule_id))


@bp.post("/<int:schedule_id>/pause")
def pause(schedule_id: int):
    return _change(schedule_id, schedules.pause, "not_active", "The schedule is not active.")


@bp.post("/<int:schedule_id>/resume")
def resume(schedule_id: int):
    return _change(schedule_id, schedules.resume, "not_paused", "The schedule is not paused.")


@bp.delete("/<int:schedule_id>")
def stop(schedule_id: int):
    return _change(schedule_id, schedules.stop, "stopped", "The schedule has already stopped.")


def _change(schedule_id: int, change, code: str, message: str):
    schedule = _get(schedule_id)
    if not change(schedule=schedule, user_id=None, api_token_id=g.api_token.id):
        return error(409, code, message)
    db.session.commit()
    return _show(schedule)
