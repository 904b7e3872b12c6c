"""Steps every roster page shares: saving a valid form through a service, switching records."""

from flask import flash, redirect
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.services.roster import records
from portal.services.roster.records import Conflict


def apply_form(form, change) -> tuple[bool, object]:
    """Validate the form and run `change(**values)`, committing it; a clash becomes that
    field's error. Returns (saved, what the change returned)."""
    if not form.validate_on_submit():
        return False, None
    try:
        result = change(user_id=current_user.id, **form.values())
        db.session.commit()
    except Conflict as error:
        db.session.rollback()
        form[error.field].errors.append(error.message)
        return False, None
    except IntegrityError:  # someone saved a clashing row between our check and our commit
        db.session.rollback()
        form.form_errors.append(_("This clashes with a change saved a moment ago. Please check."))
        return False, None
    return True, result


def switch_active(record, active: bool, back: str):
    """Deactivate or reactivate a student, guardian or teacher, then go back to its page."""
    if records.set_active(record=record, user_id=current_user.id, active=active):
        db.session.commit()
        flash(_("Reactivated.") if active else _("Deactivated."))
    return redirect(back)
