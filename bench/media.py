"""A photo broadcast beside the same broadcast as text, on the production stack (PostgreSQL,
Redis, the Procfile's web, worker and worker_extra lines, the fake Graph API in its own
process), both to 2,000 guardians at the default 80 msg/s; and the bytes a parent downloads
for a 4 MB camera photo once Sandesh has prepared it.

    .venv/bin/python -m bench.media [--guardians 2000] [--rate 80]

The photo broadcast goes outside the parents' 24-hour window, as most notices do: the media
template with the photo as its header, uploaded once (`POST /{phone_number_id}/media`) before
the senders start. Seconds run from enqueueing the start to the fake accepting the last
message, as in bench.fanout, whose machinery this uses.
"""

import argparse
import io
import tempfile
from pathlib import Path

import httpx

from bench import fanout  # sets the environment for the app before it is imported
from tests import media_samples

_attach = {"photo": None}


def seed_with_photo(app, guardians: int) -> int:
    """bench.fanout's school and notice, with the prepared camera photo attached."""
    from portal.extensions import db
    from portal.models import Broadcast, School
    from portal.services.media import files

    broadcast_id = _plain_seed(app, guardians)
    if _attach["photo"] is None:
        return broadcast_id
    with app.app_context():
        broadcast = db.session.get(Broadcast, broadcast_id)
        school = db.session.get(School, broadcast.school_id)
        media = files.accept(
            school=school,
            data=_attach["photo"],
            filename="sports-day.jpg",
            declared="image/jpeg",
            source="portal",
        )
        broadcast.media_file_id = media.id
        db.session.commit()
    return broadcast_id


_plain_seed = fanout.seed_and_broadcast
fanout.seed_and_broadcast = seed_with_photo


def camera_photo() -> bytes:
    """A 4000 × 3000 camera JPEG of about 4 MB, with EXIF (camera, GPS, orientation)."""
    return media_samples.photo(4000, 3000, quality=94)


def parent_bytes(photo: bytes) -> dict:
    """What Sandesh makes of the photo: the bytes each parent downloads, and its size."""
    from PIL import Image

    from portal.services.media import inspect

    prepared = inspect.prepare(
        photo,
        filename="IMG.jpg",
        declared="image/jpeg",
        limits=(inspect.IMAGE_LIMIT, inspect.DOCUMENT_LIMIT),
    )
    picture = Image.open(io.BytesIO(prepared.data))
    return {
        "camera_bytes": len(photo),
        "parent_bytes": len(prepared.data),
        "size": picture.size,
        "exif_left": len(picture.getexif()),
        "thumb_bytes": len(prepared.thumb or b""),
    }


def run(guardians: int, rate: float) -> list[dict]:
    logs = Path(tempfile.mkdtemp(prefix="sandesh-bench-media-"))
    fake = fanout.FakeProcess(logs, token=fanout.TOKEN)
    results = []
    try:
        for name, photo in (("text", None), ("photo", camera_photo())):
            _attach["photo"] = photo
            run_logs = logs / name
            run_logs.mkdir()
            result = fanout.run_scenario(
                f"paced {name}",
                guardians=guardians,
                rate=rate,
                extra=1,
                statuses=[],
                fake=fake,
                logs=run_logs,
            )
            uploads = httpx.get(f"{fake.control}/uploads", timeout=10).json()["uploads"]
            results.append(result | {"uploads": len(uploads), "bare": None, "round": 1})
            print(f"  {name}: done", flush=True)
    finally:
        fake.stop()
        fanout.drop_database()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guardians", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=80)
    args = parser.parse_args()
    print(f"machine: {fanout.machine()}")
    size = parent_bytes(camera_photo())
    results = run(args.guardians, args.rate)
    text, photo = results
    print()
    print(f"{'broadcast':<14} {'guardians':>9} {'seconds':>8} {'steady msg/s':>12} {'uploads':>7}")
    for r in results:
        print(
            f"{r['name']:<14} {r['guardians']:>9,} {r['seconds']:>8.1f} {r['steady_rate']:>12.1f} "
            f"{r['uploads']:>7}"
        )
    print(f"photo / text time: {photo['seconds'] / text['seconds']:.3f}")
    for r in results:
        cpu = ", ".join(f"{k} {v:.2f}" for k, v in r["cpu_ms_per_message"].items() if k != "wall")
        print(f"{r['name']}: CPU ms per message: {cpu}; counts {r['counts']}")
    print(
        f"a {size['camera_bytes']:,}-byte camera photo (4000 × 3000, EXIF with GPS): parents "
        f"download {size['parent_bytes']:,} bytes ({size['size'][0]} × {size['size'][1]}, "
        f"{size['exif_left']} EXIF tags left), "
        f"{size['camera_bytes'] / size['parent_bytes']:.0f}× less; portal thumbnail "
        f"{size['thumb_bytes']:,} bytes"
    )
    print(f"machine after: {fanout.machine()}")


if __name__ == "__main__":
    main()
