"""Every query in a request is scoped to the signed-in user's school."""

from functools import wraps

import sqlalchemy as sa
from flask import abort
from flask_login import current_user, login_required

from portal.extensions import db


def school_id() -> int:
    """The signed-in user's school; operators (who have none) get 404 on school pages."""
    if current_user.school_id is None:
        abort(404)
    return current_user.school_id


def scoped(model):
    """`select(model)` limited to the current school."""
    return sa.select(model).where(model.school_id == school_id())


def get_scoped_or_404(model, ident: int):
    """The row with this id in the current school; another school's id is a 404."""
    return db.first_or_404(scoped(model).where(model.id == ident))


def roles_required(*roles: str):
    """Let a view through only for signed-in users with one of these roles (else 403)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


school_member = roles_required("admin", "staff", "teacher")
roster_editor = roles_required("admin", "staff")
admin_only = roles_required("admin")
operator_only = roles_required("operator")
