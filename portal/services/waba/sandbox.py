"""The sandbox's stand-in for Meta's account calls, kept in the database so every process
sees it: a number's fields (its limit is the one Sandesh last learned: there is no Meta to
change it but the simulator's webhook), and templates submitted, then approved after a
short review as Meta would (`review_due`, which a task runs and posts webhooks for)."""

import hashlib
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.models import SandboxTemplate, School
from portal.services.common import clock
from portal.whatsapp.errors import GraphError
from portal.whatsapp.sandbox_webhooks import account_body, template_status_value
from portal.whatsapp.template_requests import supported

ID_BASE = 7_000_000_000_000_000  # sandbox template ids look like Meta's long numbers
DUPLICATE = 2388024  # Meta's subcode: that name already exists in that language


class SandboxGraph:
    """Same calls as GraphManagement; tokens are not checked (there is no Meta)."""

    def phone_number(self, *, phone_number_id: str, token: str) -> dict:
        school = db.session.scalar(
            sa.select(School).where(School.phone_number_id == phone_number_id)
        )
        if school is None:
            raise GraphError(
                code=100,
                http_status=400,
                message=f"Object with ID '{phone_number_id}' does not exist",
            )
        return {
            "id": phone_number_id,
            "display_phone_number": school.display_phone_number or f"+977 {phone_number_id[-10:]}",
            "verified_name": school.verified_name or school.name,
            "quality_rating": school.quality_rating or "GREEN",
            "whatsapp_business_manager_messaging_limit": school.messaging_tier,
        }

    def create_template(self, *, waba_id: str, token: str, definition: dict) -> dict:
        name, language = definition["name"], definition["language"]
        if not supported(language):
            raise GraphError(
                code=100, http_status=400, message="Invalid parameter", details="language"
            )
        found = sa.select(SandboxTemplate.id).where(
            SandboxTemplate.waba_id == waba_id,
            SandboxTemplate.name == name,
            SandboxTemplate.language == language,
        )
        if db.session.scalar(found) is not None:
            raise GraphError(
                code=100,
                http_status=400,
                message="Invalid parameter",
                subcode=DUPLICATE,
                user_message=f"Content in this language already exists: {name} ({language})",
            )
        row = SandboxTemplate(
            waba_id=waba_id,
            name=name,
            language=language,
            category=definition["category"],
            status="PENDING",
            components=definition["components"],
            submitted_at=clock.now(),
        )
        db.session.add(row)
        db.session.flush()
        return {"id": str(ID_BASE + row.id), "status": "PENDING", "category": row.category}

    def upload_sample(self, *, token: str, data: bytes, mime: str, filename: str) -> str:
        """A handle as Meta's Resumable Upload API gives one (the sandbox keeps no file)."""
        return f"sandbox:{hashlib.sha256(data).hexdigest()[:24]}:{filename}"

    def list_templates(self, *, waba_id: str, token: str) -> list[dict]:
        rows = db.session.scalars(
            sa.select(SandboxTemplate)
            .where(SandboxTemplate.waba_id == waba_id)
            .order_by(SandboxTemplate.id)
        )
        return [_as_meta(row) for row in rows]


def _as_meta(row: SandboxTemplate) -> dict:
    return {
        "id": str(ID_BASE + row.id),
        "name": row.name,
        "language": row.language,
        "status": row.status,
        "category": row.category,
        "components": row.components,
    }


def review_seconds() -> float:
    return float(current_app.config["SANDBOX_TEMPLATE_REVIEW_SECONDS"])


def review_due() -> list[bytes]:
    """Approve every template pending longer than the review takes; the webhook body Meta
    would post for each (the caller commits, then stores and processes them)."""
    now = clock.now()
    due = db.session.scalars(
        sa.select(SandboxTemplate).where(
            SandboxTemplate.status == "PENDING",
            SandboxTemplate.submitted_at <= now - timedelta(seconds=review_seconds()),
        )
    ).all()
    bodies = []
    for row in due:
        row.status = "APPROVED"
        value = template_status_value(_as_meta(row), "APPROVED", "NONE")
        bodies.append(account_body(row.waba_id, "message_template_status_update", value, now))
    return bodies
