"""How broadcasts and deliveries read on the portal's pages: status and source labels, the
progress bar's geometry, class names in the reader's script, and alerts."""

from datetime import datetime, timedelta

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.lexicon import classnames
from portal.lexicon.numerals import localize_digits
from portal.models import BroadcastStatus
from portal.services.attendance import streaks
from portal.services.broadcasting import targets
from portal.services.common import dates
from portal.services.delivery import reasons

DELIVERY_STATUS_LABELS = reasons.STATUS_LABELS

BROADCAST_STATUS_LABELS = {
    "draft": _l("Draft"),
    "scheduled": _l("Scheduled"),
    "sending": _l("Sending"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
}


PRICING_CATEGORY_LABELS = reasons.PRICING_CATEGORY_LABELS


SOURCE_LABELS = {
    "portal": _l("in the portal"),
    "api": _l("through the API"),
    "teacher": _l("on WhatsApp"),
    "schedule": _l("on a recurring schedule"),
}


LIVE = (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING)
# How often a broadcast's page asks for fresh counts: while it is sent, and afterwards, less
# often, while statuses can still arrive (a message delivered but not yet read), for a day.
POLL_SENDING_SECONDS = 3
POLL_SETTLING_SECONDS = 20
SETTLING = timedelta(days=1)


# The order the progress bar stacks its parts in, from the best news to none yet.
BAR_PARTS = ("read", "delivered", "sent", "failed", "skipped")


def bar(counts: dict[str, int]) -> list[tuple[str, float, float]]:
    """The progress bar's parts as (status, x, width) in percent of all deliveries."""
    total, x, parts = counts["total"], 0.0, []
    for part in BAR_PARTS:
        if total and counts[part]:
            width = round(100 * counts[part] / total, 2)
            parts.append((part, round(x, 2), width))
            x += width
    return parts


def poll_seconds(broadcast, counts: dict[str, int], now: datetime) -> int | None:
    """Seconds between two looks at a broadcast's progress; None when nothing can change."""
    if broadcast.status in LIVE:
        return POLL_SENDING_SECONDS
    if broadcast.status != BroadcastStatus.COMPLETED or broadcast.completed_at is None:
        return None
    still_moving = counts["sent"] + counts["delivered"] > 0  # read or failed: final
    if still_moving and now - broadcast.completed_at < SETTLING:
        return POLL_SETTLING_SECONDS
    return None


def target_label(text: str, locale: str) -> str:
    """`ALL` → "Whole school", `5` → "Grade 5", `LKG` → "All of LKG", `5A` → "5A" (`५क` in
    Nepali)."""
    target = targets.parse_target(text)
    if target is None:
        return text
    if target.grade is None:
        return str(_("Whole school"))
    if target.section is not None:
        name = classnames.name_ne_of if locale == "ne" else classnames.name_of
        return name(target.grade, target.section)
    if target.grade in classnames.LEVEL_BY_GRADE:
        return str(_("All of %(level)s", level=classnames.grade_name(target.grade, locale)))
    return str(_("Grade %(grade)s", grade=classnames.grade_name(target.grade, locale)))


# A template's trouble, and what the school's admins should do about it.
TEMPLATE_ALERTS = {
    "template_rejected": _l(
        "Meta rejected the template %(name)s for %(language)s readers (%(reason)s). "
        "Parents get the fallback language meanwhile. Fix the wording in WhatsApp Manager and "
        "submit it again, or appeal."
    ),
    "template_paused": _l(
        "Meta paused the template %(name)s for %(language)s readers (parents' feedback). "
        "Parents get the fallback language until Meta reinstates it; send fewer, expected messages."
    ),
    "template_disabled": _l(
        "Meta no longer sends the template %(name)s for %(language)s readers (%(status)s). "
        "Submit the templates again (Settings → WhatsApp templates)."
    ),
    "template_flagged": _l(
        "Parents reported the template %(name)s for %(language)s readers: Meta may pause it. "
        "Check that parents expect these messages."
    ),
    "template_marketing": _l(
        "Meta made the template %(name)s for %(language)s readers a %(category)s template: "
        "Sandesh sends only Utility templates, so it is no longer used. Make its wording plainly "
        "about school matters, submit it again, or appeal in WhatsApp Manager."
    ),
    "template_recategorising": _l(
        "Meta will make the template %(name)s for %(language)s readers a %(category)s template "
        "within a day; Sandesh will stop using it then. Appeal in WhatsApp Manager if it is "
        "about school matters."
    ),
    "template_missing": _l(
        "No approved template for %(purpose)s in %(language)s or the fallback language: those "
        "parents' messages wait. Submit the templates (Settings → WhatsApp templates)."
    ),
}
LANGUAGE_NAMES = {"ne": _l("Nepali"), "en": _l("English"), "both": _l("Nepali")}
PURPOSE_NAMES = {
    "notice": _l("notices"),
    "homework": _l("homework"),
    "absence": _l("absence alerts"),
    "reminder": _l("reminders"),
    "digest": _l("daily digests"),
    "attendance": _l("attendance summaries"),
    "continued": _l("the later parts of long notices"),
}


def alert_text(alert) -> str:
    """An open alert as its school's admins read it."""
    if alert.action in TEMPLATE_ALERTS:
        data = dict(alert.data or {})
        fields = ("name", "reason", "status", "category")
        values = {k: data.get(k) or "—" for k in fields}
        values["language"] = str(LANGUAGE_NAMES.get(data.get("language"), data.get("language")))
        values["purpose"] = str(PURPOSE_NAMES.get(data.get("purpose"), data.get("purpose")))
        return str(TEMPLATE_ALERTS[alert.action]) % values
    if alert.action == streaks.ACTION:
        return absence_alert_text(alert)
    if alert.action == "webhook_failed":
        return _(
            "A message to the school's WhatsApp number could not be handled after several "
            "tries. A teacher who sent it was asked to send it again; the operator can see it."
        )
    reason = reasons.code_reason(alert.code)
    if alert.action == "paused":
        return _("Sending is paused: %(reason)s", reason=reason)
    return _("Some messages cannot be sent: %(reason)s", reason=reason)


def absence_alert_text(alert) -> str:
    """A student absent several school days in a row, and for how many days so far."""
    student, locale = alert.student, str(get_locale())
    days = streaks.run_length(student.id, alert.school_id, alert.since_on)
    return _(
        "%(student)s (%(cls)s, roll %(roll)s) has been absent %(days)s school days in a row "
        "since %(since)s. The class teachers were told on WhatsApp.",
        student=student.display_name(locale),
        cls=class_name(student.school_class, locale),
        roll=localize_digits(str(student.roll), locale),
        days=localize_digits(str(days), locale),
        since=dates.format_dual_date(alert.since_on, locale),
    )


def class_name(school_class, locale: str) -> str:
    return school_class.name_ne if locale == "ne" else school_class.name
