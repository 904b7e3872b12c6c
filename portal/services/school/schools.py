"""Setting a school up: the school itself, found by its slug, with its WhatsApp number."""

import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import School
from portal.services.common import audit
from portal.services.common.refusals import SetupError, must_be_new
from portal.services.common.secrets import encrypt
from portal.services.roster.cells import name_or_refuse

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def get_school(slug: str) -> School:
    """The school with this slug, or SetupError naming it."""
    school = db.session.scalar(sa.select(School).where(School.slug == slug.strip().lower()))
    if school is None:
        raise SetupError(_l("There is no school “%(slug)s”.", slug=slug))
    return school


def _check_waba(waba_id: str | None) -> None:
    if waba_id and not (waba_id.isascii() and waba_id.isdigit()):
        raise SetupError(
            _l("The WhatsApp Business Account ID is the number Meta shows, digits only.")
        )


def _check_new(slug: str, phone_number_id: str) -> None:
    """Refuse a slug or number that is malformed or taken."""
    if not SLUG.match(slug):
        raise SetupError(
            _l("“%(slug)s” is not a usable slug: use 2-63 lowercase letters, digits, -.", slug=slug)
        )
    if not phone_number_id.isascii() or not phone_number_id.isdigit():
        raise SetupError(_l("The WhatsApp phone number ID is the number Meta shows, digits only."))
    must_be_new(School.slug == slug, _l("A school with the slug “%(slug)s” exists.", slug=slug))
    must_be_new(
        School.phone_number_id == phone_number_id,
        _l("Another school already uses phone number ID %(id)s.", id=phone_number_id),
    )


def create_school(
    *,
    slug: str,
    name: str,
    phone_number_id: str,
    name_ne: str | None = None,
    access_token: str | None = None,
    user_id: int | None = None,
    waba_id: str | None = None,
    portfolio_id: int | None = None,
) -> School:
    """A new school with its WhatsApp number and Business Account (in a portfolio of its
    own unless one is given); the access token is stored encrypted."""
    slug, phone_number_id = slug.strip().lower(), phone_number_id.strip()
    waba_id = (waba_id or "").strip() or None
    _check_new(slug, phone_number_id)
    _check_waba(waba_id)
    name = name_or_refuse(name)
    school = School(
        slug=slug,
        name=name,
        name_ne=name_or_refuse(name_ne, required=False),
        phone_number_id=phone_number_id,
        waba_id=waba_id,
        portfolio_id=portfolio_id,
        access_token_encrypted=encrypt(access_token) if access_token else None,
    )
    db.session.add(school)
    db.session.flush()
    made = {"slug": slug, "name": name, "phone_number_id": phone_number_id, "waba_id": waba_id}
    changes = {field: [None, value] for field, value in made.items() if value}
    if access_token:
        changes["access_token"] = [None, "(set)"]
    audit.record(
        school_id=school.id, user_id=user_id, action="school.create", target=school, changes=changes
    )
    return school
