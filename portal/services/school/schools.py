"""Setting a school up: the school itself, its teachers, portal users and API tokens."""

import hashlib
import re
import secrets

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import ApiToken, School, SchoolClass, Teacher, User
from portal.services.accounts.passwords import hash_password
from portal.services.common import audit
from portal.services.common.dates import current_bs_year
from portal.services.common.phones import InvalidPhone, normalize_phone
from portal.services.common.secrets import encrypt
from portal.services.roster.cells import CellError, clean_name, parse_class_name

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
USER_ROLES = ("admin", "staff", "teacher")
PASSWORD_MIN = 10


class SetupError(ValueError):
    """Why a school, teacher, user or token could not be made; `str()` is the translated reason."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return str(self.reason)


def get_school(slug: str) -> School:
    """The school with this slug, or SetupError naming it."""
    school = db.session.scalar(sa.select(School).where(School.slug == slug.strip().lower()))
    if school is None:
        raise SetupError(_l("There is no school “%(slug)s”.", slug=slug))
    return school


def create_school(
    *,
    slug: str,
    name: str,
    phone_number_id: str,
    name_ne: str | None = None,
    access_token: str | None = None,
    user_id: int | None = None,
) -> School:
    """A new school with its WhatsApp number; the access token is stored encrypted."""
    slug, phone_number_id = slug.strip().lower(), phone_number_id.strip()
    if not SLUG.match(slug):
        raise SetupError(
            _l("“%(slug)s” is not a usable slug: use 2-63 lowercase letters, digits, -.", slug=slug)
        )
    if not phone_number_id.isascii() or not phone_number_id.isdigit():
        raise SetupError(_l("The WhatsApp phone number ID is the number Meta shows, digits only."))
    name = _name(name)
    _must_be_new(School.slug == slug, _l("A school with the slug “%(slug)s” exists.", slug=slug))
    _must_be_new(
        School.phone_number_id == phone_number_id,
        _l("Another school already uses phone number ID %(id)s.", id=phone_number_id),
    )
    school = School(
        slug=slug,
        name=name,
        name_ne=_name(name_ne, required=False),
        phone_number_id=phone_number_id,
        access_token_encrypted=encrypt(access_token) if access_token else None,
    )
    db.session.add(school)
    db.session.flush()
    changes = {
        "slug": [None, slug],
        "name": [None, name],
        "phone_number_id": [None, phone_number_id],
    }
    if access_token:
        changes["access_token"] = [None, "(set)"]
    audit.record(
        school_id=school.id, user_id=user_id, action="school.create", target=school, changes=changes
    )
    return school


def create_teacher(
    *,
    school: School,
    name: str,
    phone: str,
    class_names: list[str] = (),
    language: str = "ne",
    user_id: int | None = None,
) -> Teacher:
    """A teacher who may send notices from this phone to these classes (which must exist)."""
    name = _name(name)
    try:
        phone = normalize_phone(phone)
    except InvalidPhone as exc:
        raise SetupError(exc.reason) from None
    if language not in ("ne", "en"):
        raise SetupError(_l("The language must be ne or en."))
    classes = find_classes(school=school, names=class_names)
    _must_be_new(
        sa.and_(Teacher.school_id == school.id, Teacher.phone == phone),
        _l("A teacher with the phone %(phone)s exists already.", phone=phone),
    )
    teacher = Teacher(school_id=school.id, name=name, phone=phone, language=language)
    teacher.classes = classes
    db.session.add(teacher)
    db.session.flush()
    changes = {
        "name": [None, name],
        "phone": [None, phone],
        "language": [None, language],
        "classes": [None, ", ".join(c.name for c in classes)],
    }
    audit.record(
        school_id=school.id,
        user_id=user_id,
        action="teacher.create",
        target=teacher,
        changes=changes,
    )
    return teacher


def find_classes(*, school: School, names: list[str]) -> list[SchoolClass]:
    """This year's classes named as the school writes them (`5A`, `५क`); unknown ones refused."""
    keys = []
    for raw in names:
        try:
            keys.append(parse_class_name(raw))
        except CellError as exc:
            raise SetupError(exc.reason) from None
    if not keys:
        return []
    query = sa.select(SchoolClass).where(
        SchoolClass.school_id == school.id, SchoolClass.academic_year == current_bs_year()
    )
    found = {(c.grade, c.section): c for c in db.session.scalars(query)}
    missing = [f"{grade}{section}" for grade, section in keys if (grade, section) not in found]
    if missing:
        known = sorted(found)
        raise SetupError(
            _l(
                "No class %(names)s this year (it has: %(known)s); "
                "import the roster or add the class first.",
                names=", ".join(missing),
                known=", ".join(f"{g}{s}" for g, s in known) or "-",
            )
        )
    return sorted({found[key] for key in keys}, key=lambda c: (c.grade, c.section))


def create_user(
    *,
    school: School,
    email: str,
    role: str,
    password: str,
    name: str = "",
    language: str = "ne",
    user_id: int | None = None,
    password_hash: str | None = None,
) -> User:
    """A portal login for this school, its password hashed with argon2id (or the hash given,
    made already from that password)."""
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > 254:
        raise SetupError(_l("“%(email)s” is not an email address.", email=email))
    if role not in USER_ROLES:
        raise SetupError(_l("The role must be admin, staff or teacher."))
    check_password(password)
    _must_be_new(User.email == email, _l("A user with the email %(email)s exists.", email=email))
    user = User(
        school_id=school.id,
        email=email,
        name=" ".join(name.split()),
        role=role,
        language=language,
        password_hash=password_hash or hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        school_id=school.id,
        user_id=user_id,
        action="user.create",
        target=user,
        changes={"email": [None, email], "role": [None, role]},
    )
    return user


def check_password(password: str) -> None:
    """Refuse a password too short to be safe."""
    if len(password or "") < PASSWORD_MIN:
        raise SetupError(
            _l("The password must have at least %(min)s characters.", min=PASSWORD_MIN)
        )


def create_api_token(*, school: School, user_id: int | None = None) -> tuple[ApiToken, str]:
    """A new bearer token for /api/v1: stored as its SHA-256, returned in full only here."""
    secret = secrets.token_urlsafe(32)
    token = f"sk_{school.slug}_{secret}"
    # The prefix tells a school's tokens apart in lists without revealing enough to use one.
    row = ApiToken(school_id=school.id, token_hash=hash_token(token), prefix=secret[:8])
    db.session.add(row)
    db.session.flush()
    audit.record(
        school_id=school.id,
        user_id=user_id,
        action="token.create",
        target=row,
        changes={"prefix": [None, row.prefix]},
    )
    return row, token


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored and looked up."""
    return hashlib.sha256(token.encode()).hexdigest()


def _name(raw: str | None, *, required: bool = True) -> str | None:
    try:
        return clean_name(raw, required=required)
    except CellError as exc:
        raise SetupError(exc.reason) from None


def _must_be_new(condition, reason) -> None:
    if db.session.scalar(sa.select(sa.exists().where(condition))):
        raise SetupError(reason)
