"""The sample files Meta's review of a media-header template needs as its example: a photo
for an IMAGE header and a one-page PDF for a DOCUMENT one, made once per process with
Pillow (a plain page in the school-notice colours: the example only shows the layout)."""

import functools
import io

from PIL import Image, ImageDraw

SAMPLES = {
    "IMAGE": ("image/jpeg", "sandesh-sample.jpg", "JPEG"),
    "DOCUMENT": ("application/pdf", "sandesh-sample.pdf", "PDF"),
}


@functools.cache
def sample(media_format: str) -> tuple[bytes, str, str]:
    """The sample for a header format: its bytes, MIME type and file name."""
    mime, filename, kind = SAMPLES[media_format]
    size = (800, 450) if media_format == "IMAGE" else (595, 842)  # a photo; an A4 page
    page = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, size[0], size[1] // 6), fill=(26, 86, 160))
    for line in range(5):
        top = size[1] // 4 + line * size[1] // 10
        draw.rectangle((size[0] // 10, top, size[0] * 9 // 10, top + 12), fill=(200, 200, 200))
    out = io.BytesIO()
    page.save(out, kind, **({"quality": 80} if kind == "JPEG" else {}))
    return out.getvalue(), mime, filename
