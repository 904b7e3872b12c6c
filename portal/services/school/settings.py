"""A school's own settings: names, its WhatsApp number and token, quiet hours, what teachers
may do, sending after a pause, and which Meta templates it sends with."""

from dataclasses import dataclass
from datetime import time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import School, Template
from portal.services.common import audit
from portal.services.common.secrets import encrypt
from portal.services.delivery import alerts
from portal.services.roster.records import Conflict
from portal.services.wording import templates
from portal.services.wording.parent_messages import DEFAULT_TEMPLATES
from portal.services.wording.template_texts import LANGUAGES, PURPOSES, ShippedTemplate, shipped

GENERAL_FIELDS = (
    "name",
    "name_ne",
    "quiet_start",
    "quiet_end",
    "require_confirmation",
    "teachers_may_target_any",
    "template_fallback_language",
)
# How a secret reads in the audit log: whether it was there, never what it was.
SET, CHANGED, REMOVED = "(set)", "(changed)", "(removed)"


def update_school(
    *,
    school: School,
    user_id: int | None,
    phone_number_id: str | None,
    access_token: str | None = None,
    remove_token: bool = False,
    **values,
) -> dict:
    """Change the school's settings, auditing general and WhatsApp changes apart (the
    token masked); returns every change. A number another school uses is refused."""
    _check_phone_number_id(school=school, phone_number_id=phone_number_id)
    general = _readable(audit.diff(school, GENERAL_FIELDS, values))
    whatsapp = audit.diff(school, ("phone_number_id",), {"phone_number_id": phone_number_id})
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


@dataclass
class TemplateChoice:
    """A purpose in a language: the Meta template the school uses, and what is sent."""

    purpose: str
    language: str
    name: str
    approved: bool
    saved: bool  # False while the school still relies on the shipped defaults
    sent_as: tuple[str, str]  # (name, language) a parent reading this language gets
    wording: ShippedTemplate

    @property
    def params(self) -> tuple[str, ...]:
        return self.wording.params


def template_choices(*, school: School) -> list[TemplateChoice]:
    """Every (purpose, language) as it stands, in PURPOSES order, Nepali first."""
    rows = _template_rows(school)
    return [
        TemplateChoice(
            purpose,
            lang,
            *_effective(rows, purpose, lang),
            saved=(purpose, lang) in rows,
            sent_as=templates.choose_template(school, purpose, lang),
            wording=shipped(purpose, lang),
        )
        for purpose in PURPOSES
        for lang in LANGUAGES
    ]


def _template_rows(school: School) -> dict[tuple[str, str], Template]:
    rows = db.session.scalars(sa.select(Template).where(Template.school_id == school.id))
    return {(row.purpose, row.language): row for row in rows}


def _effective(rows: dict, purpose: str, lang: str) -> tuple[str, bool]:
    """(name, approved) as sending sees it: a purpose with no rows uses the shipped name in
    every language; once it has rows, a language without one is not approved."""
    row = rows.get((purpose, lang))
    if row is not None:
        return row.meta_name, row.approved
    has_rows = any(key[0] == purpose for key in rows)
    return DEFAULT_TEMPLATES[purpose][0], not has_rows


def save_templates(
    *, school: School, user_id: int | None, choices: dict[tuple[str, str], tuple[str, bool]]
) -> dict:
    """Store a name and approval for every purpose and language (rows for all of them, so
    what the page shows is what sending does); audits what changed and returns it."""
    rows = _template_rows(school)
    changes = {}
    for (purpose, lang), (name, approved) in choices.items():
        old_name, old_approved = _effective(rows, purpose, lang)
        row = rows.get((purpose, lang))
        if row is None:
            row = Template(school_id=school.id, purpose=purpose, language=lang)
            row.params = list(DEFAULT_TEMPLATES[purpose][1])
            db.session.add(row)
        row.meta_name, row.approved = name, approved
        if old_name != name:
            changes[f"{purpose}.{lang}.name"] = [old_name, name]
        if old_approved != approved:
            changes[f"{purpose}.{lang}.approved"] = [old_approved, approved]
    if changes:
        audit.record(
            school_id=school.id, user_id=user_id, action="templates.update", changes=changes
        )
    return changes
