"""What one claimed delivery sends: a direct reply, a staff alert or a long message's later
part as it was written down (text, reply buttons, the reminder template or
`sandesh_continued`); a parent's daily digest; a broadcast inside the parent's 24-hour window
as text (with its Seen button where it fits one message); outside it, the school's approved
template in the parent's language or the fallback, with its Seen quick reply, a Nepali
reader's text carried in the one parameter of a template declared in English. A long
message's later parts are written down (committed) before its first goes."""

from portal.extensions import db
from portal.models import DIGEST
from portal.services.delivery import acknowledgements, digests, parts
from portal.services.delivery.claims import Job
from portal.services.wording import digest_messages, long_messages, parent_messages
from portal.services.wording.template_texts import BODIES, TEMPLATE_PURPOSE, carried
from portal.services.wording.templates import Chosen, choose_template
from portal.whatsapp.outgoing import MAX_INTERACTIVE_BODY

# Direct messages Sandesh starts itself (not replies): outside the reader's 24-hour window
# they go as the reminder template.
STAFF_ALERTS = ("absence_streak", "weekly_summary")


class NoTemplate(Exception):
    """No approved template for the purpose in the parent's language or the fallback."""

    def __init__(self, purpose: str, language: str):
        super().__init__(purpose, language)
        self.purpose, self.language = purpose, language


def send_message(job: Job, transport, common: dict, *, inside: bool) -> tuple[str, str, str]:
    """Send it through the transport; the wamid, how it went (text, interactive, template)
    and the language the parent reads. `inside`: the parent's window is open."""
    delivery, guardian = job.delivery, job.guardian
    if delivery.body is not None:
        return _send_written(job, transport, common)
    if delivery.purpose == DIGEST:
        return _send_digest(job, transport, common, inside=inside)
    if inside and delivery.sent_as != "template":
        plan = long_messages.plan_text(job.broadcast, job.school, job.children, guardian.language)
        write_down(job, plan, guardian.language)
        if plan.count == 1 and len(plan.first) <= MAX_INTERACTIVE_BODY:
            seen = [acknowledgements.seen_button(delivery.id, guardian.language)]
            wamid = transport.send_interactive(body=plan.first, buttons=seen, **common)
        else:
            wamid = transport.send_text(body=plan.first, **common)
        return wamid, "text", guardian.language
    return _send_template(job, transport, common)


def _send_template(job: Job, transport, common: dict) -> tuple[str, str, str]:
    broadcast, school, language = job.broadcast, job.school, job.guardian.language
    purpose = TEMPLATE_PURPOSE[broadcast.kind]
    chosen = chosen_template(school, purpose, language)
    values = parent_messages.template_params(broadcast, school, job.children, chosen.reads)
    plan = long_messages.plan_template(
        broadcast,
        school,
        job.children,
        chosen.reads,
        form=school.long_notice_form,
        carries=chosen.carries,
        params=dict(values),
    )
    write_down(job, plan, chosen.reads)
    if "message" in values:
        values["message"] = plan.first
    return send_template(transport, common, chosen, purpose, values, job.delivery.id)


def _send_written(job: Job, transport, common: dict) -> tuple[str, str, str]:
    """A message whose words were written down already: a direct reply (the person just
    wrote), with its reply buttons if it has any, or a later part of a long message."""
    delivery = job.delivery
    language = delivery.language or ""
    if delivery.sent_as != "template":
        if delivery.buttons:
            wamid = transport.send_interactive(
                body=delivery.body, buttons=delivery.buttons, **common
            )
            return wamid, "interactive", language
        return transport.send_text(body=delivery.body, **common), "text", language
    if delivery.purpose in STAFF_ALERTS:  # to staff: no Seen to tap
        chosen = chosen_template(job.school, "reminder", language or "ne")
        values = {"school": job.school.display_name(chosen.reads), "message": delivery.body}
        return send_template(transport, common, chosen, "reminder", values, None)
    chosen = chosen_template(job.school, "continued", language or "ne")
    values = long_messages.continuation_params(
        job.school.display_name(chosen.reads),
        delivery.part,
        delivery.parts,
        delivery.body,
        chosen.reads,
    )
    return send_template(transport, common, chosen, "continued", values, delivery.first_id)


def trim_digest(job: Job, *, inside: bool) -> bool:
    """Let go of the held messages a digest template cannot carry whole (committed before
    the digest goes without them: they go on their own, or with the next digest); whether
    nothing is left to carry."""
    if job.items and not inside:
        chosen = choose_template(job.school, "digest", job.guardian.language)
        reads, carries = (chosen.reads, chosen.carries) if chosen else ("en", False)
        keep = digest_messages.fitting(job.items, job.school, job.children, reads, carries=carries)
        if keep < len(job.items):
            gone = [item.delivery_id for item in job.items[keep:]]
            digests.let_go(gone, alone=keep == 0)
            db.session.commit()
            job.items = job.items[:keep]
    return not job.items


def _send_digest(job: Job, transport, common: dict, *, inside: bool) -> tuple[str, str, str]:
    """The guardian's held messages in one: text inside the window (with Seen where it fits
    one message), else the digest template."""
    guardian, school, delivery = job.guardian, job.school, job.delivery
    if inside:
        body = digest_messages.render_digest(job.items, school, job.children, guardian.language)
        if len(body) <= MAX_INTERACTIVE_BODY:
            seen = [acknowledgements.seen_button(delivery.id, guardian.language)]
            wamid = transport.send_interactive(body=body, buttons=seen, **common)
        else:
            wamid = transport.send_text(body=body, **common)
        return wamid, "text", guardian.language
    chosen = chosen_template(school, "digest", guardian.language)
    values = digest_messages.digest_params(job.items, school, job.children, chosen.reads)
    return send_template(transport, common, chosen, "digest", values, delivery.id)


def chosen_template(school, purpose: str, language: str) -> Chosen:
    """The template a parent gets for a purpose; NoTemplate when none is approved."""
    chosen = choose_template(school, purpose, language)
    if chosen is None:
        raise NoTemplate(purpose, language)
    return chosen


def send_template(
    transport, common, chosen: Chosen, purpose, values, seen_id, *, media: dict | None = None
) -> tuple:
    """Send the chosen template with these values (carried, for a template declared in
    another language) and a Seen payload for each of its quick replies; `media` (kind,
    media_id, filename) makes an uploaded photo or PDF its header."""
    if chosen.carries:
        values = {"message": carried(BODIES[(purpose, chosen.reads)], values)}
    quick = [f"seen:{seen_id}" for _label in chosen.buttons] if seen_id else []
    send = transport.send_template if media is None else transport.send_media_template
    wamid = send(
        name=chosen.name,
        language=chosen.language,
        params=values,
        quick_replies=quick,
        **(media or {}),
        **common,
    )
    return wamid, "template", chosen.reads


def write_down(job: Job, plan, language: str) -> None:
    """A long message's later parts are committed before its first part goes; its last
    text part carries the Seen button."""
    job.followed = plan.count > 1
    if parts.write_down(job.delivery, plan, to_phone=job.guardian.phone, language=language):
        acknowledgements.seen_on_last_part(job.delivery.id, language)
        db.session.commit()
