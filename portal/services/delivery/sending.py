"""Sending deliveries: claim a batch with a lease, respect the speed limits, send each in the
guardian's language (text inside the 24-hour window, a template outside it), store the wamid
at once, and decide what an error means for that delivery and its school.

Every state change is a conditional update on the delivery's current status, so a status
webhook, the sweeper and a worker can race without undoing each other's work.
"""

import contextlib
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g

from portal.extensions import db
from portal.models import (
    Broadcast,
    Delivery,
    Guardian,
    School,
    SchoolClass,
    StatusEvent,
    Student,
    Template,
)
from portal.services.common import clock
from portal.services.common.secrets import decrypt
from portal.services.delivery import alerts, ratelimit, statuses
from portal.services.wording import parent_messages
from portal.whatsapp.errors import Action, GraphError, TransportError, backoff_seconds, classify
from portal.whatsapp.errors import reason as error_reason

BATCH_SIZE = 25
MAX_ATTEMPTS = 12
WINDOW = timedelta(hours=24) - timedelta(minutes=5)  # a little margin before Meta's 24 hours


# The statements every message runs, built once so their SQL and cache keys are reused.
_deliveries, _broadcasts, _schools = Delivery.__table__, Broadcast.__table__, School.__table__
_events = StatusEvent.__table__


def _gate_columns(broadcast_id, school_id) -> list:
    """(broadcast status, school paused at): what may stop a message just before it goes."""
    return [
        sa.select(_broadcasts.c.status).where(_broadcasts.c.id == broadcast_id).scalar_subquery(),
        sa.select(_schools.c.sending_paused_at).where(_schools.c.id == school_id).scalar_subquery(),
    ]


GATE = sa.select(*_gate_columns(sa.bindparam("broadcast_id"), sa.bindparam("school_id")))
_stored = {
    "wamid": sa.bindparam("new_wamid"),
    "accepted_at": sa.bindparam("now", type_=_deliveries.c.accepted_at.type),
    "sent_as": sa.bindparam("how"),
    "language": sa.bindparam("lang"),
}
ACCEPT = (
    sa.update(_deliveries)
    .where(_deliveries.c.id == sa.bindparam("delivery_id"), _deliveries.c.status == "sending")
    .values(status="accepted", error_code=None, error_reason=None, lease_until=None, **_stored)
    .returning(
        # Whether statuses came for this wamid before it was stored (rare) ...
        sa.exists().where(
            _events.c.wamid == sa.bindparam("new_wamid"), _events.c.applied_at.is_(None)
        ),
        # ... and the gate as it stands now, for the sender's next message.
        *_gate_columns(_deliveries.c.broadcast_id, _deliveries.c.school_id),
    )
)
ACCEPT_OVERTAKEN = (  # a status webhook (matched by callback data) already moved it on
    sa.update(_deliveries)
    .where(_deliveries.c.id == sa.bindparam("delivery_id"), _deliveries.c.wamid.is_(None))
    .values(**_stored)
)


class Ledger:
    """A sender's statements per message, on a connection it holds for its loop, each
    committed as it runs: the check just before a message goes and the wamid just after.
    Storing a wamid also reads the check again, so a sender going from one message to the
    next makes one round trip to the database per message, not a transaction and a pool
    checkout each.

    Everything else a send may change (deferrals, failures, alerts, early statuses) goes
    through the session, which the sender commits after each message."""

    def __init__(self, connection: sa.Connection):
        self.connection = connection
        self._fresh: tuple[int, tuple[bool, bool]] | None = None  # (broadcast id, gate)
        self._accept = prepared(connection, "sandesh_accept", ACCEPT)

    def gate(self, delivery: sa.Row) -> tuple[bool, bool]:
        """(broadcast cancelled, school paused) just before sending: as read when the
        previous message of the same broadcast was stored, else from the database now."""
        fresh, self._fresh = self._fresh, None
        if fresh is not None and fresh[0] == delivery.broadcast_id:
            return fresh[1]
        params = {"broadcast_id": delivery.broadcast_id, "school_id": delivery.school_id}
        return _gate_of(*self.connection.execute(GATE, params).one())

    def accepted(self, delivery: sa.Row, *, wamid: str, sent_as: str, language: str) -> bool:
        """Store the wamid Meta gave; whether statuses for it are waiting to be applied."""
        params = {"delivery_id": delivery.id, "new_wamid": wamid, "now": clock.now()}
        params |= {"how": sent_as, "lang": language}
        row = self._accept(params)
        if row is None:
            self.connection.execute(ACCEPT_OVERTAKEN, params)
            return True
        waiting, status_now, paused_at = row
        self._fresh = (delivery.broadcast_id, _gate_of(status_now, paused_at))
        return bool(waiting)


def _gate_of(broadcast_status: str | None, paused_at) -> tuple[bool, bool]:
    return broadcast_status == "cancelled", paused_at is not None


@contextlib.contextmanager
def ledger():
    """A Ledger on a connection of its own, in autocommit, for one sender's loop."""
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        try:
            yield Ledger(connection)
        finally:
            forget_prepared(connection)


_PARAMETER = re.compile(r"%\((\w+)\)s")


def prepared(connection: sa.Connection, name: str, statement):
    """`statement` as a function of its parameters giving its first row, on this connection.
    On PostgreSQL the server plans it once (PREPARE) and then only runs it (EXECUTE) on the
    driver's cursor: for a small statement run for every message, planning costs the
    server more than running it, and a result object the sender more than the row."""
    planned_once = current_app.config["DATABASE_PREPARED_STATEMENTS"]
    if connection.dialect.name != "postgresql" or not planned_once:
        return lambda params: connection.execute(statement, params).first()
    compiled = statement.compile(dialect=connection.dialect)
    names = list(dict.fromkeys(_PARAMETER.findall(compiled.string)))
    body = _PARAMETER.sub(lambda m: f"${names.index(m.group(1)) + 1}", compiled.string)
    connection.exec_driver_sql(f"PREPARE {name} AS {body}")
    connection.info.setdefault("sandesh_prepared", set()).add(name)
    run = f"EXECUTE {name}({', '.join(f'%({n})s' for n in names)})"
    processors = {
        key: processor
        for bind, key in compiled.bind_names.items()
        if (processor := bind.type.bind_processor(connection.dialect)) is not None
    }

    def execute(params: dict):
        """The first row the statement returns (None if none), straight from the driver."""
        values = compiled.construct_params(params)
        for key, process in processors.items():
            values[key] = process(values[key])
        with contextlib.closing(connection.connection.cursor()) as cursor:
            cursor.execute(run, values)
            return cursor.fetchone() if cursor.description else None

    return execute


def forget_prepared(connection: sa.Connection) -> None:
    """Drop this connection's prepared statements before the pool hands it to someone
    else; a connection that cannot is closed instead of going back to the pool."""
    for name in connection.info.pop("sandesh_prepared", ()):
        try:
            connection.exec_driver_sql(f"DEALLOCATE {name}")
        except sa.exc.DBAPIError:
            connection.invalidate()
            return


@dataclass
class Recipient:
    """The guardian a delivery goes to, as a sender needs them."""

    wa_id: str | None
    phone: str
    language: str
    last_inbound_at: datetime | None


@dataclass
class Job:
    """One claimed delivery with everything needed to send it. The delivery is a plain
    row (what a sender reads and the conditional updates key on), not a loaded entity."""

    delivery: sa.Row
    guardian: Recipient | None
    broadcast: Broadcast | None
    school: School
    children: list[parent_messages.Child]
    # From the limiter (see `admit`): seconds until the person is free (0: reserved), and
    # when the message's token is due (time.monotonic()).
    person_busy: float = 0.0
    due: float = 0.0


# What a sender reads of each claimed delivery and its guardian, as plain rows.
_guardians = Guardian.__table__
JOBS = (
    sa.select(
        _deliveries.c.id,
        _deliveries.c.broadcast_id,
        _deliveries.c.school_id,
        _deliveries.c.student_ids,
        _deliveries.c.to_phone,
        _deliveries.c.body,
        _deliveries.c.language,
        _deliveries.c.sent_as,
        _deliveries.c.attempts,
        _guardians.c.wa_id,
        _guardians.c.phone,
        _guardians.c.language.label("guardian_language"),
        _guardians.c.last_inbound_at,
    )
    .outerjoin(_guardians, _guardians.c.id == _deliveries.c.guardian_id)
    .where(
        _deliveries.c.id.in_(sa.bindparam("ids", expanding=True)),
        _deliveries.c.status == "sending",
    )
    .order_by(_deliveries.c.id)
)


def lease() -> timedelta:
    """How long a worker holds the deliveries it claims."""
    return timedelta(seconds=current_app.config["DELIVERY_LEASE_SECONDS"])


def claim_batch(*, limit: int = BATCH_SIZE, broadcast_id: int | None = None) -> list[int]:
    """Lease up to `limit` due pending deliveries to this worker; their ids."""
    now, d = clock.now(), _deliveries
    paused = sa.select(_schools.c.id).where(_schools.c.sending_paused_at.is_not(None))
    candidates = (
        sa.select(d.c.id)
        .where(d.c.status == "pending", d.c.next_attempt_at <= now, d.c.school_id.not_in(paused))
        .order_by(d.c.id)
        .limit(limit)
    )
    if broadcast_id is not None:
        candidates = candidates.where(d.c.broadcast_id == broadcast_id)
    chosen = d.c.id.in_(candidates.scalar_subquery())
    if db.session.get_bind().dialect.name == "postgresql":
        # ARRAY(...) runs the locking subquery once. With `IN (subquery)` PostgreSQL may
        # rescan it for every row, each rescan skipping the rows this statement has just
        # locked and updated, so one claim could take far more than `limit` deliveries.
        candidates = candidates.with_for_update(skip_locked=True)
        chosen = d.c.id == sa.any_(sa.func.array(candidates.scalar_subquery()))
    claimed = db.session.execute(  # Core statements throughout: no ORM bookkeeping
        sa.update(d)
        .where(chosen, d.c.status == "pending")
        .values(status="sending", lease_until=now + lease(), attempts=d.c.attempts + 1)
        .returning(d.c.id)
    )
    return sorted(claimed.scalars())


def load_jobs(delivery_ids: list[int]) -> list[Job]:
    """The claimed deliveries with their guardians, broadcasts, schools and the children to
    name. A sender reads each broadcast and school once per task (the pause and cancel
    checks read the database before every message anyway)."""
    rows = db.session.execute(JOBS, {"ids": delivery_ids}).all()
    student_ids = {sid for row in rows for sid in row.student_ids}
    names = (
        db.session.execute(
            sa.select(Student.id, Student.name, Student.name_ne, SchoolClass)
            .join(SchoolClass)
            .where(Student.id.in_(student_ids))
        ).all()
        if student_ids
        else []
    )
    children = {
        sid: parent_messages.Child(name, ne, c.name, c.name_ne) for sid, name, ne, c in names
    }
    return [
        Job(
            delivery=row,
            guardian=Recipient(row.wa_id, row.phone, row.guardian_language, row.last_inbound_at)
            if row.phone is not None
            else None,
            broadcast=_kept(Broadcast, row.broadcast_id),
            school=_kept(School, row.school_id),
            children=[children[i] for i in row.student_ids if i in children],
        )
        for row in rows
    ]


def _kept(model, object_id: int | None):
    """An object read once per task and held for it (a sender sends many of the same)."""
    if object_id is None:
        return None
    kept = g.setdefault("sandesh_kept", {})
    if (model, object_id) not in kept:
        kept[model, object_id] = db.session.get(model, object_id)
    return kept[model, object_id]


def admit(jobs: list[Job]) -> None:
    """Reserve each job's person and a token from its number's bucket: one call to the
    limiter per number in the batch (normally one), not one per message."""
    limiter = ratelimit.get_limiter(current_app.config["REDIS_URL"])
    rate, asked = current_app.config["WHATSAPP_RATE_MPS"], time.monotonic()
    by_number: dict[str, list[Job]] = {}
    for job in jobs:
        by_number.setdefault(sender_number(job.school), []).append(job)
    for number, group in by_number.items():
        pairs = [_pair(job) for job in group]
        answers = ratelimit.admit(limiter, pairs=pairs, bucket=number, rate=rate)
        for job, (busy, wait) in zip(group, answers, strict=True):
            job.person_busy, job.due = busy, asked + wait


def send(job: Job, *, transport, ledger: Ledger) -> str:
    """Send one claimed and admitted delivery when its token is due; what happened:
    accepted, deferred, failed or cancelled."""
    delivery = job.delivery
    if job.person_busy > 0:
        return _defer(delivery, job.person_busy, counts_as_attempt=False)
    if (wait := job.due - time.monotonic()) > 0:
        time.sleep(wait)
    cancelled, paused = ledger.gate(delivery)
    if cancelled or paused:
        _release(job)
        if cancelled:
            return _finish(delivery, status="cancelled")
        return _defer(delivery, 60, counts_as_attempt=False)
    number, to = sender_number(job.school), recipient(job.guardian, delivery.to_phone)
    try:
        wamid, sent_as, language = _send_message(job, transport, number, to)
    except (GraphError, TransportError) as exc:
        _release(job)  # nothing reached the parent
        return _handle_error(job, exc)
    if ledger.accepted(delivery, wamid=wamid, sent_as=sent_as, language=language):
        statuses.apply_pending(wamid)
    return "accepted"


def _pair(job: Job) -> str:
    """The limiter's name for messages from this number to this person."""
    return f"{sender_number(job.school)}:{recipient(job.guardian, job.delivery.to_phone)}"


def _release(job: Job) -> None:
    """Free the person's gap for a message that did not reach them."""
    ratelimit.get_limiter(current_app.config["REDIS_URL"]).release_pair(_pair(job))


def sender_number(school: School) -> str:
    """The school's WhatsApp business number id (the sandbox gives schools without one a name)."""
    if school.phone_number_id:
        return school.phone_number_id
    return f"sandbox-{school.slug}"


def recipient(guardian, to_phone: str | None = None) -> str:
    """The `to` of a message: the WhatsApp id when known, else the number without its +."""
    if guardian is None:
        return (to_phone or "").lstrip("+")
    return guardian.wa_id or guardian.phone.lstrip("+")


def access_token(school: School) -> str:
    if school.access_token_encrypted:
        return decrypt(school.access_token_encrypted)
    return current_app.config["WHATSAPP_ACCESS_TOKEN"] or ""


def window_open(guardian) -> bool:
    """Whether the guardian wrote to the school in the last 24 hours (free-form text allowed)."""
    last = guardian.last_inbound_at
    return last is not None and clock.now() - last < WINDOW


def _send_message(job: Job, transport, number: str, to: str) -> tuple[str, str, str]:
    delivery, guardian, broadcast = job.delivery, job.guardian, job.broadcast
    common = {
        "phone_number_id": number,
        "token": access_token(job.school),
        "to": to,
        "callback_data": statuses.callback_data(delivery.id),
    }
    if delivery.body is not None:  # a direct reply: they just wrote, so the window is open
        return transport.send_text(body=delivery.body, **common), "text", delivery.language or ""
    if window_open(guardian) and delivery.sent_as != "template":
        body = parent_messages.render_text(
            broadcast, broadcast.school, job.children, guardian.language
        )
        return transport.send_text(body=body, **common), "text", guardian.language
    purpose = parent_messages.TEMPLATE_PURPOSE[broadcast.kind]
    name, language = choose_template(broadcast.school, purpose, guardian.language)
    params = parent_messages.template_params(broadcast, broadcast.school, job.children, language)
    wamid = transport.send_template(name=name, language=language, params=params, **common)
    return wamid, "template", language


def choose_template(school: School, purpose: str, language: str) -> tuple[str, str]:
    """(Meta template name, language code) for a purpose in the guardian's language, falling
    back to the school's fallback language where that translation is not approved."""
    wanted = "ne" if language == "both" else language
    rows = _templates(school.id, purpose)
    default_name = parent_messages.DEFAULT_TEMPLATES[purpose][0]
    approved = {row.language: row.meta_name for row in rows if row.approved}
    for lang in (wanted, school.template_fallback_language):
        if lang in approved:
            return approved[lang], lang
    if not rows:
        return default_name, wanted
    return default_name, school.template_fallback_language


def _templates(school_id: int, purpose: str) -> list[Template]:
    """A school's templates for a purpose, read once per task (a sender sends many)."""
    cache = g.setdefault("sandesh_templates", {})
    if (school_id, purpose) not in cache:
        cache[school_id, purpose] = db.session.scalars(
            sa.select(Template).where(Template.school_id == school_id, Template.purpose == purpose)
        ).all()
    return cache[school_id, purpose]


def _update_sending(delivery: sa.Row, **values) -> int:
    result = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id == delivery.id, Delivery.status == "sending")
        .values(lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _finish(delivery: sa.Row, *, status: str, code=None, reason=None) -> str:
    values = {"status": status, "error_code": code, "error_reason": reason}
    if status == "failed":
        values["failed_at"] = clock.now()
    _update_sending(delivery, **values)
    return status


def _defer(delivery: sa.Row, seconds: float, *, counts_as_attempt=True, **values) -> str:
    if not counts_as_attempt:
        values["attempts"] = Delivery.attempts - 1
    _update_sending(
        delivery,
        status="pending",
        next_attempt_at=clock.now() + timedelta(seconds=seconds),
        **values,
    )
    return "deferred"


def _handle_error(job: Job, exc: Exception) -> str:
    delivery, action = job.delivery, classify(exc)
    code = getattr(exc, "code", None)
    detail = (getattr(exc, "details", "") or str(exc) or str(error_reason(exc)))[:300]
    if action is Action.RESEND_AS_TEMPLATE and delivery.body is not None:
        return _finish(delivery, status="failed", code=code, reason=detail)  # no template fits
    if action is Action.RESEND_AS_TEMPLATE:
        return _defer(
            delivery,
            0,
            counts_as_attempt=False,
            sent_as="template",
            error_code=code,
            error_reason=detail,
        )
    if action.retries and delivery.attempts < MAX_ATTEMPTS:
        # attempts counts this one: 1 → the first retry (pair limit: 4^1 s, then 4^2 s ...)
        first = 1 if action is Action.RETRY_PAIR_LIMIT else 0
        cap = current_app.config["RETRY_CAP_SECONDS"]
        wait = backoff_seconds(action, delivery.attempts - 1 + first, cap=cap)
        return _defer(delivery, wait, error_code=code, error_reason=detail)
    if action in (Action.FAIL_AND_ALERT, Action.PAUSE_SCHOOL):
        alerts.raise_for(
            school_id=delivery.school_id,
            code=code,
            pause=action is Action.PAUSE_SCHOOL,
            details=detail,
        )
    return _finish(delivery, status="failed", code=code, reason=detail)


def release_expired_leases(*, grace: timedelta = timedelta(minutes=3)) -> int:
    """Deliveries whose worker died: back to pending once the lease and a grace period have
    passed (a `sent` status arriving meanwhile shows Meta took it, and it is not sent again)."""
    now = clock.now()
    result = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.status == "sending", Delivery.lease_until < now - grace)
        .values(status="pending", lease_until=None, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def next_attempt_at(*, broadcast_id: int | None = None):
    """When the earliest waiting delivery (of a school that may send) is due; None if none."""
    paused = sa.select(School.id).where(School.sending_paused_at.is_not(None))
    query = sa.select(sa.func.min(Delivery.next_attempt_at)).where(
        Delivery.status == "pending", Delivery.school_id.not_in(paused)
    )
    if broadcast_id is not None:
        query = query.where(Delivery.broadcast_id == broadcast_id)
    return db.session.scalar(query)


def has_due_work() -> bool:
    """Whether some delivery is waiting for a worker now."""
    query = sa.select(Delivery.id).where(
        Delivery.status == "pending", Delivery.next_attempt_at <= clock.now()
    )
    return db.session.scalar(query.limit(1)) is not None
