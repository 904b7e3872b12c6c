"""A school's own settings: names, its WhatsApp number, Business Account and token, quiet
hours, what teachers may do, the largest photo and PDF it takes (below Meta's limits), what
Meta charges it per message, sending again after a pause, and its reports' reach target
and weekly summary (its templates: `wording.templates`)."""

from datetime import time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import School, Teacher
from portal.services.common import audit
from portal.services.common.secrets import encrypt
from portal.services.delivery import alerts
from portal.services.roster.records import Conflict
from portal.services.school import school_year

GENERAL_FIELDS = (
    "name",
    "name_ne",
    "quiet_start",
    "quiet_end",
    "require_confirmation",
    "teachers_may_target_any",
    "template_fallback_language",
    "long_notice_form",
)
# The pricing categories a school enters a price for (Meta's `pricing.category` values).
PRICE_CATEGORIES = ("utility", "service", "marketing", "authentication")
# The largest attachment a school may allow, in MB: Meta's limits (5 MB a photo, 100 a PDF).
MEDIA_LIMITS_MB = {"max_image": 5, "max_document": 100}
MB = 1024 * 1024
# How a secret reads in the audit log: whether it was there, never what it was.
SET, CHANGED, REMOVED = "(set)", "(changed)", "(removed)"


def update_school(
    *,
    school: School,
    user_id: int | None,
    phone_number_id: str | None,
    access_token: str | None = None,
    remove_token: bool = False,
    waba_id: str | None = None,
    **values,
) -> dict:
    """Change the school's settings, auditing general and WhatsApp changes apart (the
    token masked); returns every change. A number another school uses is refused."""
    _check_phone_number_id(school=school, phone_number_id=phone_number_id)
    prices = {c: values.pop(f"price_{c}", None) for c in PRICE_CATEGORIES}
    limits = {f: values.pop(f"{f}_mb", None) for f in MEDIA_LIMITS_MB}
    quiet = tuple(values.get(f, getattr(school, f)) for f in ("quiet_start", "quiet_end"))
    school_year.check_digest_time(school.digest_at, quiet, field="quiet_start")
    general = _readable(audit.diff(school, GENERAL_FIELDS, values))
    general.update(_set_prices(school, prices))
    general.update(_set_media_limits(school, limits))
    numbers = {"phone_number_id": phone_number_id, "waba_id": waba_id}
    whatsapp = audit.diff(school, ("phone_number_id", "waba_id"), numbers)
    whatsapp.update(_set_token(school, access_token, remove=remove_token))
    for action, changes in (("settings.update", general), ("whatsapp.update", whatsapp)):
        if changes:
            audit.record(school_id=school.id, user_id=user_id, action=action, changes=changes)
    return general | whatsapp


def _check_phone_number_id(*, school: School, phone_number_id: str | None) -> None:
    if phone_number_id is None:
        return
    taken = sa.select(School.id).where(
        School.phone_number_id == phone_number_id, School.id != school.id
    )
    if db.session.scalar(taken) is not None:
        raise Conflict("phone_number_id", _l("Another school already uses this phone number ID."))


def _set_token(school: School, token: str | None, *, remove: bool) -> dict:
    """Store a new token encrypted, or remove it; what the audit log may say about it."""
    had = SET if school.access_token_encrypted else None
    if token:
        school.access_token_encrypted = encrypt(token)
        return {"access_token": [had, CHANGED]}
    if remove and had:
        school.access_token_encrypted = None
        return {"access_token": [had, REMOVED]}
    return {}


def _set_prices(school: School, prices: dict) -> dict:
    """Store the prices given (blank: none); what changed, as `prices.<category>`."""
    old = dict(school.prices or {})
    new = {c: str(v) for c, v in prices.items() if v is not None}
    changes = {
        f"prices.{c}": [old.get(c), new.get(c)]
        for c in PRICE_CATEGORIES
        if old.get(c) != new.get(c)
    }
    if changes:
        school.prices = new
    return changes


def media_limits_mb(school: School) -> dict[str, int | None]:
    """The school's own attachment limits as the form shows them, in whole MB (blank: Meta's)."""
    return {f"{f}_mb": (getattr(school, f"{f}_bytes") or 0) // MB or None for f in MEDIA_LIMITS_MB}


def _set_media_limits(school: School, limits: dict[str, int | None]) -> dict:
    """Store lower limits for photos and PDFs (None: Meta's); what changed, in MB."""
    changes = {}
    for field, most in MEDIA_LIMITS_MB.items():
        mb = limits.get(field)
        if mb is not None and not 1 <= mb <= most:
            raise Conflict(
                f"{field}_mb", _l("Choose from 1 to %(max)s MB (Meta's limit).", max=most)
            )
        old = (getattr(school, f"{field}_bytes") or 0) // MB or None
        if old != mb:
            setattr(school, f"{field}_bytes", mb * MB if mb else None)
            changes[f"{field}_mb"] = [old, mb]
    return changes


def _readable(changes: dict) -> dict:
    """Times as HH:MM rather than Python's HH:MM:SS."""
    for field in ("quiet_start", "quiet_end"):
        if field in changes:
            changes[field] = [_hhmm(value) for value in changes[field]]
    return changes


def _hhmm(value) -> str | None:
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value[:5] if isinstance(value, str) else value


def resume_sending(*, school: School, user_id: int | None) -> bool:
    """Let a paused school send again (the caller commits, then wakes the senders);
    False when it was not paused."""
    if school.sending_paused_at is None:
        return False
    audit.record(
        school_id=school.id,
        user_id=user_id,
        action="school.resume_sending",
        target=school,
        changes={"paused_reason": [school.paused_reason, None]},
    )
    alerts.resume_sending(school=school)
    return True


REPORT_FIELDS = ("reach_target", "summary_teacher_id", "summary_weekday", "summary_at")


def update_reports(
    *,
    school: School,
    user_id: int | None,
    reach_target: int,
    summary_teacher_id: int,
    summary_weekday: int,
    summary_at: time,
) -> dict:
    """The reach target and the weekly summary (to one of the school's active teachers, or
    nobody: 0), audited; returns every change."""
    if not 50 <= reach_target <= 100:
        raise Conflict(
            "reach_target", _l("Choose from %(min)s to %(max)s percent.", min=50, max=100)
        )
    teacher_id = summary_teacher_id or None
    if teacher_id is not None and not db.session.scalar(
        sa.select(Teacher.id).where(
            Teacher.id == teacher_id, Teacher.school_id == school.id, Teacher.active
        )
    ):
        raise Conflict("summary_teacher_id", _l("Choose one of the school's teachers."))
    if not 0 <= summary_weekday <= 6:
        raise Conflict("summary_weekday", _l("Choose a day of the week."))
    values = {
        "reach_target": reach_target,
        "summary_teacher_id": teacher_id,
        "summary_weekday": summary_weekday,
        "summary_at": summary_at,
    }
    changes = audit.diff(school, REPORT_FIELDS, values)
    if changes:
        audit.record(
            school_id=school.id, user_id=user_id, action="settings.update", changes=changes
        )
    return changes
