"""Why a message failed, waits or was skipped, in the reader's language: Meta's error codes
as people read them, and Sandesh's own reasons."""

from flask_babel import get_locale
from flask_babel import gettext as _

from portal.models import DeliveryStatus
from portal.services.common import dates
from portal.whatsapp import errors

OPTED_OUT = "opted out"  # the stored reason of a skipped delivery whose guardian said STOP
NO_TEMPLATE = "no approved template"  # a pending delivery waiting for Meta's approval
DAILY_CAP = "daily cap"  # the stored reason of a delivery waiting for the next day (caps.py)


def code_reason(code: int | None) -> str:
    """What a Meta error code means for the school."""
    return str(errors.reason(code))


def delivery_reason(delivery) -> str | None:
    """Why a delivery failed, is waiting again or was skipped."""
    if delivery.status == DeliveryStatus.SKIPPED and delivery.error_reason == OPTED_OUT:
        return _("Opted out (replied STOP)")
    if delivery.status == DeliveryStatus.PENDING and delivery.error_reason == NO_TEMPLATE:
        return _("Waiting for Meta to approve a template in the parent's language.")
    if delivery.status == DeliveryStatus.PENDING and delivery.waiting:
        return _("Waiting for the daily WhatsApp limit: goes at %(when)s.", when=when(delivery))
    if delivery.status == DeliveryStatus.PENDING and delivery.error_reason == DAILY_CAP:
        return _("This parent had the day's most messages: it goes the next morning.")
    if delivery.error_code is not None:
        return code_reason(delivery.error_code)
    return delivery.error_reason


def when(delivery) -> str:
    """When a waiting delivery is due, in the reader's language (Nepal time, both calendars)."""
    return dates.format_dual_datetime(delivery.next_attempt_at, _locale())


def _locale() -> str:
    code = str(get_locale() or "ne")
    return code if code in ("ne", "en") else "ne"
