"""A teacher's photo or PDF on WhatsApp: with a caption that is a notice command (`5A: exam
routine`, `सूचना ५क: …`, with `@` times and `||`) it becomes a media notice, previewed once
the file is downloaded (in a task: an inbound media id lasts only days); without a caption
Sandesh asks for the classes, and the teacher's next notice command within a few minutes is
its caption. Stickers, voice notes and videos are refused with the reason. Each step is a
conditional update, so the download and the caption may arrive in either order and the
draft is made once."""

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.extensions import db
from portal.models import InboundMessage, Kind, School
from portal.services.common import clock
from portal.services.conversations import commands, teacher_commands, teacher_replies
from portal.services.delivery import outbox, replies
from portal.services.media.refusals import describe

MEDIA = ("image", "document")
NOT_SENDABLE = ("sticker", "audio", "video", "unsupported")
CAPTION_WAIT = timedelta(minutes=10)
_inbound = InboundMessage.__table__


def act(*, message: InboundMessage, teacher, school: School) -> str | None:
    """Handle a teacher's media message, or a notice command that captions a waiting photo;
    None when the message is for the text commands."""
    if message.type in MEDIA:
        outbox.download_after_commit(message.id)
        if (message.text or "").strip():
            return "media"  # the preview follows the download
        message.awaits_caption = True
        _reply(teacher, school, message.id, _ask_for_classes)
        return "media_waiting"
    if message.type in NOT_SENDABLE:
        _reply(teacher, school, message.id, _not_sendable)
        return "media_refused"
    if message.type == "text" and message.text:
        command = commands.parse(message.text, now=clock.now())
        if isinstance(command, commands.Broadcast) and command.kind != Kind.ABSENCE:
            return _caption(message, teacher, school)
    return None


def _caption(message: InboundMessage, teacher, school: School) -> str | None:
    """This text captions the teacher's photo waiting since a few minutes, if there is one."""
    photo_id = db.session.scalar(
        sa.select(InboundMessage.id)
        .where(
            InboundMessage.teacher_id == teacher.id,
            InboundMessage.awaits_caption,
            InboundMessage.sent_at >= message.sent_at - CAPTION_WAIT,
            InboundMessage.id != message.id,
        )
        .order_by(InboundMessage.sent_at.desc(), InboundMessage.id.desc())
        .limit(1)
    )
    if photo_id is None:
        return None
    taken = db.session.execute(
        sa.update(_inbound)
        .where(_inbound.c.id == photo_id, _inbound.c.awaits_caption)
        .values(awaits_caption=False, text=message.text)
        .returning(_inbound.c.media_file_id, _inbound.c.media_error)
    ).first()
    if taken is None:
        return None  # another message took it first
    if taken.media_error:
        _reply(teacher, school, message.id, lambda: _refused_text(describe(taken.media_error)))
        return "media_refused"
    if taken.media_file_id is not None:
        propose(photo_id, teacher=teacher, school=school)
    return "media"  # else the download, when it ends, proposes it


def downloaded(message_id: int, *, teacher, school: School, media_file_id: int) -> None:
    """The file is kept: propose its notice now if its caption is known."""
    row = db.session.execute(
        sa.update(_inbound)
        .where(_inbound.c.id == message_id, _inbound.c.media_file_id.is_(None))
        .values(media_file_id=media_file_id, media_error=None)
        .returning(_inbound.c.awaits_caption, _inbound.c.text)
    ).first()
    if row is not None and not row.awaits_caption and (row.text or "").strip():
        propose(message_id, teacher=teacher, school=school)


def refused(message_id: int, *, teacher, school: School, error) -> None:
    """The file is not one to send: say why, unless a caption is still awaited (then the
    reason comes when the caption does)."""
    row = db.session.execute(
        sa.update(_inbound)
        .where(_inbound.c.id == message_id, _inbound.c.media_file_id.is_(None))
        .values(media_error=error.code)
        .returning(_inbound.c.awaits_caption)
    ).first()
    if row is not None:
        _reply(teacher, school, message_id, lambda: _refused_text(str(error)))


def propose(message_id: int, *, teacher, school: School) -> None:
    """The draft (or, without confirmation, the broadcast) of a captioned file, answered."""
    message = db.session.get(InboundMessage, message_id, populate_existing=True)
    command = commands.parse(message.text or "", now=clock.now())
    with force_locale(teacher.language):
        if isinstance(command, commands.Broadcast) and command.kind != Kind.ABSENCE:
            text = teacher_commands.propose(
                command, teacher=teacher, school=school, media_file_id=message.media_file_id
            )
        elif isinstance(command, commands.Broadcast):
            text = _("An absence list cannot carry a photo or PDF.")
        else:
            text = _caption_help(command)
    teacher_commands.send_reply(text, teacher=teacher, school=school, message_id=message_id)


def _caption_help(command) -> str:
    reason = teacher_replies.explain(
        getattr(command, "reason_code", "") or "unknown_command", getattr(command, "hint", None)
    )
    return "\n".join([_("The caption of a photo or PDF is its notice command."), reason])


def _reply(teacher, school: School, message_id: int, write) -> None:
    with force_locale(teacher.language):
        text = write()
    replies.queue_reply(
        school_id=school.id,
        to_phone=teacher.phone,
        body=text,
        purpose="teacher_reply",
        inbound_message_id=message_id,
        language=teacher.language,
    )


def _ask_for_classes() -> str:
    return "\n".join(
        [
            _("Got your photo. Which classes is it for?"),
            _(
                "Reply within %(minutes)s minutes with the classes and a few words, for "
                "example: %(example)s",
                minutes=teacher_replies.n(CAPTION_WAIT.seconds // 60),
                example="5A: Exam routine",
            ),
        ]
    )


def _not_sendable() -> str:
    return "\n".join(
        [
            describe("not_media"),
            _(
                "Send a photo or a PDF with the classes as its caption, for example: %(example)s",
                example="5A: Exam routine",
            ),
            _("Nothing was sent."),
        ]
    )


def _refused_text(reason: str) -> str:
    return "\n".join([reason, _("Nothing was sent.")])
