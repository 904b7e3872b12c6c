"""A school's photos and PDFs for its portal pages: the file, a photo's thumbnail and a
smaller one for lists, each only to the school's own users (another school's id is a 404),
cached by the browser for good (a file's content never changes under its id). They vary on
the session cookie, so a browser checks again after a new sign-in: the content hash as ETag
makes that a 304."""

from flask import Blueprint, Response, abort, request

from portal.services.media import files, inspect
from portal.web.tenancy import school_id, school_member

bp = Blueprint("media", __name__, url_prefix="/media")
CACHED = "private, max-age=31536000, immutable"


@bp.get("/<int:media_id>")
@school_member
def show(media_id: int):
    media = files.of_school(school_id(), media_id) or abort(404)
    if unchanged := _not_modified(media.sha256):
        return unchanged
    response = _cached(Response(files.read(media), mimetype=media.mime_type), media.sha256)
    disposition = "inline" if media.kind == "image" else "attachment"
    response.headers.set("Content-Disposition", disposition, filename=media.filename)
    return response


@bp.get("/<int:media_id>/thumb")
@school_member
def thumb(media_id: int):
    return _thumb(media_id, small=False)


@bp.get("/<int:media_id>/thumb/small")
@school_member
def small_thumb(media_id: int):
    """For lists, where a row shows the photo 40 px high (made from the thumbnail)."""
    return _thumb(media_id, small=True)


def _thumb(media_id: int, *, small: bool):
    media = files.of_school(school_id(), media_id) or abort(404)
    if media.thumb_sha256 is None:
        abort(404)
    tag = media.thumb_sha256[:32]
    if small:  # made from the thumbnail at this size: a new size is a new tag
        tag = f"{tag[:24]}-small{inspect.SMALL_THUMB_SIDE}"
    if unchanged := _not_modified(tag):
        return unchanged
    data = files.read(media, thumb=True)
    body = inspect.small_thumbnail(data) if small else data
    return _cached(Response(body, mimetype="image/jpeg"), tag)


def _cached(response: Response, tag: str) -> Response:
    """Kept by the browser for good, with the content's tag (its hash) to check it by."""
    response.headers["Cache-Control"] = CACHED
    response.set_etag(tag[:32])
    return response


def _not_modified(tag: str) -> Response | None:
    """A 304 when the browser already holds this content (read from storage only if not)."""
    if not request.if_none_match.contains(tag[:32]):
        return None
    return _cached(Response(status=304), tag)


@bp.app_template_filter("filesize")
def filesize(size: int) -> str:
    """`240 KB`, `1.2 MB` in the reader's digits."""
    from portal.services.media.refusals import human_size

    return human_size(size)


@bp.app_template_filter("media_refusal")
def media_refusal(code: str) -> str:
    """Why a file someone sent was not kept, in the reader's language."""
    from portal.services.media.refusals import describe

    return describe(code)
