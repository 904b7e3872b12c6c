"""Which Meta template a school sends for a purpose in a guardian's language, with the
school's fallback language where a translation is not approved."""

import sqlalchemy as sa
from flask import g

from portal.extensions import db
from portal.models import School, Template
from portal.services.wording import parent_messages


def choose_template(school: School, purpose: str, language: str) -> tuple[str, str]:
    """(Meta template name, language code) for a purpose in the guardian's language, falling
    back to the school's fallback language where that translation is not approved."""
    wanted = "ne" if language == "both" else language
    rows = _templates(school.id, purpose)
    default_name = parent_messages.DEFAULT_TEMPLATES[purpose][0]
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
