"""The compose form: targets, kind, both languages, and a send time in Nepal time."""

import re
from datetime import date, datetime, time

import nepali_datetime
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from portal.lexicon.numerals import to_ascii_digits
from portal.models import Kind
from portal.services.broadcasting.broadcasts import BroadcastError
from portal.services.common import clock, dates
from portal.services.wording.parent_messages import KIND_LABELS

# Absence alerts name students and are sent by teachers from WhatsApp (ABSENT 5A: 3 7 12).
COMPOSE_KINDS = (Kind.NOTICE, Kind.HOMEWORK, Kind.EVENT, Kind.EMERGENCY)
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2})?$")
# A year this large is Bikram Sambat (typed where the browser has no date picker).
FIRST_BS_YEAR = 2060
# Where a service's complaint about a field is shown on this form.
ERROR_FIELD = {"scheduled_at": "send_date", "student_ids": "targets"}


def _stripped(text: str | None) -> str:
    return (text or "").strip()


class BroadcastForm(FlaskForm):
    targets = SelectMultipleField(_l("Send to"), choices=[], validate_choice=False)
    kind = RadioField(
        _l("Kind of message"),
        choices=[SelectChoice(k, KIND_LABELS[k]) for k in COMPOSE_KINDS],
        default=Kind.NOTICE,
    )
    subject = StringField(
        _l("Subject (for homework)"), filters=[_stripped], validators=[Length(max=100)]
    )
    body_ne = TextAreaField(_l("Message in Nepali"), filters=[_stripped])
    body_en = TextAreaField(_l("Message in English"), filters=[_stripped])
    send_date = StringField(_l("Date"), filters=[_stripped])
    send_time = StringField(_l("Time"), filters=[_stripped])
    # One photo (JPEG, PNG; WebP, HEIC and others made JPEG) or PDF, sent with the text;
    # once previewed it is kept, and the form carries its id instead of the bytes again.
    attachment = FileField(_l("Photo or PDF (optional)"))
    media_file_id = HiddenField()
    # This compose page's id: a second Send of it opens the broadcast the first one made.
    submission = HiddenField()

    def add_error(self, error: BroadcastError) -> None:
        """Show a service's complaint under the field it is about."""
        name = ERROR_FIELD.get(error.field or "", error.field)
        target = self._fields.get(name or "")
        if target is None:
            self.form_errors.append(str(error))
        else:
            target.errors = [*target.errors, str(error)]

    def later(self) -> bool:
        """Whether a send time was given (no time means now)."""
        return bool(self.send_time.data)

    def requested_time(self) -> datetime:
        """The moment asked for, timezone-aware: now, or the date and time in Nepal."""
        today = clock.now().astimezone(dates.NEPAL).date()
        day = parse_date(self.send_date.data) if self.send_date.data else today
        if not self.later():
            if day != today:
                raise BroadcastError(
                    _l("Enter a time too, or clear the date to send now."), "scheduled_at"
                )
            return clock.now()
        return datetime.combine(day, parse_time(self.send_time.data), tzinfo=dates.NEPAL)

    def values(self) -> dict:
        """The create_broadcast arguments this form gives (time aside)."""
        return {
            "kind": self.kind.data,
            "targets_given": list(self.targets.data or []),
            "body_ne": self.body_ne.data,
            "body_en": self.body_en.data,
            "subject": (self.subject.data or None) if self.kind.data == Kind.HOMEWORK else None,
        }


def parse_date(text: str | None) -> date:
    """`2025-11-23` (or a Bikram Sambat `2082-08-07`, in either kind of digits) → a date."""
    match = _DATE.match(to_ascii_digits(text or "").strip())
    if not match:
        raise BroadcastError(_l("Enter a date, such as 2025-11-23."), "scheduled_at")
    year, month, day = (int(part) for part in match.groups())
    try:
        if year >= FIRST_BS_YEAR:
            return nepali_datetime.date(year, month, day).to_datetime_date()
        found = date(year, month, day)
    except (ValueError, OverflowError):
        raise BroadcastError(_l("There is no such date."), "scheduled_at") from None
    try:
        dates.to_bs(found)  # the Bikram Sambat calendar Sandesh shows ends in 2100 BS
    except (ValueError, OverflowError):
        raise BroadcastError(_l("That date is too far away."), "scheduled_at") from None
    return found


def parse_time(text: str | None) -> time:
    """`07:30` → a time of day."""
    match = _TIME.match(to_ascii_digits(text or "").strip())
    if not match:
        raise BroadcastError(_l("Enter a time, such as 07:30."), "scheduled_at")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise BroadcastError(_l("Enter a time, such as 07:30."), "scheduled_at")
    return time(hour, minute)
