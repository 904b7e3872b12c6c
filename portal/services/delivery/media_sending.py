"""Sending a broadcast's photo or PDF to one guardian: the file uploaded once per sending
number (`media/uploads`), then inside the 24-hour window an image or document message with
the framed words as its caption (a longer message's rest following as parts), outside it
the media template with the file as its header. A media id Meta no longer has is uploaded
again and the message sent once more, at once. Everything else (limits, retries, statuses,
the ledger) is the text path's."""

from portal.services.delivery import composing
from portal.services.media import uploads
from portal.services.wording import long_messages, media_messages
from portal.whatsapp.errors import GraphError

MEDIA_GONE = 131053  # "Media upload error": Meta could not use the media id


def send(job, transport, common: dict, *, window_open: bool) -> tuple[str, str, str]:
    """(wamid, sent_as, language) of the first message of this delivery."""
    media = job.broadcast.media_file
    try:
        return _send(job, transport, common, media, window_open)
    except GraphError as exc:
        if exc.code != MEDIA_GONE:
            raise
    uploads.forget(
        phone_number_id=common["phone_number_id"],
        sha256=media.sha256,
        media_id=job.media_id_used,
    )
    return _send(job, transport, common, media, window_open)


def _send(job, transport, common, media, window_open: bool) -> tuple[str, str, str]:
    job.media_id_used = media_id = uploads.media_id_for(
        media=media,
        phone_number_id=common["phone_number_id"],
        token=common["token"],
        transport=transport,
    )
    filename = media.filename if media.kind == "document" else None
    guardian, broadcast, school = job.guardian, job.broadcast, job.school
    if window_open:
        plan = media_messages.plan_caption(broadcast, school, job.children, guardian.language)
        composing.write_down(job, plan, guardian.language)
        wamid = transport.send_media(
            kind=media.kind, media_id=media_id, caption=plan.first, filename=filename, **common
        )
        return wamid, media.kind, guardian.language
    purpose = media_messages.template_purpose(media)
    chosen = composing.chosen_template(school, purpose, guardian.language)
    plan = long_messages.plan_template(
        broadcast,
        school,
        job.children,
        chosen.reads,
        form=school.long_notice_form,
        carries=chosen.carries,
    )
    composing.write_down(job, plan, chosen.reads)
    values = media_messages.template_params(
        broadcast, school, job.children, chosen.reads, plan.first
    )
    header = {"kind": media.kind, "media_id": media_id, "filename": filename}
    return composing.send_template(
        transport, common, chosen, purpose, values, job.delivery.id, media=header
    )
