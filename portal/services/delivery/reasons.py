"""A delivery's status, and why a message failed, waits or was skipped, in the reader's
language: Meta's error codes as people read them, and Sandesh's own reasons."""

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.models import DeliveryStatus
from portal.services.common import dates
from portal.whatsapp import errors

STATUS_LABELS = {  # a delivery's status as a person reads it
    "pending": _l("Waiting"),
    "waiting": _l("Waiting for the daily limit"),
    "acknowledged": _l("Seen"),
    "held": _l("Held for the daily digest"),
    "sending": _l("Sending"),
    "accepted": _l("Sent"),
    "sent": _l("Sent"),
    "delivered": _l("Delivered"),
    "read": _l("Read"),
    "failed": _l("Failed"),
    "skipped": _l("Skipped"),
    "cancelled": _l("Cancelled"),
}

# Meta's pricing categories (status webhooks' `pricing.category`) as a person reads them.
PRICING_CATEGORY_LABELS = {
    "utility": _l("Utility"),
    "service": _l("Service"),
    "marketing": _l("Marketing"),
    "marketing_lite": _l("Marketing"),
    "authentication": _l("Authentication"),
    "authentication_international": _l("Authentication"),
    "referral_conversion": _l("Free entry point"),
}

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
    return dates.format_dual_datetime(delivery.next_attempt_at, reader_locale())


def reader_locale() -> str:
    """The language the request is read in: `ne` or `en`."""
    code = str(get_locale() or "ne")
    return code if code in ("ne", "en") else "ne"
