"""JSON shapes of the API, checked with marshmallow."""

from marshmallow import EXCLUDE, Schema, fields, validate

from portal.models import Kind
from portal.services.common.dates import NEPAL


class BroadcastIn(Schema):
    """POST /api/v1/broadcasts. A send time without an offset is Nepal time."""

    class Meta:
        unknown = EXCLUDE

    targets = fields.List(
        fields.String(validate=validate.Length(min=1, max=20)),
        required=True,
        validate=validate.Length(min=1, max=100),
    )
    body_en = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=3000))
    body_ne = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=3000))
    # Monthly attendance summaries are made by the school's switch, not written.
    kind = fields.String(
        load_default=Kind.NOTICE,
        validate=validate.OneOf([kind for kind in Kind if kind != Kind.ATTENDANCE]),
    )
    subject = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    scheduled_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=NEPAL)
    # A photo or PDF kept by POST /api/v1/media (or sent in the same multipart request).
    media_id = fields.Integer(load_default=None, allow_none=True, strict=False)


class BroadcastOut(Schema):
    """A broadcast as the API shows it (the view adds its delivery counts)."""

    id = fields.Integer()
    status = fields.String()
    kind = fields.String()
    targets = fields.List(fields.String())
    subject = fields.String(allow_none=True)
    body_en = fields.String(allow_none=True)
    body_ne = fields.String(allow_none=True)
    source = fields.String()
    scheduled_at = fields.AwareDateTime()
    started_at = fields.AwareDateTime(allow_none=True)
    completed_at = fields.AwareDateTime(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)
