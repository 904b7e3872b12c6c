"""Submitting the shipped templates to a school's WhatsApp Business Account and reading back
what Meta holds: every shipped purpose in every language the school's parents read (and its
fallback language) that Meta does not have yet is submitted once; Meta's id, status,
category and quick-reply buttons are recorded on the school's registry. Running it again
submits nothing twice."""

import logging
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import Guardian, School
from portal.services.common import audit
from portal.services.common.refusals import SetupError
from portal.services.delivery.sending import access_token
from portal.services.waba import samples, template_status
from portal.services.wording.template_texts import LANGUAGES, all_shipped
from portal.services.wording.templates import new_row, template_rows
from portal.whatsapp.errors import GraphError, TransportError
from portal.whatsapp.template_requests import language_code, template_definition

log = logging.getLogger(__name__)

DUPLICATE = 2388024  # Meta's subcode: a template with that name exists in that language


@dataclass
class SyncReport:
    """What a sync did: submitted now, found at Meta already, and what failed (Meta's words)."""

    submitted: list[tuple[str, str]] = field(default_factory=list)
    found: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # name, language, why
    statuses: dict[tuple[str, str], str] = field(default_factory=dict)
    handles: dict[str, str] = field(default_factory=dict)  # header format -> uploaded sample
    unsampled: dict[str, str] = field(default_factory=dict)  # header format -> why not

    @property
    def approved(self) -> int:
        return sum(status == "APPROVED" for status in self.statuses.values())


def languages_used(school: School) -> list[str]:
    """The languages the school's parents read (Nepali for `both`), and its fallback."""
    found = set(
        db.session.scalars(
            sa.select(Guardian.language).where(Guardian.school_id == school.id).distinct()
        )
    )
    used = {"ne" if lang == "both" else lang for lang in found} | {
        school.template_fallback_language
    }
    if not found:
        used |= set(LANGUAGES)
    return [lang for lang in LANGUAGES if lang in used]


def sync_templates(
    *, school: School, graph, user_id: int | None = None, actor: str | None = None
) -> SyncReport:
    """Submit what Meta lacks and record what it holds (the caller commits); a submission
    is audited, and parents waiting for a template are tried again once one is approved."""
    if not school.waba_id:
        raise SetupError(_l("Enter the school's WhatsApp Business Account ID first."))
    token, report = access_token(school), SyncReport()
    held = _held(graph, school, token)
    rows = template_rows(school)
    wanted = set(languages_used(school))
    for template in all_shipped():
        if template.language not in wanted:
            continue
        row = rows.get((template.purpose, template.language)) or new_row(school, template)
        key = (row.meta_name, language_code(row.declared_language))
        if key not in held and row.meta_name == template.name:
            held[key] = _submit(graph, school, token, template, report)
        elif key in held:
            report.found.append(key)
        if held.get(key):
            template_status.record(row, held[key])
            report.statuses[key] = held[key].get("status") or ""
    if report.submitted:
        submitted = ", ".join(f"{name} ({lang})" for name, lang in report.submitted)
        changes = {"submitted": [None, submitted]}
        audit.record(
            school_id=school.id,
            user_id=user_id,
            actor=actor,
            action="templates.sync",
            changes=changes,
        )
    if report.approved:
        template_status.wake_template_waits([school.id])
    return report


def sync_every_school(*, graph) -> dict[str, int]:
    """The daily follow-up, as Sandesh itself: every active school with an account synced,
    so a template shipped since is submitted and a status whose webhook was missed is read
    back; one school's failure is logged and does not stop the others."""
    counts = {"synced": 0, "submitted": 0, "failed": 0}
    schools = db.session.scalars(
        sa.select(School).where(School.active, School.waba_id.is_not(None)).order_by(School.id)
    ).all()
    for school in schools:
        try:
            report = sync_templates(school=school, graph=graph, actor="system")
        except SetupError as exc:
            log.warning("daily template sync of %s failed: %s", school.slug, exc)
            counts["failed"] += 1
            continue
        counts["synced"] += 1
        counts["submitted"] += len(report.submitted)
        counts["failed"] += bool(report.failed)
    return counts


def _held(graph, school: School, token: str) -> dict[tuple[str, str], dict]:
    """Meta's templates of the account, by (name, language)."""
    try:
        listed = graph.list_templates(waba_id=school.waba_id, token=token)
    except (GraphError, TransportError) as exc:
        raise SetupError(_l("Meta did not list the templates: %(why)s", why=_why(exc))) from None
    return {(t.get("name"), language_code(t.get("language"))): t for t in listed}


def _submit(graph, school: School, token: str, template, report: SyncReport) -> dict | None:
    """Submit one; what Meta now holds for it (None when Meta refused, with why)."""
    key = (template.name, template.meta_language)
    header = None
    if template.header:
        handle = _sample_handle(graph, token, template.header, report)
        if handle is None:
            report.failed.append((*key, report.unsampled[template.header]))
            return None
        header = (template.header, handle)
    definition = template_definition(
        name=template.name,
        language=template.meta_language,
        body=template.body,
        examples=template.examples,
        quick_replies=template.buttons,
        header=header,
    )
    try:
        answer = graph.create_template(waba_id=school.waba_id, token=token, definition=definition)
    except GraphError as exc:
        if exc.subcode == DUPLICATE:  # made meanwhile (by hand, or a sync a moment ago)
            report.found.append(key)
            return None
        report.failed.append((*key, _why(exc)))
        return None
    except TransportError as exc:
        report.failed.append((*key, _why(exc)))
        return None
    report.submitted.append(key)
    return (
        {"name": template.name, "language": template.meta_language}
        | answer
        | {"components": definition["components"]}
    )


def _sample_handle(graph, token: str, media_format: str, report: SyncReport) -> str | None:
    """The handle of a sample file for a media header, uploaded once per sync; None when it
    could not be (why is kept for every template that needs it)."""
    if media_format in report.handles or media_format in report.unsampled:
        return report.handles.get(media_format)
    data, mime, filename = samples.sample(media_format)
    try:
        handle = graph.upload_sample(token=token, data=data, mime=mime, filename=filename)
    except LookupError:
        why = _(
            "Not submitted: the photo and PDF templates need a sample file uploaded with "
            "your Meta app's ID. Set WHATSAPP_APP_ID and sync again."
        )
        report.unsampled[media_format] = str(why)
        return None
    except (GraphError, TransportError) as exc:
        why = _("Meta did not take the sample file: %(why)s", why=_why(exc))
        report.unsampled[media_format] = str(why)
        return None
    report.handles[media_format] = handle
    return handle


def _why(exc: Exception) -> str:
    if isinstance(exc, GraphError):
        return exc.explanation()
    return str(exc)
