"""Steps shared by every roster record: clashes named by field, and switching records on or off."""

from portal.services.common import audit


class Conflict(ValueError):
    """A change that would clash with a stored row; `field` names the form input to correct."""

    def __init__(self, field: str, message):
        super().__init__(message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def set_active(*, record, user_id: int | None, active: bool) -> bool:
    """Deactivate or reactivate a student, guardian or teacher; False when nothing changed."""
    if record.active == active:
        return False
    record.active = active
    kind = type(record).__name__.lower()
    audit.record(
        school_id=record.school_id,
        user_id=user_id,
        action=f"{kind}.{'reactivate' if active else 'deactivate'}",
        target=record,
        changes={"active": [not active, active]},
    )
    return True
