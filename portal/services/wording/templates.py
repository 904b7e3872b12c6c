"""A school's template registry: which Meta template it sends for a purpose in a guardian's
language (with its fallback language where a translation is not approved), as the settings
page shows and saves it."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import g

from portal.extensions import db
from portal.models import School, Template
from portal.services.common import audit
from portal.services.wording.template_texts import (
    DEFAULT_TEMPLATES,
    LANGUAGES,
    PURPOSES,
    ShippedTemplate,
    shipped,
)


def choose_template(school: School, purpose: str, language: str) -> tuple[str, str]:
    """(Meta template name, language code) for a purpose in the guardian's language, falling
    back to the school's fallback language where that translation is not approved."""
    wanted = "ne" if language == "both" else language
    rows = _templates(school.id, purpose)
    default_name = DEFAULT_TEMPLATES[purpose][0]
    approved = {row.language: row.meta_name for row in rows if row.approved}
    for lang in (wanted, school.template_fallback_language):
        if lang in approved:
            return approved[lang], lang
    if not rows:
        return default_name, wanted
    return default_name, school.template_fallback_language


def _templates(school_id: int, purpose: str) -> list[Template]:
    """A school's templates for a purpose, read once per task (a sender sends many)."""
    cache = g.setdefault("sandesh_templates", {})
    if (school_id, purpose) not in cache:
        cache[school_id, purpose] = db.session.scalars(
            sa.select(Template).where(Template.school_id == school_id, Template.purpose == purpose)
        ).all()
    return cache[school_id, purpose]


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
            sent_as=choose_template(school, purpose, lang),
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
