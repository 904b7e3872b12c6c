"""Why a file is not accepted, in the reader's language (the portal's, the teacher's)."""

from collections import defaultdict

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from portal.lexicon.numerals import localize_digits

MB = 1024 * 1024

REASONS = {
    "empty": _l("The file is empty."),
    "unsupported": _l("Only photos (JPEG, PNG, WebP, HEIC) and PDF files can be sent."),
    "mismatch": _l(
        "The file is not what its type says: it says %(declared)s but it is not. "
        "Send the photo or PDF itself."
    ),
    "corrupt_image": _l(
        "The photo could not be read: the file is damaged. Save or take it again and send it."
    ),
    "too_many_pixels": _l("The photo is too large to open (%(pixels)s megapixels)."),
    "corrupt_pdf": _l("The PDF could not be read: the file is damaged."),
    "pdf_encrypted": _l("The PDF is protected with a password. Send it without a password."),
    "pdf_script": _l(
        "The PDF contains a script or an automatic action, which Sandesh does not send to "
        "parents. Save it again as a plain PDF (Print, then Save as PDF) and send that."
    ),
    "image_too_large": _l("The photo is %(size)s; at most %(limit)s can be sent."),
    "document_too_large": _l("The file is %(size)s; at most %(limit)s can be sent."),
    "not_media": _l(
        "Stickers, voice notes, videos and other files cannot be sent to parents: only a "
        "photo or a PDF."
    ),
    "download_failed": _l("The file could not be downloaded from WhatsApp. Please send it again."),
    "checksum": _l("The file arrived damaged (its checksum does not match). Please send it again."),
}


class MediaRefused(ValueError):
    """A file that is not accepted; `str()` says why in the current language."""

    def __init__(self, code: str, **values):
        super().__init__(code)
        self.code, self.values = code, values

    def __str__(self) -> str:
        values = {key: _shown(value) for key, value in self.values.items()}
        return str(REASONS[self.code]) % values if values else str(REASONS[self.code])


def describe(code: str) -> str:
    """A stored refusal's reason in the current language (its sizes no longer known)."""
    return str(REASONS.get(code, REASONS["unsupported"])) % defaultdict(lambda: "…")


def _shown(value):
    return human_size(value.size) if isinstance(value, Size) else value


class Size(int):
    """A number of bytes to show as KB or MB."""

    @property
    def size(self) -> int:
        return int(self)


def human_size(size: int, locale: str | None = None) -> str:
    """`240 KB`, `4.2 MB` in the reader's digits."""
    locale = str(locale or get_locale() or "en")
    if size >= MB:
        number, unit = format_decimal(round(size / MB, 1), "#,##0.#", locale="en"), "MB"
    else:
        number, unit = format_decimal(max(1, round(size / 1024)), "#,##0", locale="en"), "KB"
    return localize_digits(f"{number} {unit}", locale)
