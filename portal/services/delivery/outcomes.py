"""What happened to a delivery its sender could not hand to Meta, decided in one place:
finished (failed or cancelled: a digest's messages and a long message's parts follow),
deferred (with backoff, or without counting as an attempt), resent as a template, waiting
for Meta to approve one, or failed with an alert that may pause the school's sending.

Every change is a conditional update on the delivery still being `sending`, so a status
webhook, the sweeper and a worker can race without undoing each other's work.
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.models import DIGEST, Delivery, DeliveryStatus
from portal.services.common import clock
from portal.services.delivery import alerts, digests, parts
from portal.services.delivery.claims import Job
from portal.services.delivery.composing import STAFF_ALERTS, NoTemplate
from portal.services.delivery.reasons import NO_TEMPLATE
from portal.whatsapp.errors import Action, backoff_seconds, classify
from portal.whatsapp.errors import reason as error_reason

MAX_ATTEMPTS = 12
TEMPLATE_WAIT = timedelta(minutes=30)  # a message with no approved template looks again


def wait_for_template(job: Job, missing: NoTemplate) -> str:
    """The parent waits until Meta approves a template (its approval wakes them); the
    school's admins are told which one is missing."""
    alerts.template_missing(
        school_id=job.delivery.school_id, purpose=missing.purpose, language=missing.language
    )
    seconds = TEMPLATE_WAIT.total_seconds()
    return defer(job.delivery, seconds, counts_as_attempt=False, error_reason=NO_TEMPLATE)


def update_sending(delivery: sa.Row, **values) -> int:
    result = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id == delivery.id, Delivery.status == DeliveryStatus.SENDING)
        .values(lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def finish(delivery: sa.Row, *, status: str, code=None, reason=None) -> str:
    values = {"status": status, "error_code": code, "error_reason": reason}
    if status == DeliveryStatus.FAILED:
        values["failed_at"] = clock.now()
    if update_sending(delivery, **values):
        if delivery.purpose == DIGEST:
            digests.mirror(delivery.id)
        elif delivery.broadcast_id is not None:
            parts.end_with(delivery, status, reason)
    return status


def defer(delivery: sa.Row, seconds: float, *, counts_as_attempt=True, **values) -> str:
    if not counts_as_attempt:
        values["attempts"] = Delivery.attempts - 1
    update_sending(
        delivery,
        status=DeliveryStatus.PENDING,
        next_attempt_at=clock.now() + timedelta(seconds=seconds),
        **values,
    )
    return "deferred"


def handle_error(job: Job, exc: Exception) -> str:
    delivery, action = job.delivery, classify(exc)
    code = getattr(exc, "code", None)
    detail = (getattr(exc, "details", "") or str(exc) or str(error_reason(exc)))[:300]
    templated = delivery.body is None or delivery.purpose in STAFF_ALERTS
    if action is Action.RESEND_AS_TEMPLATE and not templated:
        return finish(
            delivery, status=DeliveryStatus.FAILED, code=code, reason=detail
        )  # no template fits
    if action is Action.RESEND_AS_TEMPLATE:
        parts.discard(delivery)  # written for text: written again for templates
        return defer(
            delivery,
            0,
            counts_as_attempt=False,
            sent_as="template",
            error_code=code,
            error_reason=detail,
        )
    if action.retries and delivery.attempts < MAX_ATTEMPTS:
        # attempts counts this one: 1 → the first retry (pair limit: 4^1 s, then 4^2 s ...)
        first = 1 if action is Action.RETRY_PAIR_LIMIT else 0
        cap = current_app.config["RETRY_CAP_SECONDS"]
        wait = backoff_seconds(action, delivery.attempts - 1 + first, cap=cap)
        return defer(delivery, wait, error_code=code, error_reason=detail)
    if action in (Action.FAIL_AND_ALERT, Action.PAUSE_SCHOOL):
        alerts.raise_for(
            school_id=delivery.school_id,
            code=code,
            pause=action is Action.PAUSE_SCHOOL,
            details=detail,
        )
    return finish(delivery, status=DeliveryStatus.FAILED, code=code, reason=detail)
