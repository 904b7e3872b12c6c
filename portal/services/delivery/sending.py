"""Sending claimed deliveries: admit them through the speed limits, send each in the
guardian's language (text inside the 24-hour window, a template outside it), store the wamid
at once, and decide what an error means for that delivery and its school.

Every state change is a conditional update on the delivery's current status, so a status
webhook, the sweeper and a worker can race without undoing each other's work.
"""

import time
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.models import DIGEST, Delivery, DeliveryStatus, School
from portal.services.common import clock
from portal.services.common.secrets import decrypt
from portal.services.delivery import (
    alerts,
    caps,
    digests,
    media_sending,
    parts,
    ratelimit,
    statuses,
)
from portal.services.delivery.claims import Job
from portal.services.delivery.ledger import Ledger
from portal.services.delivery.reasons import DAILY_CAP
from portal.services.media import uploads
from portal.services.wording import digest_messages, long_messages, parent_messages
from portal.services.wording.template_texts import TEMPLATE_PURPOSE
from portal.services.wording.templates import choose_template
from portal.whatsapp.errors import Action, GraphError, TransportError, backoff_seconds, classify
from portal.whatsapp.errors import reason as error_reason

MAX_ATTEMPTS = 12
# Direct messages Sandesh starts itself (not replies): outside the reader's 24-hour window
# they go as the reminder template.
STAFF_ALERTS = ("absence_streak",)
WINDOW = timedelta(hours=24) - timedelta(minutes=5)  # a little margin before Meta's 24 hours


def admit(jobs: list[Job]) -> None:
    """Reserve each job's person and a token from its number's bucket: one call to the
    limiter per number in the batch (normally one), not one per message."""
    limiter = ratelimit.get_limiter(current_app.config["REDIS_URL"])
    rate, asked = current_app.config["WHATSAPP_RATE_MPS"], time.monotonic()
    by_number: dict[str, list[Job]] = {}
    for job in jobs:
        by_number.setdefault(sender_number(job.school), []).append(job)
    for number, group in by_number.items():
        pairs = [_pair(job) for job in group]
        answers = ratelimit.admit(limiter, pairs=pairs, bucket=number, rate=rate)
        for job, (busy, wait) in zip(group, answers, strict=True):
            job.person_busy, job.due = busy, asked + wait


def send(job: Job, *, transport, ledger: Ledger) -> str:
    """Send one claimed and admitted delivery when its token is due; what happened:
    accepted, deferred, failed or cancelled."""
    delivery = job.delivery
    if job.person_busy > 0:
        return _defer(delivery, job.person_busy, counts_as_attempt=False)
    if (wait := job.due - time.monotonic()) > 0:
        time.sleep(wait)
    cancelled, paused = ledger.gate(delivery)
    if cancelled or paused or _nothing_to_carry(job):
        _release(job)
        if not paused:
            return _finish(delivery, status=DeliveryStatus.CANCELLED)
        return _defer(delivery, 60, counts_as_attempt=False)
    if (later := _capped(job)) is not None:
        _release(job)
        wait = (later - clock.now()).total_seconds()
        return _defer(delivery, wait, counts_as_attempt=False, error_reason=DAILY_CAP)
    number, to = sender_number(job.school), recipient(job.guardian, delivery.to_phone)
    try:
        wamid, sent_as, language = _send_message(job, transport, number, to)
    except (GraphError, TransportError) as exc:
        _release(job)  # nothing reached the parent
        return _handle_error(job, exc)
    if ledger.accepted(delivery, wamid=wamid, sent_as=sent_as, language=language):
        statuses.apply_pending(wamid)
    if delivery.purpose == DIGEST:
        digests.mirror(delivery.id)  # the messages it carries are sent too
    if job.followed or delivery.first_id is not None:
        parts.release_after(delivery)
    return DeliveryStatus.ACCEPTED


def upload_media_first(broadcast, transport) -> None:
    """A broadcast with a photo or PDF: upload it for the school's number before the senders
    start, so they all find its media id (a sender uploads it itself if this fails)."""
    if broadcast.media_file_id is None:
        return
    school = broadcast.school
    try:
        uploads.media_id_for(
            media=broadcast.media_file,
            phone_number_id=sender_number(school),
            token=access_token(school),
            transport=transport,
        )
    except (GraphError, TransportError) as exc:
        current_app.logger.warning("broadcast %s: upload failed (%r)", broadcast.id, exc)


def _nothing_to_carry(job: Job) -> bool:
    """A digest with nothing left to carry (every message cancelled meanwhile, or too long
    for its template: those go on their own): it is not sent."""
    if job.delivery.purpose != DIGEST:
        return False
    if job.items and not _as_text(job):
        lang = choose_template(job.school, "digest", job.guardian.language)[1]
        keep = digest_messages.fitting(job.items, job.school, job.children, lang)
        if keep < len(job.items):  # committed before the digest goes without them
            gone = [item.delivery_id for item in job.items[keep:]]
            digests.let_go(gone, alone=keep == 0)
            db.session.commit()
            job.items = job.items[:keep]
    return not job.items


def _as_text(job: Job) -> bool:
    """Whether the message goes as free-form text (the guardian's window is open)."""
    return window_open(job.guardian) and job.delivery.sent_as != "template"


def _capped(job: Job):
    """When this message may go under the school's daily cap, if not now."""
    if not caps.counts(job.school, job.broadcast, job.delivery):
        return None
    return caps.wait_until(job.school, job.delivery.guardian_id)


def _pair(job: Job) -> str:
    """The limiter's name for messages from this number to this person."""
    return f"{sender_number(job.school)}:{recipient(job.guardian, job.delivery.to_phone)}"


def _release(job: Job) -> None:
    """Free the person's gap for a message that did not reach them."""
    ratelimit.get_limiter(current_app.config["REDIS_URL"]).release_pair(_pair(job))


def sender_number(school: School) -> str:
    """The school's WhatsApp business number id (the sandbox gives schools without one a name)."""
    if school.phone_number_id:
        return school.phone_number_id
    return f"sandbox-{school.slug}"


def recipient(guardian, to_phone: str | None = None) -> str:
    """The `to` of a message: the WhatsApp id when known, else the number without its +."""
    if guardian is None:
        return (to_phone or "").lstrip("+")
    return guardian.wa_id or guardian.phone.lstrip("+")


def access_token(school: School) -> str:
    if school.access_token_encrypted:
        return decrypt(school.access_token_encrypted)
    return current_app.config["WHATSAPP_ACCESS_TOKEN"] or ""


def window_open(guardian) -> bool:
    """Whether the guardian wrote to the school in the last 24 hours (free-form text allowed)."""
    last = guardian.last_inbound_at
    return last is not None and clock.now() - last < WINDOW


def _send_message(job: Job, transport, number: str, to: str) -> tuple[str, str, str]:
    delivery, guardian, broadcast = job.delivery, job.guardian, job.broadcast
    common = {
        "phone_number_id": number,
        "token": access_token(job.school),
        "to": to,
        "callback_data": statuses.callback_data(delivery.id),
    }
    if delivery.body is not None:  # a direct reply, or a later part of a long message
        return _send_written(job, transport, common)
    if delivery.purpose == DIGEST:
        return _send_digest(job, transport, common)
    school = broadcast.school
    if broadcast.media_file_id is not None:  # a photo or PDF with the words
        inside = window_open(guardian) and delivery.sent_as != "template"
        return media_sending.send(job, transport, common, window_open=inside)
    if window_open(guardian) and delivery.sent_as != "template":
        plan = long_messages.plan_text(broadcast, school, job.children, guardian.language)
        _write_down(job, plan, guardian.language)
        return transport.send_text(body=plan.first, **common), "text", guardian.language
    purpose = TEMPLATE_PURPOSE[broadcast.kind]
    name, language = choose_template(school, purpose, guardian.language)
    form = school.long_notice_form
    plan = long_messages.plan_template(broadcast, school, job.children, language, form=form)
    _write_down(job, plan, language)
    params = parent_messages.template_params(broadcast, school, job.children, language)
    if "message" in params:
        params["message"] = plan.first
    wamid = transport.send_template(name=name, language=language, params=params, **common)
    return wamid, "template", language


def _send_written(job: Job, transport, common: dict) -> tuple[str, str, str]:
    """A message whose words were written down already: a direct reply (text: the person
    just wrote), a staff alert (outside the reader's window: the reminder template), or a
    later part of a long message (text, or `sandesh_continued`)."""
    delivery = job.delivery
    if delivery.sent_as != "template":
        return transport.send_text(body=delivery.body, **common), "text", delivery.language or ""
    if delivery.purpose in STAFF_ALERTS:
        name, lang = choose_template(job.school, "reminder", delivery.language or "ne")
        params = {"school": job.school.display_name(lang), "message": delivery.body}
    else:
        name, lang = choose_template(job.school, "continued", delivery.language or "ne")
        params = long_messages.continuation_params(
            job.school.display_name(lang), delivery.part, delivery.parts, delivery.body, lang
        )
    wamid = transport.send_template(name=name, language=lang, params=params, **common)
    return wamid, "template", lang


def _send_digest(job: Job, transport, common: dict) -> tuple[str, str, str]:
    """The guardian's held messages in one: text inside the window, else the digest template."""
    guardian, school = job.guardian, job.school
    if _as_text(job):
        body = digest_messages.render_digest(job.items, school, job.children, guardian.language)
        return transport.send_text(body=body, **common), "text", guardian.language
    name, language = choose_template(school, "digest", guardian.language)
    params = digest_messages.digest_params(job.items, school, job.children, language)
    wamid = transport.send_template(name=name, language=language, params=params, **common)
    return wamid, "template", language


def _write_down(job: Job, plan, language: str) -> None:
    """A long message's later parts are committed before its first part goes."""
    job.followed = plan.count > 1
    if parts.write_down(job.delivery, plan, to_phone=job.guardian.phone, language=language):
        db.session.commit()


def _update_sending(delivery: sa.Row, **values) -> int:
    result = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id == delivery.id, Delivery.status == DeliveryStatus.SENDING)
        .values(lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _finish(delivery: sa.Row, *, status: str, code=None, reason=None) -> str:
    values = {"status": status, "error_code": code, "error_reason": reason}
    if status == DeliveryStatus.FAILED:
        values["failed_at"] = clock.now()
    if _update_sending(delivery, **values):
        if delivery.purpose == DIGEST:
            digests.mirror(delivery.id)
        elif delivery.broadcast_id is not None:
            parts.end_with(delivery, status, reason)
    return status


def _defer(delivery: sa.Row, seconds: float, *, counts_as_attempt=True, **values) -> str:
    if not counts_as_attempt:
        values["attempts"] = Delivery.attempts - 1
    _update_sending(
        delivery,
        status=DeliveryStatus.PENDING,
        next_attempt_at=clock.now() + timedelta(seconds=seconds),
        **values,
    )
    return "deferred"


def _handle_error(job: Job, exc: Exception) -> str:
    delivery, action = job.delivery, classify(exc)
    code = getattr(exc, "code", None)
    detail = (getattr(exc, "details", "") or str(exc) or str(error_reason(exc)))[:300]
    templated = delivery.body is None or delivery.purpose in STAFF_ALERTS
    if action is Action.RESEND_AS_TEMPLATE and not templated:
        return _finish(
            delivery, status=DeliveryStatus.FAILED, code=code, reason=detail
        )  # no template fits
    if action is Action.RESEND_AS_TEMPLATE:
        parts.discard(delivery)  # written for text: written again for templates
        return _defer(
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
        return _defer(delivery, wait, error_code=code, error_reason=detail)
    if action in (Action.FAIL_AND_ALERT, Action.PAUSE_SCHOOL):
        alerts.raise_for(
            school_id=delivery.school_id,
            code=code,
            pause=action is Action.PAUSE_SCHOOL,
            details=detail,
        )
    return _finish(delivery, status=DeliveryStatus.FAILED, code=code, reason=detail)
