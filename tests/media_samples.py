"""Photos and PDFs made in the test, as teachers' phones and offices produce them: a camera
JPEG with GPS and camera EXIF, a PNG screenshot, WebP, HEIC, PDFs with and without scripts,
and broken or disguised files."""

import io
import random

from PIL import Image, ImageDraw
from pypdf import PdfWriter

GPS_IFD = 0x8825


def photo(width=4000, height=3000, *, quality=95, seed=7, fmt="JPEG", exif=True) -> bytes:
    """A camera-like photo: gradients, shapes and sensor noise, with EXIF (camera, GPS)."""
    rng = random.Random(seed)
    base = Image.linear_gradient("L").resize((width, height))
    picture = Image.merge("RGB", (base, base.rotate(90).resize((width, height)), base))
    draw = ImageDraw.Draw(picture)
    for _ in range(60):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(20, max(21, width // 8))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in "rgb"))
    noise = Image.effect_noise((width, height), 28).convert("RGB")
    picture = Image.blend(picture, noise, 0.18)
    out = io.BytesIO()
    options = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
    if exif and fmt == "JPEG":
        data = Image.Exif()
        data[0x010F] = "Samsung"  # Make
        data[0x0110] = "Galaxy A14"  # Model
        data[0x0112] = 6  # Orientation: rotate 90 degrees to show upright
        data.get_ifd(GPS_IFD).update({1: "N", 2: (27.0, 42.0, 12.5), 3: "E", 4: (85.0, 19.0, 3.2)})
        options["exif"] = data.tobytes()
    picture.save(out, fmt, **options)
    return out.getvalue()


def small_photo(fmt="JPEG", size=(640, 480)) -> bytes:
    return photo(*size, fmt=fmt, quality=85, exif=fmt == "JPEG")


def png_screenshot() -> bytes:
    picture = Image.new("RGB", (800, 600), "white")
    draw = ImageDraw.Draw(picture)
    for row in range(20):
        draw.rectangle((40, 30 + row * 28, 760, 44 + row * 28), fill=(30, 30, 30))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def heic_photo() -> bytes:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    picture = Image.open(io.BytesIO(small_photo()))
    out = io.BytesIO()
    picture.save(out, "HEIF", quality=80)
    return out.getvalue()


def pdf(pages=3, *, script=False) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if script:  # a document-level JavaScript, as Acrobat's "Document JavaScripts" writes it
        from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

        js = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('Hello');"),
            }
        )
        tree = DictionaryObject(
            {NameObject("/Names"): ArrayObject([TextStringObject("x"), writer._add_object(js)])}
        )
        names = DictionaryObject({NameObject("/JavaScript"): writer._add_object(tree)})
        writer._root_object[NameObject("/Names")] = writer._add_object(names)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_launch() -> bytes:
    """A PDF that opens another program when opened (/OpenAction with /Launch)."""
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")}
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def corrupt_jpeg() -> bytes:
    """A photo cut off half way (a broken download)."""
    data = small_photo()
    return data[: len(data) // 2]


def exe_named_jpg() -> bytes:
    """A Windows program someone named photo.jpg."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 400
