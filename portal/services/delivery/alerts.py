"""Alerts for a school's admins, and pausing a school's sending when Meta says so."""

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Alert, Delivery, DeliveryStatus, School
from portal.services.common import clock


def raise_for(*, school_id: int, code: int | None, pause: bool, details: str = "") -> None:
    """Tell the school's admins (once per open problem), pausing its sending if asked."""
    action = "paused" if pause else "failed"
    raise_problem(school_id=school_id, action=action, code=code, details=details)
    if pause:
        db.session.execute(
            sa.update(School)
            .where(School.id == school_id, School.sending_paused_at.is_(None))
            .values(sending_paused_at=clock.now(), paused_reason=f"{code}: {details}"[:300])
            .execution_options(synchronize_session=False)
        )


def raise_problem(*, school_id: int, action: str, details: str = "", code=None) -> None:
    """An alert for the school's admins, once while the same problem is open."""
    open_alert = db.session.scalar(
        sa.select(Alert.id).where(
            Alert.school_id == school_id,
            Alert.code.is_(None) if code is None else Alert.code == code,
            Alert.action == action,
            Alert.resolved_at.is_(None),
        )
    )
    if open_alert is None:
        db.session.add(
            Alert(
                school_id=school_id,
                code=code,
                action=action,
                details=details[:2000],
                created_at=clock.now(),
            )
        )


def resolve(*, alert: Alert) -> bool:
    """An admin has dealt with it: it leaves the dashboard; False if it was resolved already.
    A pause is ended by resuming sending, not here."""
    if alert.resolved_at is not None or alert.action == "paused":
        return False
    alert.resolved_at = clock.now()
    return True


def resume_sending(*, school: School) -> None:
    """Let a paused school send again and close its pause alerts (an admin's decision);
    what was waiting is due at once (the caller wakes the senders after committing)."""
    school.sending_paused_at, school.paused_reason = None, None
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.school_id == school.id, Delivery.status == DeliveryStatus.PENDING)
        .values(next_attempt_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(Alert)
        .where(Alert.school_id == school.id, Alert.action == "paused", Alert.resolved_at.is_(None))
        .values(resolved_at=clock.now())
        .execution_options(synchronize_session=False)
    )


def open_alerts(school_id: int) -> list[Alert]:
    return list(
        db.session.scalars(
            sa.select(Alert)
            .where(Alert.school_id == school_id, Alert.resolved_at.is_(None))
            .order_by(Alert.id.desc())
        )
    )


# Template trouble an admin must act on; `details` keys the alert ("<name>|<language>", or
# "<purpose>|<language>" for a missing one) so each problem is raised once while open.
TEMPLATE_ACTIONS = (
    "template_rejected",
    "template_paused",
    "template_disabled",
    "template_flagged",
    "template_marketing",
    "template_recategorising",
    "template_missing",
)


def raise_template(*, school_id: int, action: str, key: str, data: dict) -> bool:
    """Tell the school's admins of a template's trouble, once while it is open; whether
    this raised it."""
    if action not in TEMPLATE_ACTIONS:
        raise ValueError(f"unknown template alert {action!r}")
    open_alert = db.session.scalar(
        sa.select(Alert.id).where(
            Alert.school_id == school_id,
            Alert.action == action,
            Alert.details == key,
            Alert.resolved_at.is_(None),
        )
    )
    if open_alert is not None:
        return False
    db.session.add(
        Alert(school_id=school_id, action=action, details=key, data=data, created_at=clock.now())
    )
    return True


def resolve_template(*, school_id: int, keys: list[str]) -> int:
    """Close a template's open alerts (Meta approved or reinstated it); how many."""
    result = db.session.execute(
        sa.update(Alert)
        .where(
            Alert.school_id == school_id,
            Alert.action.in_(TEMPLATE_ACTIONS),
            Alert.details.in_(keys),
            Alert.resolved_at.is_(None),
        )
        .values(resolved_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def template_missing(*, school_id: int, purpose: str, language: str) -> None:
    """Parents wait: no approved template for this purpose in their language or the fallback."""
    raise_template(
        school_id=school_id,
        action="template_missing",
        key=f"{purpose}|{language}",
        data={"purpose": purpose, "language": language},
    )
