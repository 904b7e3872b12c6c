"""A school's template registry: which Meta template it sends for a purpose to parents who
read a language, the language that template is declared in at Meta (Nepali readers get one
declared in English carrying the Nepali text), with its fallback language where a
translation is not approved, as the settings page shows and saves it."""

from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa
from flask import g

from portal.extensions import db
from portal.models import School, Template
from portal.services.common import audit
from portal.services.wording.template_texts import (
    LANGUAGES,
    PURPOSES,
    ShippedTemplate,
    shipped,
)


class Chosen(NamedTuple):
    """The template a parent gets: its Meta name and declared language, the language its
    text is in, whether a parameter carries that text, and its quick-reply buttons."""

    name: str
    language: str  # declared at Meta: the `language.code` of the send
    reads: str  # what the parent reads
    carries: bool
    buttons: tuple[str, ...] = ()


def choose_template(school: School, purpose: str, language: str) -> Chosen | None:
    """The template for a purpose in the guardian's language, else in the school's fallback
    language; None when the school has neither approved (the message waits). A school that
    configured nothing yet is sent the shipped templates."""
    wanted = "ne" if language == "both" else language
    rows = _templates(school.id, purpose)
    if not rows:
        return _shipped_choice(shipped(purpose, wanted))
    usable = {row.language: row for row in rows if row.approved}
    for lang in (wanted, school.template_fallback_language):
        if lang in usable:
            return _row_choice(usable[lang])
    return None


def _shipped_choice(template: ShippedTemplate) -> Chosen:
    return Chosen(template.name, template.meta_language, template.language, template.carries)


def _row_choice(row: Template) -> Chosen:
    declared = row.declared_language
    buttons = tuple(row.buttons or ())
    return Chosen(row.meta_name, declared, row.language, declared != row.language, buttons)


def _templates(school_id: int, purpose: str) -> list[Template]:
    """A school's templates for a purpose, read once per task (a sender sends many)."""
    cache = g.setdefault("sandesh_templates", {})
    if (school_id, purpose) not in cache:
        cache[school_id, purpose] = db.session.scalars(
            sa.select(Template).where(Template.school_id == school_id, Template.purpose == purpose)
        ).all()
    return cache[school_id, purpose]


def forget_cached() -> None:
    """Read the registry afresh (Meta changed a template's status meanwhile)."""
    g.pop("sandesh_templates", None)


@dataclass
class TemplateChoice:
    """A purpose in a language: the Meta template the school uses, and what is sent."""

    purpose: str
    language: str
    name: str
    approved: bool
    saved: bool  # False while the school still relies on the shipped defaults
    sent_as: Chosen | None  # what a parent reading this language gets (None: they wait)
    wording: ShippedTemplate
    row: Template | None = None  # with what Meta says of it, once synced

    @property
    def params(self) -> tuple[str, ...]:
        return self.wording.params

    @property
    def meta_governs(self) -> bool:
        """Meta reported on it: approval follows Meta, not a tick box."""
        return self.row is not None and self.row.status is not None


def template_choices(*, school: School) -> list[TemplateChoice]:
    """Every (purpose, language) as it stands, in PURPOSES order, Nepali first."""
    rows = template_rows(school)
    forget_cached()
    return [
        TemplateChoice(
            purpose,
            lang,
            *_effective(rows, purpose, lang),
            saved=(purpose, lang) in rows,
            sent_as=choose_template(school, purpose, lang),
            wording=shipped(purpose, lang),
            row=rows.get((purpose, lang)),
        )
        for purpose in PURPOSES
        for lang in LANGUAGES
    ]


def template_rows(school: School) -> dict[tuple[str, str], Template]:
    rows = db.session.scalars(sa.select(Template).where(Template.school_id == school.id))
    return {(row.purpose, row.language): row for row in rows}


def _effective(rows: dict, purpose: str, lang: str) -> tuple[str, bool]:
    """(name, approved) as sending sees it: a purpose with no rows uses the shipped name in
    every language; once it has rows, a language without one is not approved."""
    row = rows.get((purpose, lang))
    if row is not None:
        return row.meta_name, row.approved
    has_rows = any(key[0] == purpose for key in rows)
    return shipped(purpose, lang).name, not has_rows


def new_row(school: School, template: ShippedTemplate) -> Template:
    """A registry row for a shipped template (added to the session, not approved)."""
    row = Template(
        school_id=school.id,
        purpose=template.purpose,
        language=template.language,
        meta_name=template.name,
        meta_language=template.meta_language,
        params=list(template.params),
        approved=False,
    )
    db.session.add(row)
    return row


def save_templates(
    *, school: School, user_id: int | None, choices: dict[tuple[str, str], tuple[str, bool]]
) -> dict:
    """Store a name and approval for every purpose and language (rows for all of them, so
    what the page shows is what sending does; where Meta reports a template's status,
    Meta's word stands); audits what changed and returns it."""
    rows = template_rows(school)
    changes = {}
    for (purpose, lang), (name, approved) in choices.items():
        old_name, old_approved = _effective(rows, purpose, lang)
        row = rows.get((purpose, lang)) or new_row(school, shipped(purpose, lang))
        if name != row.meta_name:  # no longer the template Meta reported on
            row.buttons, row.status, row.meta_id, row.category = None, None, None, None
        elif row.status is not None:
            approved = row.approved
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
