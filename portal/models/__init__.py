"""Every model, imported so Alembic and the app see the whole schema."""

from portal.models.accounts import ROLES, ApiToken, IdempotencyKey, LoginThrottle, User
from portal.models.audit import Actor, AuditLog
from portal.models.base import LANGUAGES, UTCDateTime, utcnow
from portal.models.broadcast import (
    DELIVERY_STATUSES,
    DIGEST,
    FINAL,
    KINDS,
    PROGRESS,
    URGENT_KINDS,
    Broadcast,
    BroadcastStatus,
    DailyReply,
    Delivery,
    DeliveryStatus,
    Kind,
    LimitSlot,
    Source,
    Template,
)
from portal.models.calendar import Holiday, HolidayYear
from portal.models.media import MediaBlob, MediaFile, MediaKind, MediaUpload
from portal.models.report import SCOPES, BroadcastTally, SubscriptionChange, report_marks
from portal.models.roster import (
    GUARDIAN_LANGUAGES,
    AttendanceRecord,
    Guardian,
    SchoolClass,
    Student,
    StudentGuardian,
    Teacher,
    teacher_classes,
)
from portal.models.schedule import Every, OnHoliday, RecurringSchedule, ScheduleStatus
from portal.models.school import DEFAULT_TIER, Alert, Portfolio, School
from portal.models.webhook import (
    EventStatus,
    InboundMessage,
    SandboxMessage,
    SandboxTemplate,
    StatusEvent,
    WebhookEvent,
)

__all__ = [
    "DELIVERY_STATUSES",
    "DIGEST",
    "URGENT_KINDS",
    "FINAL",
    "KINDS",
    "PROGRESS",
    "Broadcast",
    "BroadcastTally",
    "SCOPES",
    "SubscriptionChange",
    "report_marks",
    "BroadcastStatus",
    "DailyReply",
    "Delivery",
    "IdempotencyKey",
    "DeliveryStatus",
    "EventStatus",
    "Every",
    "Holiday",
    "HolidayYear",
    "OnHoliday",
    "RecurringSchedule",
    "ScheduleStatus",
    "Kind",
    "MediaBlob",
    "MediaFile",
    "MediaKind",
    "MediaUpload",
    "Source",
    "InboundMessage",
    "SandboxMessage",
    "SandboxTemplate",
    "LimitSlot",
    "Portfolio",
    "DEFAULT_TIER",
    "StatusEvent",
    "Template",
    "WebhookEvent",
    "Actor",
    "Alert",
    "AttendanceRecord",
    "ApiToken",
    "AuditLog",
    "GUARDIAN_LANGUAGES",
    "Guardian",
    "LANGUAGES",
    "LoginThrottle",
    "ROLES",
    "School",
    "SchoolClass",
    "Student",
    "StudentGuardian",
    "Teacher",
    "UTCDateTime",
    "User",
    "teacher_classes",
    "utcnow",
]


def sqlite_pragmas(engine) -> None:
    """WAL, foreign keys and a busy timeout on every SQLite connection (no-op elsewhere)."""
    if engine.dialect.name != "sqlite":
        return
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
