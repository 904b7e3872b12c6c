"""What Sandesh writes back to a teacher, in the teacher's language (the caller forces it):
the preview to confirm, when a broadcast goes, its status, help, and what was not understood
with an example of the right form."""

from datetime import timedelta

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.lexicon.numerals import localize_digits
from portal.models import Broadcast, BroadcastStatus
from portal.services.common import clock, dates
from portal.services.delivery import digests
from portal.services.media.refusals import human_size
from portal.services.wording.parent_messages import KIND_LABELS

EXAMPLES = {
    "notice": "5A: Tomorrow school is closed for Tihar.",
    "homework": "HW 5A Science: Page 23, exercises 1-5",
    "absence": "ABSENT 5A: 3 7 12",
    "cancel": "CANCEL 42",
    "status": "STATUS 42",
    "recurring": "EVERY DAY 6am 5A: Bring your lunch box.",
    "monthly": "EVERY MONTH 1 10:00 ALL: Fees are due this week.",
}
UNCLEAR = {
    "empty_message": (_l("Your message was empty."), "notice"),
    "unknown_command": (
        _l("I did not understand that. Start with the classes, a colon, then the message."),
        "notice",
    ),
    "no_colon": (_l("Put a colon after the classes, then the message: %(hint)s"), "notice"),
    "no_targets": (_l("Start with the classes the message is for."), "notice"),
    "unknown_target": (_l("I do not know the class “%(hint)s”."), "notice"),
    "one_class": (_l("Send absences for one class at a time."), "absence"),
    "empty_text": (_l("There is no message after the colon."), "notice"),
    "no_rolls": (_l("List the roll numbers of the absent students."), "absence"),
    "bad_rolls": (_l("“%(hint)s” is not a roll number."), "absence"),
    "bad_time": (
        _l("I could not read the time “%(hint)s”. Write it like @ 6:00 or @ tomorrow 7am."),
        "notice",
    ),
    "past_time": (_l("That time has already passed."), "notice"),
    "too_far": (_l("That time is more than a year away. Check the year."), "notice"),
    "two_times": (_l("Give only one time with @."), "notice"),
    "bad_id": (_l("Give the number of the message, as in the example."), "status"),
    "recurring_period": (
        _l("Say how often: EVERY DAY, EVERY SUNDAY or EVERY MONTH 1 (a Bikram Sambat day)."),
        "recurring",
    ),
    "recurring_day": (_l("Give the day of the month, from 1 to 32, after EVERY MONTH."), "monthly"),
    "recurring_time": (_l("Give the time it goes, such as 6am or बिहान ६ बजे."), "recurring"),
    "recurring_kind": (_l("Absence lists and emergencies cannot repeat."), "recurring"),
}


def locale() -> str:
    """The language the reply is being written in (`ne` or `en`)."""
    lang = str(get_locale())
    return lang if lang in ("ne", "en") else "ne"


def n(number) -> str:
    """A number in the reply's script (Devanagari digits for Nepali)."""
    return localize_digits(str(number), locale())


def class_name(school_class) -> str:
    """A class as the reply's reader writes it: `5A`, or `५क` in Nepali."""
    return school_class.name_ne if locale() == "ne" else school_class.name


def attachment_line(media) -> str:
    """`Attached: PDF “routine.pdf”, 3 pages, 1.2 MB`: what the parents' file is."""
    size = human_size(media.size, locale())
    if media.kind == "document":
        return _(
            "Attached: PDF “%(name)s”, %(pages)s pages, %(size)s",
            name=media.filename,
            pages=n(media.pages or 0),
            size=size,
        )
    return _("Attached: photo “%(name)s”, %(size)s", name=media.filename, size=size)


def _summary(broadcast: Broadcast) -> str:
    """`#6 · Notice to 5A · “Tomorrow school is…”`: a draft in one line."""
    written = (broadcast.body_ne if locale() == "ne" else None) or broadcast.body_en
    text = " ".join((written or broadcast.body_ne or "").split())
    short = text if len(text) <= 40 else text[:39].rstrip() + "…"
    line = _(
        "#%(id)s · %(kind)s to %(classes)s",
        id=n(broadcast.id),
        kind=KIND_LABELS[broadcast.kind],
        classes=", ".join(broadcast.targets),
    )
    return f"{line} · “{short}”" if short else line


def which_one_text(drafts: list[Broadcast], confirming: bool) -> str:
    """Several previews wait: which one the YES (or NO) is for."""
    newest = n(drafts[0].id)
    ask = (
        _("Reply YES %(id)s to send that one, or NO %(id)s to discard it.", id=newest)
        if confirming
        else _("Reply NO %(id)s to discard that one, or YES %(id)s to send it.", id=newest)
    )
    lines = [_("You have %(count)s previews waiting:", count=n(len(drafts)))]
    return "\n".join([*lines, *(_summary(draft) for draft in drafts), ask])


def nothing_waiting_text(confirming: bool) -> str:
    if not confirming:
        return _("There is nothing to discard.")
    return _(
        "There is nothing waiting for your YES. Send a message first, for example: %(example)s",
        example=EXAMPLES["notice"],
    )


def no_such_message(broadcast_id: int) -> str:
    return _("You have no message #%(id)s.", id=n(broadcast_id))


def not_waiting_text(broadcast: Broadcast) -> str:
    """A YES or NO for a preview that no longer waits for one."""
    if broadcast.status == BroadcastStatus.DRAFT:
        return expired_text(broadcast)
    if broadcast.status == BroadcastStatus.CANCELLED:
        return _(
            "#%(id)s was discarded or cancelled. Nothing more will be sent.", id=n(broadcast.id)
        )
    return _(
        "#%(id)s is already confirmed: it is %(status)s. Reply STATUS %(id)s to see how it goes.",
        id=n(broadcast.id),
        status=status_word(broadcast.status),
    )


def expired_text(broadcast: Broadcast) -> str:
    return _(
        "Preview #%(id)s waited more than a day and has expired. Nothing was sent; send it "
        "again if it is still needed.",
        id=n(broadcast.id),
    )


def no_such_rolls(school_class, missing: list[int]) -> str:
    return _(
        "Class %(cls)s has no student with roll number %(rolls)s.",
        cls=class_name(school_class),
        rolls=", ".join(n(roll) for roll in missing),
    )


def already_absent_text(students) -> str:
    """Students on the list who were marked absent today already: not messaged again."""
    named = ", ".join(
        _("roll %(roll)s (%(name)s)", roll=n(s.roll), name=s.display_name(locale()))
        for s in students
    )
    return _("Already marked absent today, not messaged again: %(students)s.", students=named)


def nobody_new_text(broadcast: Broadcast) -> str:
    return _(
        "Everyone on #%(id)s was already marked absent today. Nothing was sent again.",
        id=n(broadcast.id),
    )


def when_text(broadcast: Broadcast) -> str:
    if broadcast.scheduled_at <= clock.now() + timedelta(minutes=1):
        return _("now")
    return _(
        "%(when)s (Nepal time)",
        when=dates.format_dual_datetime(broadcast.scheduled_at, locale()),
    )


def scheduled_text(broadcast: Broadcast) -> str:
    school = broadcast.school
    if (
        digests.holds(school, broadcast.kind) and broadcast.media_file_id is None
    ):  # a file goes alone
        return _(
            "#%(id)s will reach parents in the daily digest at %(when)s. "
            "Reply CANCEL %(id)s to stop it.",
            id=n(broadcast.id),
            when=dates.format_dual_datetime(
                digests.next_digest_at(school, broadcast.scheduled_at), locale()
            ),
        )
    if broadcast.scheduled_at <= clock.now() + timedelta(minutes=1):
        return _("Sending #%(id)s now. Reply STATUS %(id)s to see how it goes.", id=n(broadcast.id))
    return _(
        "#%(id)s will be sent %(when)s. Reply CANCEL %(id)s to stop it.",
        id=n(broadcast.id),
        when=when_text(broadcast),
    )


def status_word(status: str) -> str:
    words = {
        "draft": _("waiting for your YES"),
        "scheduled": _("scheduled"),
        "sending": _("being sent"),
        "completed": _("sent"),
        "cancelled": _("cancelled"),
    }
    return words.get(status, status)


def status_text(broadcast: Broadcast, tally: dict[str, int]) -> str:
    text = _(
        "#%(id)s is %(status)s. Parents: %(total)s; waiting %(pending)s, sent %(sent)s, "
        "delivered %(delivered)s, read %(read)s, seen %(acknowledged)s, failed %(failed)s, "
        "skipped %(skipped)s.",
        id=n(broadcast.id),
        status=status_word(broadcast.status),
        **{name: n(value) for name, value in tally.items()},
    )
    if tally.get("waiting"):
        text += " " + _(
            "%(count)s wait for the daily WhatsApp limit and go as places free up.",
            count=n(tally["waiting"]),
        )
    return text


def help_text() -> str:
    return "\n".join(
        [
            _("Sandesh commands:"),
            _("Notice: %(example)s", example=EXAMPLES["notice"]),
            _("Several classes: 5A 5B: … · a whole grade: 5: … · everyone: ALL: …"),
            _("Homework: %(example)s", example=EXAMPLES["homework"]),
            _("Absent students: %(example)s", example=EXAMPLES["absence"]),
            _("Later: add @ 6:00, @ tomorrow 7am or @ 2082-08-15 10:00 (Nepal time)"),
            _("Every day, week or month: %(example)s", example=EXAMPLES["recurring"]),
            _("Both languages: English text || नेपाली पाठ"),
            _("Then YES to send or NO to discard (YES 42 for preview #42) · CANCEL 42 · STATUS 42"),
        ]
    )


def explain(code: str, hint: str | None = None) -> str:
    """Why a message was not understood, with an example of the right form."""
    reason, example = UNCLEAR.get(code, UNCLEAR["unknown_command"])
    if code == "no_colon" and not hint:
        reason = UNCLEAR["no_targets"][0]
    text = str(reason).replace("%(hint)s", hint or "")
    return "\n".join(
        [
            text,
            _("For example: %(example)s", example=EXAMPLES[example]),
            _("Send HELP to see every command."),
        ]
    )
