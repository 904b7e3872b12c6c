"""Portal logins: who may sign in to a school's portal, in which role, with what password."""

import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import School, User
from portal.services.accounts.passwords import hash_password
from portal.services.common import audit
from portal.services.common.refusals import SetupError, must_be_new

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


USER_ROLES = ("admin", "staff", "teacher")


PASSWORD_MIN = 10


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
    must_be_new(User.email == email, _l("A user with the email %(email)s exists.", email=email))
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


def get_user(email: str) -> User:
    """The user with this email, or a SetupError saying there is none."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise SetupError(_l("There is no user with the email %(email)s.", email=email))
    return user


def end_sessions(user: User) -> None:
    """End every session of this user, on every device (their saved cookies stop working)."""
    user.session_version = (user.session_version or 1) + 1


def set_password(user: User, password: str, *, user_id: int | None = None) -> None:
    """A new password (checked, hashed); every session made with the old one ends."""
    check_password(password)
    user.password_hash = hash_password(password)
    end_sessions(user)
    audit.record(
        school_id=user.school_id,
        user_id=user_id,
        action="user.password",
        target=user,
        changes={},
    )


def deactivate(user: User, *, user_id: int | None = None) -> bool:
    """The user may no longer sign in, and every session they have ends now."""
    if not user.active:
        return False
    user.active = False
    end_sessions(user)
    audit.record(
        school_id=user.school_id,
        user_id=user_id,
        action="user.deactivate",
        target=user,
        changes={"active": [True, False]},
    )
    return True
