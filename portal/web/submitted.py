"""A compose page's submission (`portal.services.broadcasting.submissions`) as a request
sends it: the page's token and every field and file name sent."""

import sqlalchemy as sa
from flask import request

from portal.extensions import db
from portal.services.broadcasting import submissions

SKIPPED = ("csrf_token", "action", "submission")


def submission_key(form_name: str, token: str | None) -> str | None:
    """This request's key, or None for a page without a token (opened before it existed)."""
    token = submissions.valid(token)
    if token is None:
        return None
    fields = [(k, v) for k, values in request.form.lists() if k not in SKIPPED for v in values]
    fields += [(k, f.filename or "") for k, f in request.files.items(multi=True) if f.filename]
    return submissions.key(form_name, token, fields)


def commit_once(made, key: str | None, model):
    """Commit `made` with its submission kept; what the same page's other press made
    instead, when that one committed first (this one rolled back), else None."""
    if key:
        submissions.remember(made, key)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        earlier = submissions.made_by(made.school_id, key, model) if key else None
        if earlier is None:
            raise
        return earlier
    return None
