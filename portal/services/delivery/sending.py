"""Sending claimed deliveries: admit them through the speed limits, send each in the
guardian's language (text inside the 24-hour window, a template outside it), store the wamid
at once; what an error or a missing template means for it is `outcomes`.

Every state change is a conditional update on the delivery's current status, so a status
webhook, the sweeper and a worker can race without undoing each other's work.
"""

import time
from datetime import timedelta

from flask import current_app

from portal.models import DIGEST, DeliveryStatus, School
from portal.services.common import clock
from portal.services.common.secrets import decrypt
from portal.services.delivery import (
    budget,
    caps,
    composing,
    digests,
    media_sending,
    outcomes,
    parts,
    ratelimit,
    statuses,
)
from portal.services.delivery.claims import Job
from portal.services.delivery.composing import STAFF_ALERTS, NoTemplate, send_message
from portal.services.delivery.ledger import Ledger
from portal.services.delivery.reasons import DAILY_CAP
from portal.services.media import uploads
from portal.whatsapp.errors import GraphError, TransportError

WINDOW = timedelta(hours=24) - timedelta(minutes=5)  # a little margin before Meta's 24 hours


def admit(jobs: list[Job]) -> list[Job]:
    """The jobs that may go: those the portfolio's messaging limit has a place for (the
    rest wait for one), each with its person and a token of its number's bucket reserved:
    one call to the limiter per number in the batch (normally one), not one per message."""
    jobs = budget.take_places(jobs, recipient_of=_to, needs_place=needs_place)
    _reserve(jobs)
    return jobs


def needs_place(job: Job) -> bool:
    """Whether the message counts against the messaging limit: a broadcast's, to a parent
    outside their 24-hour window (a template)."""
    delivery = job.delivery
    if delivery.purpose in STAFF_ALERTS:  # a reminder template outside the reader's window
        return delivery.sent_as == "template"
    if delivery.body is not None or job.guardian is None:
        return False
    return not window_open(job.guardian) or delivery.sent_as == "template"


def _reserve(jobs: list[Job]) -> None:
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
        return outcomes.defer(delivery, job.person_busy, counts_as_attempt=False)
    if (wait := job.due - time.monotonic()) > 0:
        time.sleep(wait)
    cancelled, paused = ledger.gate(delivery)
    if cancelled or paused or _nothing_to_carry(job):
        _release(job)
        if not paused:
            return outcomes.finish(delivery, status=DeliveryStatus.CANCELLED)
        return outcomes.defer(delivery, 60, counts_as_attempt=False)
    if (later := _capped(job)) is not None:
        _release(job)
        wait = (later - clock.now()).total_seconds()
        return outcomes.defer(delivery, wait, counts_as_attempt=False, error_reason=DAILY_CAP)
    number, to = sender_number(job.school), _to(job)
    try:
        wamid, sent_as, language = _send_message(job, transport, number, to)
    except (GraphError, TransportError) as exc:
        _release(job)  # nothing reached the parent
        return outcomes.handle_error(job, exc)
    except NoTemplate as missing:
        _release(job)
        return outcomes.wait_for_template(job, missing)
    _accepted(job, ledger, wamid=wamid, sent_as=sent_as, language=language)
    return DeliveryStatus.ACCEPTED


def _accepted(job: Job, ledger: Ledger, **sent) -> None:
    """Meta took it: the wamid stored at once, the digest's messages and the next part
    of a long message follow."""
    delivery = job.delivery
    if ledger.accepted(delivery, **sent):
        statuses.apply_pending(sent["wamid"])
    if delivery.purpose == DIGEST:
        digests.mirror(delivery.id)  # the messages it carries are sent too
    if job.followed or delivery.first_id is not None:
        parts.release_after(delivery)


def _to(job: Job) -> str:
    delivery = job.delivery
    return recipient(job.guardian, delivery.to_phone, getattr(delivery, "to_user_id", None))


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
    return composing.trim_digest(job, inside=_as_text(job))


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
    return f"{sender_number(job.school)}:{_to(job)}"


def _release(job: Job) -> None:
    """Free the person's gap for a message that did not reach them."""
    ratelimit.get_limiter(current_app.config["REDIS_URL"]).release_pair(_pair(job))


def sender_number(school: School) -> str:
    """The school's WhatsApp business number id (the sandbox gives schools without one a name)."""
    if school.phone_number_id:
        return school.phone_number_id
    return f"sandbox-{school.slug}"


def recipient(guardian, to_phone: str | None = None, to_user_id: str | None = None) -> str:
    """The `to` of a message: the WhatsApp id when known, else the number without its +, else
    (someone known only by it) the business-scoped user id."""
    if guardian is None:
        return (to_phone or "").lstrip("+") or to_user_id or ""
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
    delivery = job.delivery
    common = {
        "phone_number_id": number,
        "token": access_token(job.school),
        "to": to,
        "callback_data": statuses.callback_data(delivery.id),
    }
    inside = job.guardian is not None and window_open(job.guardian)
    if _with_media(job):  # a photo or PDF with the words
        as_text = inside and delivery.sent_as != "template"
        return media_sending.send(job, transport, common, window_open=as_text)
    return send_message(job, transport, common, inside=inside)


def _with_media(job: Job) -> bool:
    """A broadcast's own message that carries its photo or PDF (not a later part, a direct
    reply or a digest)."""
    delivery, broadcast = job.delivery, job.broadcast
    has_media = broadcast is not None and broadcast.media_file_id is not None
    return has_media and delivery.body is None and delivery.purpose != DIGEST
