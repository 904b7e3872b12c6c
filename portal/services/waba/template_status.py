"""What Meta says of a school's templates, applied to its registry: as a sync reads it back,
and as the template webhooks arrive (message_template_status_update: APPROVED, REJECTED with
its reason, PAUSED, DISABLED, FLAGGED, REINSTATED, ARCHIVED, ...; template_category_update;
message_template_quality_update). Only an approved UTILITY template is sent; trouble raises
an alert saying what to do, and its parents get the fallback language or wait. When one
becomes usable, the parents waiting for it are sent to at once."""

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Delivery, DeliveryStatus, School, Template
from portal.services.common import clock
from portal.services.delivery import alerts
from portal.services.delivery.reasons import NO_TEMPLATE
from portal.services.wording.templates import forget_cached
from portal.whatsapp.account_changes import TemplateChange
from portal.whatsapp.template_requests import language_code

USABLE_CATEGORY = "UTILITY"
# A status event and the status a template has after it (None: it keeps its status).
STATUS_AFTER = {
    "APPROVED": "APPROVED",
    "REINSTATED": "APPROVED",  # no longer flagged or disabled: can be sent again
    "UNARCHIVED": "APPROVED",  # restored to its previous, approved status
    "REJECTED": "REJECTED",
    "PAUSED": "PAUSED",
    "DISABLED": "DISABLED",
    "ARCHIVED": "ARCHIVED",
    "DELETED": "DELETED",
    "PENDING_DELETION": "DELETED",
    "PENDING": "PENDING",
    "IN_APPEAL": "IN_APPEAL",
    "FLAGGED": None,  # still sendable, at risk of being disabled
    "LOCKED": None,
    "LIMIT_EXCEEDED": None,
}
ALERT_FOR_STATUS = {
    "REJECTED": "template_rejected",
    "PAUSED": "template_paused",
    "DISABLED": "template_disabled",
    "ARCHIVED": "template_disabled",
    "DELETED": "template_disabled",
}


def record(row: Template, held: dict) -> bool:
    """What a sync read back (or a submission answered) for one template."""
    if held.get("id"):
        row.meta_id = str(held["id"])
    if isinstance(held.get("components"), list):
        row.buttons = _quick_replies(held["components"]) or None
    quality = held.get("quality_score")
    if isinstance(quality, dict) and quality.get("score"):
        row.quality = str(quality["score"])
    return set_status(
        row,
        status=held.get("status"),
        category=held.get("category"),
        reason=held.get("rejected_reason"),
    )


def set_status(row: Template, *, status=None, category=None, reason=None, detail=None) -> bool:
    """Store Meta's status and category; usable only when APPROVED as UTILITY. Raises or
    resolves the template's alerts; whether it has just become usable."""
    was = row.approved and row.status is not None
    row.status = str(status).upper() if status else row.status
    row.category = str(category).upper() if category else row.category
    if reason is not None or detail is not None:
        row.reason = _reason(reason, detail)
    row.status_at = clock.now()
    row.approved = row.status == "APPROVED" and (row.category or USABLE_CATEGORY) == USABLE_CATEGORY
    _alert(row)
    forget_cached()
    return row.approved and not was


def _alert(row: Template) -> None:
    key = f"{row.meta_name}|{row.language}"
    if row.approved:
        keys = [key, f"{row.purpose}|{row.language}"]
        alerts.resolve_template(school_id=row.school_id, keys=keys)
        return
    action = ALERT_FOR_STATUS.get(row.status)
    if row.status == "APPROVED" and row.category != USABLE_CATEGORY:
        action = "template_marketing"
    if action:
        alerts.raise_template(school_id=row.school_id, action=action, key=key, data=_data(row))


def _data(row: Template) -> dict:
    return {
        "name": row.meta_name,
        "language": row.language,
        "declared": row.declared_language,
        "purpose": row.purpose,
        "status": row.status,
        "category": row.category,
        "reason": row.reason,
    }


def apply_change(change: TemplateChange) -> list[int]:
    """A template webhook, applied to every school of that WhatsApp Business Account; the
    schools whose waiting parents may now be sent to."""
    woken = []
    for row in _rows(change):
        if _apply(row, change):
            woken.append(row.school_id)
    ids = sorted(set(woken))
    if ids:
        wake_template_waits(ids)
    return ids


def _apply(row: Template, change: TemplateChange) -> bool:
    if change.field == "message_template_quality_update":
        row.quality = change.quality
        if change.quality == "RED":
            alerts.raise_template(
                school_id=row.school_id,
                action="template_flagged",
                key=f"{row.meta_name}|{row.language}",
                data=_data(row),
            )
        return False
    if change.field == "template_category_update":
        if change.impending:  # Meta acts on it in 24 hours; until then it still goes
            data = _data(row) | {"category": change.category, "at": _iso(change.effective_at)}
            key = f"{row.meta_name}|{row.language}"
            alerts.raise_template(
                school_id=row.school_id, action="template_recategorising", key=key, data=data
            )
            return False
        return set_status(row, category=change.category)
    if change.event == "FLAGGED":
        data = _data(row) | {"reason": change.reason}
        alerts.raise_template(
            school_id=row.school_id,
            action="template_flagged",
            key=f"{row.meta_name}|{row.language}",
            data=data,
        )
        return False
    after = STATUS_AFTER.get(change.event or "")
    if after is None:
        return False
    return set_status(
        row, status=after, category=change.category, reason=change.reason, detail=change.detail
    )


def _rows(change: TemplateChange) -> list[Template]:
    """The registry rows a change is about: by Meta's id, else by name and language."""
    schools = sa.select(School.id).where(School.waba_id == change.account_id)
    query = sa.select(Template).where(Template.school_id.in_(schools))
    by_name = sa.and_(
        Template.meta_name == change.name,
        sa.func.coalesce(Template.meta_language, Template.language) == change.language,
    )
    if change.template_id:
        query = query.where(sa.or_(Template.meta_id == change.template_id, by_name))
    else:
        query = query.where(by_name)
    rows = db.session.scalars(query).all()
    return [
        r
        for r in rows
        if language_code(r.declared_language) == change.language or r.meta_id == change.template_id
    ]


def wake_template_waits(school_ids: list[int]) -> int:
    """Parents waiting for an approved template are tried again now; how many."""
    result = db.session.execute(
        sa.update(Delivery)
        .where(
            Delivery.school_id.in_(school_ids),
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.error_reason == NO_TEMPLATE,
        )
        .values(next_attempt_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _quick_replies(components: list) -> list[str]:
    labels = []
    for component in components:
        if isinstance(component, dict) and str(component.get("type", "")).upper() == "BUTTONS":
            for button in component.get("buttons") or []:
                if (
                    isinstance(button, dict)
                    and str(button.get("type", "")).upper() == "QUICK_REPLY"
                ):
                    labels.append(str(button.get("text") or ""))
    return labels


def _reason(reason, detail) -> str | None:
    text = " — ".join(p for p in (reason if reason not in ("NONE", "") else None, detail) if p)
    return text[:500] or None


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None
