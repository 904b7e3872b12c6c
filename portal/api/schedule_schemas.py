"""JSON shapes of /api/v1/schedules, checked with marshmallow."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from portal.models import Every, Kind, OnHoliday
from portal.services.schedules.rules import WEEKDAY_NAMES
from portal.services.schedules.schedules import KINDS


class RuleIn(Schema):
    """`{"every": "week", "at": "06:00", "weekdays": ["sun"], "on_holiday": "skip"}`."""

    class Meta:
        unknown = EXCLUDE

    every = fields.String(required=True, validate=validate.OneOf(list(Every)))
    at = fields.Time(required=True, format="%H:%M")
    weekdays = fields.List(fields.String(validate=validate.OneOf(WEEKDAY_NAMES)), load_default=[])
    bs_day = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 32))
    on_holiday = fields.String(
        load_default=OnHoliday.SKIP, validate=validate.OneOf(list(OnHoliday))
    )

    @validates_schema
    def _needs_its_day(self, data, **kwargs):
        if data["every"] == Every.WEEK and not data["weekdays"]:
            raise ValidationError('Give the weekdays, such as ["sun"].', "weekdays")
        if data["every"] == Every.BS_MONTH and data["bs_day"] is None:
            raise ValidationError("Give the Bikram Sambat day of the month, 1 to 32.", "bs_day")


class ScheduleIn(Schema):
    """POST /api/v1/schedules."""

    class Meta:
        unknown = EXCLUDE

    targets = fields.List(
        fields.String(validate=validate.Length(min=1, max=20)),
        required=True,
        validate=validate.Length(min=1, max=100),
    )
    body_en = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=3000))
    body_ne = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=3000))
    kind = fields.String(load_default=Kind.NOTICE, validate=validate.OneOf(list(KINDS)))
    subject = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    rule = fields.Nested(RuleIn, required=True)
    starts_on = fields.Date(load_default=None, allow_none=True)
    ends_on = fields.Date(load_default=None, allow_none=True)


def service_arguments(data: dict) -> tuple[dict, dict]:
    """(rule, texts) for `schedules.create_schedule` from a loaded ScheduleIn."""
    rule = dict(data["rule"])
    rule["weekdays"] = [WEEKDAY_NAMES.index(name) for name in rule["weekdays"]]
    rule |= {"starts_on": data["starts_on"], "ends_on": data["ends_on"]}
    texts = {k: data[k] for k in ("kind", "targets", "subject", "body_en", "body_ne")}
    return rule, texts


def sunday_first(weekdays) -> list[int]:
    """Weekdays in the order of Nepal's week, which starts on Sunday."""
    return sorted(weekdays or (), key=lambda day: (day + 1) % 7)


def rule_out(schedule) -> dict:
    return {
        "every": schedule.every,
        "at": schedule.at.strftime("%H:%M"),
        "weekdays": [WEEKDAY_NAMES[day] for day in sunday_first(schedule.weekdays)],
        "bs_day": schedule.bs_day,
        "on_holiday": schedule.on_holiday,
    }
