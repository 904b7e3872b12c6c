"""What a parent reads with a photo or PDF. Inside the 24-hour window the framed message is
the file's caption, which Meta limits to 1,024 characters: a longer message keeps its
opening as the caption, numbered (1/3), and the rest follows as texts of up to 4,096 (the
long-notice parts). Outside the window the file is the header of the media template and the
words are its parameters, as for a text notice."""

from portal.services.wording import long_messages, parent_messages
from portal.services.wording.template_texts import MEDIA_PURPOSE
from portal.whatsapp.outgoing import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH

CAPTION_ROOM = MAX_CAPTION_LENGTH - long_messages.MARGIN
TEXT_ROOM = MAX_TEXT_LENGTH - long_messages.MARGIN


def plan_caption(broadcast, school, children, language: str) -> long_messages.Plan:
    """The caption and any texts after it, in the guardian's language."""
    body = parent_messages.render_text(broadcast, school, children, language)
    lang = "en" if language == "en" else "ne"
    first, *later = long_messages.split(body, CAPTION_ROOM)
    rest = _joined(later, TEXT_ROOM)
    parts = long_messages.numbered([first, *rest], lang, newline=True)
    return long_messages.Plan("text", parts[0], parts[1:])


def _joined(pieces: list[str], limit: int) -> list[str]:
    """Consecutive pieces put together into as few texts as fit."""
    texts: list[str] = []
    for piece in pieces:
        if texts and len(texts[-1]) + 2 + len(piece) <= limit:
            texts[-1] = f"{texts[-1]}\n\n{piece}"
        else:
            texts.append(piece)
    return texts


def template_purpose(media) -> str:
    """The shipped template whose header carries this file."""
    return MEDIA_PURPOSE[media.kind]


def template_params(broadcast, school, children, lang: str, message: str) -> dict[str, str]:
    """The media template's parameters (school, students, message) in its language."""
    params = parent_messages.template_params(broadcast, school, children, lang)
    return {
        "school": params["school"],
        "students": params.get("students") or parent_messages.children_label(children, lang),
        "message": message or params.get("message", ""),
    }
