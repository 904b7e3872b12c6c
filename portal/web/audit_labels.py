"""How audit entries read: who made a change, what each changed field is called, and its
values in the reader's language (times in Nepal time, codes as words)."""

from datetime import UTC, date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.models import Actor
from portal.services.common import dates
from portal.services.roster.importing import KINDS as IMPORT_KINDS
from portal.services.wording.parent_messages import KIND_LABELS
from portal.web import broadcast_labels
from portal.web.i18n import digits, locale_code

ACTORS = {
    Actor.USER: _l("Portal users"),
    Actor.TEACHER: _l("Teachers on WhatsApp"),
    Actor.API: _l("The API"),
    Actor.CLI: _l("The command line"),
    Actor.SYSTEM: _l("Sandesh itself"),
}
# Kinds of action, by the prefix of their names.
ACTION_KINDS = {
    "broadcast": (_l("Broadcasts"), ("broadcast.",)),
    "roster": (_l("Roster"), ("class.", "student.", "guardian.", "teacher.", "roster.")),
    "settings": (_l("Settings"), ("settings.", "whatsapp.", "templates.", "school.", "alert.")),
    "accounts": (_l("Users and tokens"), ("user.", "token.")),
    "calendar": (_l("Calendar and recurring broadcasts"), ("holiday.", "schedule.")),
    "inbox": (_l("Inbox"), ("inbox.",)),
}
FIELDS = {
    "name": _l("name"),
    "name_ne": _l("name in Nepali"),
    "phone": _l("mobile number"),
    "language": _l("language"),
    "active": _l("active"),
    "grade": _l("grade"),
    "section": _l("section"),
    "academic_year": _l("academic year"),
    "class": _l("class"),
    "roll": _l("roll"),
    "relation": _l("relation"),
    "receives_notices": _l("receives notices"),
    "guardian": _l("guardian"),
    "classes": _l("classes"),
    "kind": _l("kind"),
    "targets": _l("sent to"),
    "scheduled_at": _l("send time"),
    "status": _l("status"),
    "source": _l("made"),
    "file": _l("file"),
    "rows": _l("rows"),
    "slug": _l("short name"),
    "phone_number_id": _l("WhatsApp phone number ID"),
    "access_token": _l("access token"),
    "quiet_start": _l("quiet hours begin"),
    "quiet_end": _l("quiet hours end"),
    "require_confirmation": _l("teachers confirm with YES"),
    "teachers_may_target_any": _l("teachers may message any class"),
    "template_fallback_language": _l("template language when a translation is missing"),
    "long_notice_form": _l("long notices outside the 24-hour window"),
    "paused_reason": _l("why sending was paused"),
    "max_image_mb": _l("largest photo (MB)"),
    "max_document_mb": _l("largest PDF (MB)"),
    "email": _l("email"),
    "role": _l("role"),
    "prefix": _l("token"),
    "handled": _l("handled"),
    "alert": _l("alert"),
    "digest_at": _l("daily digest time"),
    "daily_cap": _l("most messages a parent gets a day"),
    "absence_alert_days": _l("school days absent before teachers are told"),
    "attendance_summary": _l("monthly attendance summary"),
    "every": _l("repeats"),
    "at": _l("time"),
    "weekdays": _l("days of the week"),
    "bs_day": _l("day of the month"),
    "on_holiday": _l("on a holiday"),
    "starts_on": _l("first day"),
    "ends_on": _l("last day"),
    "closed": _l("school closed"),
    "bs_year": _l("year"),
    "days": _l("days"),
    "subject": _l("subject"),
    "body_en": _l("message in English"),
    "body_ne": _l("message in Nepali"),
    "kept_languages": _l("guardians' own language kept"),
    "opted_out": _l("opted out"),
}
OUTCOMES = {"created": _l("added"), "updated": _l("changed"), "unchanged": _l("unchanged")}
LANGUAGE_NAMES = {"ne": _l("Nepali"), "en": _l("English"), "both": _l("Nepali and English")}
SECRET_MARKS = {"(set)": _l("set"), "(changed)": _l("changed"), "(removed)": _l("removed")}
ROLES = {"admin": _l("admin"), "staff": _l("office staff"), "teacher": _l("teacher")}
REPEATS = {
    "day": _l("every day"),
    "week": _l("every week"),
    "bs_month": _l("every Bikram Sambat month"),
}
SCHEDULE_STATUSES = {"active": _l("active"), "paused": _l("paused"), "stopped": _l("stopped")}


def actor_name(entry) -> str:
    """Who made the change, as the reader knows them."""
    if entry.user is not None:
        return entry.user.name or entry.user.email
    if entry.teacher is not None:
        return _("%(name)s (teacher, on WhatsApp)", name=entry.teacher.name)
    if entry.api_token is not None:
        return _("API token %(prefix)s…", prefix=entry.api_token.prefix)
    if entry.actor == Actor.SYSTEM:
        return str(ACTORS[Actor.SYSTEM])
    return _("command line")


def field_label(name: str) -> str:
    """`scheduled_at` → "send time", `students_created` → "Students added",
    `notice.ne.name` → "notice template (Nepali): name"."""
    if name in FIELDS:
        return str(FIELDS[name])
    kind, _sep, outcome = name.rpartition("_")
    if kind in IMPORT_KINDS and outcome in OUTCOMES:
        return f"{IMPORT_KINDS[kind]}: {OUTCOMES[outcome]}"
    parts = name.split(".")
    if len(parts) == 3 and parts[1] in LANGUAGE_NAMES:
        return _(
            "%(purpose)s template (%(language)s): %(field)s",
            purpose=parts[0],
            language=LANGUAGE_NAMES[parts[1]],
            field=_("approved") if parts[2] == "approved" else FIELDS["name"],
        )
    return name


def field_value(name: str, value):
    """A stored value as the reader reads it (None, booleans and numbers: the template)."""
    if not isinstance(value, str):
        return value
    named = {
        "language": LANGUAGE_NAMES,
        "template_fallback_language": LANGUAGE_NAMES,
        "kind": KIND_LABELS,
        "status": broadcast_labels.BROADCAST_STATUS_LABELS | SCHEDULE_STATUSES,
        "every": REPEATS,
        "source": broadcast_labels.SOURCE_LABELS,
        "access_token": SECRET_MARKS,
        "role": ROLES,
    }.get(name, {})
    if value in named:
        return str(named[value])
    if name == "scheduled_at":
        return _moment(value)
    if name in ("starts_on", "ends_on"):
        return _day(value)
    if name == "targets":
        return ", ".join(
            broadcast_labels.target_label(t.strip(), locale_code()) for t in value.split(",")
        )
    timed = ("quiet_start", "quiet_end", "class", "digest_at", "attendance_summary")
    return digits(value) if name in timed else value


def _day(text: str) -> str:
    try:
        return dates.format_dual_date(date.fromisoformat(text), locale_code())
    except ValueError:
        return text


def _moment(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except (ValueError, TypeError):
        return text
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return dates.format_dual_datetime(moment, locale_code())
