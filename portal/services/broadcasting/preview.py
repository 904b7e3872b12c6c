"""The one preview of a broadcast not yet sent: who it reaches, who is skipped, when it goes
after quiet hours, whether it waits for the school's daily digest or for the next day
(the daily cap), how the daily messaging limit meets it (who goes now, who waits and till
when), what it should cost, in which languages, and the message as each language's parents
will see it. The teacher's WhatsApp reply and the compose page only format it."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from babel.numbers import format_currency
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.lexicon.numerals import localize_digits
from portal.models import URGENT_KINDS, Broadcast, Guardian, School, SchoolClass, Student
from portal.services.broadcasting import targets
from portal.services.calendar.days import Marked, holiday_on
from portal.services.common import clock, dates
from portal.services.delivery import budget, caps, digests
from portal.services.delivery.sending import WINDOW
from portal.services.wording import long_messages, parent_messages
from portal.services.wording.parent_messages import Child
from portal.services.wording.template_texts import TEMPLATE_PURPOSE, shipped

LANGUAGES = ("ne", "en")


@dataclass
class Preview:
    """Who a checked, unsaved broadcast reaches, when it goes, and what parents read."""

    guardians: int  # everyone the targets name, opted out or not
    opted_out: int  # skipped: they replied STOP
    send_at: datetime  # after the school's quiet hours
    delayed: bool  # quiet hours moved it from the time asked for
    paused: bool  # the school's sending is paused
    languages: list[str]  # the languages the school wrote it in (none: absence alerts)
    texts: dict[str, str]  # the message as parents reading each language see it
    limit: budget.Forecast = field(default_factory=lambda: budget.Forecast(0, 0, None, None))
    outside: int = 0  # parents outside their 24-hour window (templates)
    cost: Decimal | None = None  # at the school's prices (None: no price set)
    currency: str = "NPR"
    # How many WhatsApp messages a parent gets: inside their 24-hour window, and outside it
    # (templates; in the cheaper form, the rest comes when they reply MORE).
    messages_in_window: int = 1
    messages_outside: int = 1
    more_on_reply: bool = False
    holiday: Marked | None = None  # the send day is a holiday at the school (it still goes)
    digest_at: datetime | None = None  # held: parents get it in the daily digest then
    daily_cap: int | None = None  # the school's most non-urgent messages a parent a day
    at_cap: int = 0  # parents who have had them today: theirs goes the next morning
    next_morning: datetime | None = None  # when those get it

    @property
    def receiving(self) -> int:
        return self.guardians - self.opted_out

    @property
    def templates(self) -> int:
        """Template messages it costs: each part to each parent outside their window (in the
        cheaper form only the first; the rest is text once they reply)."""
        return self.outside * (1 if self.more_on_reply else self.messages_outside)


def preview(broadcast: Broadcast, *, school: School, requested: datetime | None = None) -> Preview:
    """Recipients as of now, the send time after quiet hours, the message in both languages
    for the first guardian it reaches (with every child of theirs it names)."""
    classes = targets.resolve_classes(school_id=school.id, targets=broadcast.targets)
    who = targets.recipients(
        school_id=school.id, class_ids=[c.id for c in classes], student_ids=broadcast.student_ids
    )
    children = sample_children(who, classes)
    requested = broadcast.scheduled_at if requested is None else requested
    inside, outside = _windows(list(who))
    counts = _message_counts(broadcast, school, children)
    shown = Preview(
        guardians=len(who),
        opted_out=len(who) - inside - len(outside),
        send_at=broadcast.scheduled_at,
        delayed=broadcast.scheduled_at != requested,
        paused=school.sending_paused_at is not None,
        languages=broadcast.languages,
        texts={
            lang: parent_messages.render_text(broadcast, school, children, lang)
            for lang in LANGUAGES
        },
        limit=budget.forecast(school, inside=inside, outside=outside, kind=broadcast.kind),
        outside=len(outside),
        currency=school.currency,
        holiday=holiday_on(school.id, broadcast.scheduled_at.astimezone(dates.NEPAL).date()),
        **counts,
    )
    shown.cost = estimate(
        school, texts=inside * shown.messages_in_window, templates=shown.templates
    )
    _waiting(shown, broadcast, school, list(who))
    return shown


def _waiting(shown: Preview, broadcast: Broadcast, school: School, guardian_ids: list[int]):
    """Whether it waits for the daily digest, and who has had the day's most messages."""
    if broadcast.kind in URGENT_KINDS:
        return
    if (
        digests.holds(school, broadcast.kind) and broadcast.media_file_id is None
    ):  # a file goes alone
        shown.digest_at = digests.next_digest_at(school, broadcast.scheduled_at)
    shown.daily_cap = school.daily_cap
    today = clock.now().astimezone(dates.NEPAL).date()
    goes_today = broadcast.scheduled_at.astimezone(dates.NEPAL).date() == today
    if shown.daily_cap and shown.digest_at is None and goes_today:
        shown.at_cap = caps.reached_today(school, guardian_ids)
        shown.next_morning = caps.next_morning(school, clock.now())


def _message_counts(broadcast: Broadcast, school: School, children: list[Child]) -> dict:
    """The most messages a parent of either language gets, inside and outside the window."""
    form, purpose = school.long_notice_form, TEMPLATE_PURPOSE[broadcast.kind]
    inside = [long_messages.plan_text(broadcast, school, children, lang) for lang in LANGUAGES]
    outside = [
        long_messages.plan_template(
            broadcast, school, children, lang, form=form, carries=shipped(purpose, lang).carries
        )
        for lang in LANGUAGES
    ]
    return {
        "messages_in_window": max(plan.count for plan in inside),
        "messages_outside": max(plan.count for plan in outside),
        "more_on_reply": any(plan.on_reply for plan in outside),
    }


def _windows(guardian_ids: list[int]) -> tuple[int, list[str]]:
    """Of the guardians who will get it (not opted out): how many are in their 24-hour
    window, and who Meta counts of the others (the limit counts those)."""
    if not guardian_ids:
        return 0, []
    rows = db.session.execute(
        sa.select(Guardian.wa_id, Guardian.phone, Guardian.last_inbound_at).where(
            Guardian.id.in_(guardian_ids), Guardian.opted_out_at.is_(None)
        )
    ).all()
    since = clock.now() - WINDOW
    inside = sum(1 for _wa, _phone, last in rows if last is not None and last > since)
    outside = [wa or phone.lstrip("+") for wa, phone, last in rows if last is None or last <= since]
    return inside, outside


def estimate(school: School, *, texts: int, templates: int) -> Decimal | None:
    """What the messages should cost at the school's prices: templates outside the window
    at the utility price, text inside it at the service price (None: no price set)."""
    prices = school.prices or {}
    if prices.get("utility") in (None, ""):
        return None
    service = Decimal(str(prices.get("service") or 0))
    return Decimal(str(prices["utility"])) * templates + service * texts


def sample_children(who: dict[int, list[int]], classes: list[SchoolClass]) -> list[Child]:
    """The children the first guardian's message names, or a stand-in when nobody is there."""
    student_ids = next((ids for ids in who.values() if ids), [])
    students = db.session.scalars(
        sa.select(Student)
        .where(Student.id.in_(student_ids))
        .options(joinedload(Student.school_class))
        .order_by(Student.id)
    ).all()
    if students:
        return [
            Child(s.name, s.name_ne, s.school_class.name, s.school_class.name_ne) for s in students
        ]
    with force_locale("en"):
        name = _("Student's name")
    with force_locale("ne"):
        name_ne = _("Student's name")
    cls = classes[0]
    return [Child(name, name_ne, cls.name, cls.name_ne)]


def moment_words(moment: datetime, locale: str) -> str:
    """A coming moment in Nepal time as people say it: `06:10 tomorrow`, `14:05 today`, or
    with both dates further off."""
    local, today = moment.astimezone(dates.NEPAL), clock.now().astimezone(dates.NEPAL).date()
    hhmm = localize_digits(local.strftime("%H:%M"), locale)
    with force_locale(locale):
        if local.date() == today:
            return _("%(time)s today", time=hhmm)
        if (local.date() - today).days == 1:
            return _("%(time)s tomorrow", time=hhmm)
    return dates.format_dual_datetime(moment, locale)


def limit_words(shown: "Preview", locale: str) -> str | None:
    """`250 parents now, 50 at 06:10 tomorrow: your WhatsApp limit is 250 a day` (None when
    nobody waits)."""
    limit = shown.limit
    if not limit.later or limit.last_at is None:
        return None
    with force_locale(locale):
        return _(
            "%(now)s parents now, %(later)s by %(when)s: your WhatsApp limit is %(limit)s a day.",
            now=localize_digits(f"{limit.now:,}", locale),
            later=localize_digits(f"{limit.later:,}", locale),
            when=moment_words(limit.last_at, locale),
            limit=localize_digits(f"{limit.limit:,}", locale),
        )


def cost_words(shown: "Preview", locale: str) -> str | None:
    """`Estimated cost: NPR 23.75 (25 templates)` (None when no price is set)."""
    if shown.cost is None:
        return None
    with force_locale(locale):
        amount = format_currency(shown.cost, shown.currency, "¤\u00a0#,##0.00", locale=locale)
        return ngettext(
            "Estimated cost: %(amount)s (%(count)s template message).",
            "Estimated cost: %(amount)s (%(count)s template messages).",
            shown.templates,
            amount=localize_digits(amount, locale),
            count=localize_digits(f"{shown.templates:,}", locale),
        )
