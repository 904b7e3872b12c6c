"""A file checked for what it really is and made ready to send: a photo decoded (JPEG, PNG,
WebP, HEIC …), turned upright, resized and re-encoded without its metadata (GPS, camera) so
a parent on 2G downloads a few hundred KB, with a small thumbnail; a PDF checked for scripts
and counted. Nothing here touches the database."""

import io
import os
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from portal.models import MediaKind
from portal.services.media import pdfs
from portal.services.media.refusals import MB, MediaRefused, Size

register_heif_opener()  # HEIC/HEIF (iPhone photos) open like any other image

IMAGE_LIMIT, DOCUMENT_LIMIT = 5 * MB, 100 * MB  # Meta's limits for images and documents
LONG_SIDE = 1600  # pixels: sharp on a phone, small on the wire
TARGET_BYTES = 300 * 1024  # what a parent on 2G should download at most, where possible
QUALITIES = (80, 70, 60)
THUMB_SIDE = 240
SMALL_THUMB_SIDE = 96  # a list shows a photo 40 px high: sharp on a phone, a third the bytes
MAX_PIXELS = 60_000_000  # a larger "photo" is a decompression bomb, not a camera's
PDF_TYPE = "application/pdf"
GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream"}
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


@dataclass
class Prepared:
    """A file ready to store and send."""

    kind: str
    mime_type: str
    filename: str
    data: bytes
    original_size: int
    width: int | None = None
    height: int | None = None
    pages: int | None = None
    thumb: bytes | None = None


def prepare(
    data: bytes, *, filename: str | None, declared: str | None, limits: tuple[int, int]
) -> Prepared:
    """Check a file and make it ready to send; raises MediaRefused saying why not."""
    if not data:
        raise MediaRefused("empty")
    declared = (declared or "").split(";")[0].strip().lower()
    is_pdf = data[:1024].lstrip().startswith(b"%PDF-")
    if is_pdf:
        if declared not in GENERIC_TYPES and declared != PDF_TYPE:
            raise MediaRefused("mismatch", declared=declared)
        return _pdf(data, filename, limits[1])
    if declared == PDF_TYPE:
        raise MediaRefused("mismatch", declared=declared)
    if declared not in GENERIC_TYPES and not declared.startswith("image/"):
        raise MediaRefused("unsupported")
    return _image(data, filename, declared, limits[0])


def _pdf(data: bytes, filename: str | None, limit: int) -> Prepared:
    if len(data) > limit:
        raise MediaRefused("document_too_large", size=Size(len(data)), limit=Size(limit))
    pages = pdfs.check(data)
    name = safe_filename(filename, ".pdf", "document")
    return Prepared(MediaKind.DOCUMENT, PDF_TYPE, name, data, len(data), pages=pages)


def _image(data: bytes, filename: str | None, declared: str, limit: int) -> Prepared:
    if len(data) > limit:
        raise MediaRefused("image_too_large", size=Size(len(data)), limit=Size(limit))
    picture = _decode(data, declared)
    encoded, mime = _encode(picture)
    ext = ".png" if mime == "image/png" else ".jpg"
    return Prepared(
        MediaKind.IMAGE,
        mime,
        safe_filename(filename, ext, "photo"),
        encoded,
        len(data),
        width=picture.width,
        height=picture.height,
        thumb=thumbnail(picture),
    )


def _decode(data: bytes, declared: str) -> Image.Image:
    """The photo, decoded whole, upright, in RGB (transparency on white); corrupt files and
    files that are not images are refused."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.width * probe.height > MAX_PIXELS:
                raise MediaRefused("too_many_pixels", pixels=probe.width * probe.height // 10**6)
            probe.verify()  # structure and checksums, before decoding
            picture = Image.open(io.BytesIO(data))
            picture.load()
    except UnidentifiedImageError:
        code = "unsupported" if declared in GENERIC_TYPES else "mismatch"
        raise MediaRefused(code, declared=declared) from None
    except (
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        if isinstance(exc, MediaRefused):
            raise
        raise MediaRefused("corrupt_image") from None
    picture = ImageOps.exif_transpose(picture)
    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        background = Image.new("RGB", picture.size, "white")
        background.paste(picture.convert("RGBA"), mask=picture.convert("RGBA").getchannel("A"))
        picture = background
    elif picture.mode != "RGB":
        picture = picture.convert("RGB")
    picture.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
    return picture


def _encode(picture: Image.Image) -> tuple[bytes, str]:
    """A JPEG at the best quality that fits the 2G target (no EXIF, no GPS, no camera); a
    screenshot or scan whose PNG is smaller stays PNG."""
    for quality in QUALITIES:
        jpeg = _save(picture, "JPEG", quality=quality, optimize=True, progressive=True)
        if len(jpeg) <= TARGET_BYTES:
            break
    else:
        smaller = picture.copy()
        smaller.thumbnail((LONG_SIDE * 3 // 4, LONG_SIDE * 3 // 4), Image.Resampling.LANCZOS)
        jpeg = _save(smaller, "JPEG", quality=QUALITIES[-1], optimize=True, progressive=True)
    if picture.width * picture.height <= 1_000_000:
        png = _save(picture, "PNG", optimize=True)
        if len(png) < len(jpeg):
            return png, "image/png"
    return jpeg, "image/jpeg"


def thumbnail(picture: Image.Image) -> bytes:
    """A small JPEG for the portal's lists and previews."""
    small = picture.copy()
    small.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return _save(small, "JPEG", quality=70, optimize=True)


def small_thumbnail(thumb: bytes) -> bytes:
    """The thumbnail smaller still, for a broadcast's row in a list (a third of its bytes)."""
    small = Image.open(io.BytesIO(thumb))
    small.thumbnail((SMALL_THUMB_SIDE, SMALL_THUMB_SIDE), Image.Resampling.LANCZOS)
    return _save(small, "JPEG", quality=70, optimize=True)


def _save(picture: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    picture.save(out, fmt, **options)  # no exif= given: none is written
    return out.getvalue()


def safe_filename(name: str | None, ext: str, fallback: str) -> str:
    """A name to show and send: the base name only, no control characters, with the
    extension of what the file now is."""
    base = os.path.basename(_UNSAFE_NAME.sub(" ", name or "").strip()) or fallback
    stem = os.path.splitext(base)[0].strip()[:200] or fallback
    return stem + ext
