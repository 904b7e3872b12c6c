"""The portal as bench.slow_link measures it: the Procfile's `web` line (gunicorn) on a
temporary SQLite database (the embedded stack), the demo school seeded with `flask demo`,
one photo notice added, and the browser signed in as the demo school's admin."""

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from bench.webhook import free_port, procfile_line

ROOT = Path(__file__).resolve().parent.parent
PHOTO_NOTICE = "Sports day is on Friday: see the photo of last year's winners."


def environment() -> dict:
    """The embedded stack under a fresh instance folder: SQLite, SqliteHuey, development
    settings (`flask demo` refuses production; cookies are not Secure over plain HTTP).
    Set in this process too, for the seeding it does itself; call before importing portal."""
    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    os.environ.update(  # before the portal is imported here (the photo notice's seeding)
        SANDESH_ENV="development",
        SANDESH_INSTANCE_PATH=tempfile.mkdtemp(prefix="sandesh-bench-slow-"),
    )
    return os.environ | {"PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"}


def seed(env: dict) -> int:
    """Schema, the demo school (`flask demo`) and a photo notice; the notice's id."""
    for command in (["db", "upgrade"], ["demo"]):
        subprocess.run(
            ["flask", "--app", "wsgi", *command], cwd=ROOT, env=env, check=True, capture_output=True
        )
    return photo_notice()


def photo_notice() -> int:
    """A notice to the whole school with a camera photo, written by the admin and then
    cancelled, so its page stays still (a live broadcast's page polls its progress)."""
    import sqlalchemy as sa

    from portal import create_app
    from portal.extensions import db
    from portal.models import School, Source, User
    from portal.services.broadcasting import broadcasts
    from portal.services.media import files
    from portal.services.school import demo
    from tests import media_samples

    with create_app().app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == demo.USERS[0][0]))
        school = db.session.get(School, admin.school_id)
        photo = media_samples.photo(4000, 3000, quality=90)
        media = files.accept(
            school=school,
            data=photo,
            filename="sports-day.jpg",
            declared="image/jpeg",
            source="portal",
        )
        broadcast = broadcasts.create_broadcast(
            school=school,
            kind="notice",
            targets_given=["ALL"],
            body_en=PHOTO_NOTICE,
            body_ne=None,
            source=Source.PORTAL,
            author_user_id=admin.id,
            media_file_id=media.id,
        )
        db.session.flush()
        broadcasts.cancel(broadcast)
        db.session.commit()
        return broadcast.id


def serve(env: dict) -> tuple[subprocess.Popen, str]:
    """The Procfile's web line on a free port; the process and its base URL."""
    port = free_port()
    process = subprocess.Popen(
        ["bash", "-c", procfile_line("web")],
        cwd=ROOT,
        env=env | {"BIND": f"127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return process, base
        except httpx.HTTPError:
            time.sleep(0.1)
    stop(process)
    raise SystemExit("gunicorn did not start")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def signed_in_state(browser, base: str) -> dict:
    """Cookies of the demo admin, signed in through the login form and shown one page (so
    the session holds its CSRF token, as it does for anyone who has used the portal)."""
    from portal.services.school import demo

    context = browser.new_context(base_url=base, locale="en-GB")
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=email]", demo.USERS[0][0])
    page.fill("input[name=password]", demo.PASSWORD)
    page.click("form button.primary")
    page.wait_for_url(lambda url: not url.endswith("/login"))
    page.goto("/students/")
    state = context.storage_state()
    context.close()
    return state
