"""Portal logins: who may sign in to a school's portal, in which role, with what password."""

import re

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
