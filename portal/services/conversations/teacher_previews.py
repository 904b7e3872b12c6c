"""The preview a teacher confirms: its number, who it reaches and when, how the daily
WhatsApp limit, the digest, the daily cap and a long notice's parts meet it, what it should
cost, and the message as parents will see it, with YES and NO reply buttons tied to its
number (`teacher_replies` has the other answers)."""

from dataclasses import dataclass

from flask_babel import gettext as _

from portal.models import Broadcast
from portal.services.broadcasting.preview import Preview, cost_words, limit_words
from portal.services.common import dates
from portal.services.conversations.teacher_replies import locale, n, when_text
from portal.services.wording.parent_messages import KIND_LABELS
from portal.whatsapp.outgoing import MAX_INTERACTIVE_BODY


@dataclass
class Reply:
    """A reply to a teacher: its text, its reply buttons, and (when the whole would not fit an
    interactive message) the part sent first, as plain text."""

    text: str
    buttons: list[dict] | None = None
    first: str | None = None


# The preview's buttons, tied to its number: a tap is the same as typing YES 6 / NO 6.
YES_NO = {"en": ("YES", "NO"), "ne": ("हो", "होइन")}


def preview_buttons(broadcast: Broadcast) -> list[dict]:
    yes, no = YES_NO[locale()]
    return [{"id": f"yes:{broadcast.id}", "title": yes}, {"id": f"no:{broadcast.id}", "title": no}]


def preview_reply(broadcast: Broadcast, shown: Preview, *, notes: list[str] = ()) -> Reply:
    """The preview with YES and NO buttons; when it is longer than an interactive message
    takes, the message as parents will see it goes first, on its own."""
    whole = preview_text(broadcast, shown, notes=notes)
    if len(whole) <= MAX_INTERACTIVE_BODY:
        return Reply(whole, preview_buttons(broadcast))
    rest = "\n".join(_preview_lines(broadcast, shown, notes, sample=False))
    if len(rest) > MAX_INTERACTIVE_BODY:
        return Reply(whole)
    first = "\n".join([_("Parents will see:"), shown.texts[locale()]])
    return Reply(rest, preview_buttons(broadcast), first=first)


def preview_text(broadcast: Broadcast, shown: Preview, *, notes: list[str] = ()) -> str:
    """What the teacher confirms: its number, kind, classes, parents reached, when, languages,
    anything to know first (`notes`), and the text as parents will see it."""
    return "\n".join(_preview_lines(broadcast, shown, notes, sample=True))


def _preview_lines(broadcast: Broadcast, shown: Preview, notes, *, sample: bool) -> list[str]:
    skipped = " " + _("(%(n)s opted out, skipped)", n=n(shown.opted_out)) if shown.opted_out else ""
    seen = [_("Parents will see:"), shown.texts[locale()]]
    if not sample:
        seen = [_("Parents will see the message above.")]
    lines = [
        _(
            "Preview #%(id)s — %(kind)s to %(classes)s",
            id=n(broadcast.id),
            kind=KIND_LABELS[broadcast.kind],
            classes=", ".join(broadcast.targets),
        ),
        _("Parents: %(count)s", count=n(shown.receiving)) + skipped,
        *[line for line in (limit_words(shown, locale()), cost_words(shown, locale())) if line],
        _("When: %(when)s", when=when_text(broadcast)),
        *waiting_lines(shown),
        *holiday_line(shown),
        *parts_line(shown),
        _("Languages: %(languages)s", languages=languages_text(shown.languages)),
        *notes,
        "",
        *seen,
        "",
        _(
            "Reply YES to send or NO to discard (YES %(id)s / NO %(id)s for this one).",
            id=n(broadcast.id),
        ),
    ]
    return lines


def parts_line(shown: Preview) -> list[str]:
    """How many messages a long notice takes, when it takes more than one."""
    inside, outside = n(shown.messages_in_window), n(shown.messages_outside)
    if shown.more_on_reply:
        return [
            _(
                "Long message: %(inside)s messages for parents who wrote in the last 24 hours; "
                "the others get the opening, and the rest when they reply MORE.",
                inside=inside,
            )
        ]
    if shown.messages_in_window == shown.messages_outside == 1:
        return []
    return [
        _(
            "Long message: it reaches parents in %(outside)s parts (%(inside)s if they wrote "
            "to the school in the last 24 hours).",
            inside=inside,
            outside=outside,
        )
    ]


def holiday_line(shown: Preview) -> list[str]:
    """`That day is Bhai Tika (a holiday); it is sent anyway.` when it is."""
    if shown.holiday is None:
        return []
    return [_("That day is %(holiday)s; it is sent anyway.", holiday=shown.holiday.label(locale()))]


def waiting_lines(shown: Preview) -> list[str]:
    """How parents get it when it waits: in the daily digest, or the next morning for those
    who had the school's most messages today."""
    if shown.digest_at is not None:
        return [
            _(
                "Parents get it in the daily digest at %(when)s, in one message with the "
                "day's other notices.",
                when=dates.format_dual_datetime(shown.digest_at, locale()),
            )
        ]
    if shown.at_cap:
        return [
            _(
                "Parents at the daily limit (%(cap)s a day): %(count)s; they get this one at "
                "%(when)s.",
                count=n(shown.at_cap),
                cap=n(shown.daily_cap),
                when=dates.format_dual_datetime(shown.next_morning, locale()),
            )
        ]
    return []


def languages_text(given: list[str]) -> str:
    names = {"ne": _("Nepali"), "en": _("English")}
    return ", ".join(names[lang] for lang in given or ["ne", "en"])
