"""Flask commands: `flask demo`, `flask school add`, `flask roster import`, ...

They speak English unless told otherwise, print one-line errors to stderr and exit non-zero,
and commit once when everything they were asked to do is done.
"""

import os
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from portal.extensions import db
from portal.services.accounts import tokens, users
from portal.services.common import refusals
from portal.services.roster import teachers
from portal.services.roster.cells import Local
from portal.services.roster.importing import KINDS, ImportReport, import_csv
from portal.services.school import demo as demo_data
from portal.services.school import schools
from portal.services.waba import onboarding, portfolios, template_sync
from portal.services.waba.graph import current_graph
from portal.tasks.sandbox import review_later

PROGRESS_FROM_ROWS = 500

school_cli = AppGroup("school", help="Add schools.")
teacher_cli = AppGroup("teacher", help="Add teachers.")
user_cli = AppGroup("user", help="Add portal users.")
roster_cli = AppGroup("roster", help="Import rosters.")
token_cli = AppGroup("token", help="Create API tokens.")
templates_cli = AppGroup("templates", help="Submit WhatsApp templates to Meta.")


@contextmanager
def speaking(language: str = "en"):
    """Messages in this language; service errors become one-line ClickExceptions."""
    with force_locale(language):
        try:
            yield
        except refusals.SetupError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None


def login_url() -> str:
    """Where the portal is served: BIND (host:port) or PORT, as scripts/run and the Procfile
    use them; a wildcard host is reached at 127.0.0.1."""
    bind = os.environ.get("BIND", "").strip()
    host, _sep, port = bind.rpartition(":") if bind else ("", "", "")
    port = port if port.isdigit() else os.environ.get("PORT", "").strip() or "8000"
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 (only read here, never bound)
        host = "127.0.0.1"
    return f"http://{host}:{port}"


@click.command("demo")
def demo():
    """Seed the demo school (idempotent) and print how to sign in."""
    if current_app.config["SANDESH_ENV"] == "production":
        raise click.ClickException("The demo school has a published password: not in production.")
    with speaking():
        school = demo_data.seed_demo()
        db.session.commit()
        review_later()
        counts = demo_data.demo_counts(school)
    click.echo(
        f"Demo school “{school.name}” ({school.slug}): {counts['classes']} classes, "
        f"{counts['students']} students, {counts['guardians']} guardians, "
        f"{counts['teachers']} teachers."
    )
    click.echo(f"Sign in at {login_url()}")
    for email, role, _name in demo_data.USERS:
        click.echo(f"  {role + ':':7} {email}")
    click.echo(f"  password: {demo_data.PASSWORD}  (demo only: never use it for a real school)")


@school_cli.command("add")
@click.argument("slug")
@click.option("--name", required=True, help="The school's name in English.")
@click.option("--phone-number-id", required=True, help="Meta's ID of the school's WhatsApp number.")
@click.option("--name-ne", help="The school's name in Nepali.")
@click.option("--access-token", help="The school's Graph API token (stored encrypted).")
@click.option("--waba-id", help="Meta's ID of the school's WhatsApp Business Account.")
@click.option("--portfolio", help="The business portfolio it shares a messaging limit with.")
def school_add(slug, name, phone_number_id, name_ne, access_token, waba_id, portfolio):
    """Add a school with its WhatsApp number, then check its setup with Meta."""
    with speaking():
        school = schools.create_school(
            slug=slug,
            name=name,
            phone_number_id=phone_number_id,
            name_ne=name_ne,
            access_token=access_token,
            waba_id=waba_id,
            portfolio_id=portfolios.named(portfolio).id if portfolio else None,
        )
        db.session.commit()
    token_note = " with its access token (encrypted)" if access_token else ""
    click.echo(f"Added school {school.slug}: {school.name}{token_note}.")
    _check(school)


@school_cli.command("check")
@click.argument("slug")
def school_check(slug):
    """Check a school's WhatsApp setup with Meta, step by step (submits missing templates)."""
    with speaking():
        _check(schools.get_school(slug))


def _check(school) -> None:
    """Print each onboarding step, passed or with Meta's error; fail if any step failed."""
    with speaking():
        steps = onboarding.check(
            school=school,
            graph=current_graph(),
            webhook_url=webhook_url(),
            verify_token=current_app.config["WHATSAPP_VERIFY_TOKEN"],
        )
        db.session.commit()
        review_later()
    marks = {True: "ok  ", False: "FAIL", None: "todo"}
    for step in steps:
        click.echo(f"  {marks[step.ok]} {step.name}: {step.detail}", err=step.ok is False)
    failed = [s.name for s in steps if s.ok is False]
    if failed:
        raise click.ClickException(
            f"{', '.join(failed)} failed: fix it, then `flask school check {school.slug}`"
        )


def webhook_url() -> str:
    """Where Meta posts webhooks: PUBLIC_URL's, else a placeholder for the operator's host."""
    base = current_app.config["PUBLIC_URL"] or "https://<your-sandesh-host>"
    return f"{base}/webhooks/whatsapp"


@templates_cli.command("sync")
@click.argument("slug")
def templates_sync(slug):
    """Submit every shipped template Meta lacks and read back Meta's statuses."""
    with speaking():
        report = template_sync.sync_templates(
            school=schools.get_school(slug), graph=current_graph()
        )
        db.session.commit()
    if report.submitted:
        review_later()
    for name, lang in report.submitted:
        click.echo(f"submitted {name} ({lang})")
    for (name, lang), status in sorted(report.statuses.items()):
        click.echo(f"{name} ({lang}): {status}")
    found, approved = len(report.found), report.approved
    click.echo(f"Submitted {len(report.submitted)}, already at Meta {found}, approved {approved}.")
    if report.failed:
        for name, lang, why in report.failed:
            click.echo(f"{name} ({lang}) refused: {why}", err=True)
        raise click.ClickException(f"Meta refused {len(report.failed)} template(s).")


@teacher_cli.command("add")
@click.argument("slug")
@click.option("--name", required=True, help="The teacher's name.")
@click.option("--phone", required=True, help="The WhatsApp number the teacher writes from.")
@click.option("--classes", default="", help="Their classes this year, e.g. 5A,5B (must exist).")
@click.option("--language", type=click.Choice(["ne", "en"]), default="ne", show_default=True)
def teacher_add(slug, name, phone, classes, language):
    """Add a teacher who sends notices from WhatsApp."""
    names = [c for c in classes.replace(";", ",").split(",") if c.strip()]
    with speaking():
        teacher = teachers.create_teacher(
            school=schools.get_school(slug),
            name=name,
            phone=phone,
            class_names=names,
            language=language,
        )
        db.session.commit()
    taught = ", ".join(c.name for c in teacher.classes) or "no classes yet"
    click.echo(f"Added teacher {teacher.name} ({teacher.phone}): {taught}.")


@user_cli.command("add")
@click.argument("slug")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(users.USER_ROLES), required=True)
@click.option("--name", default="", help="The person's name, as the portal shows it.")
def user_add(slug, email, role, name):
    """Add a portal user; the password is asked for (or read from SANDESH_USER_PASSWORD)."""
    with speaking():
        school = schools.get_school(slug)
        password = os.environ.get("SANDESH_USER_PASSWORD") or click.prompt(
            "Password", hide_input=True, confirmation_prompt=True
        )
        user = users.create_user(
            school=school, email=email, role=role, password=password, name=name
        )
        db.session.commit()
    click.echo(f"Added {user.role} {user.email} to {school.slug}.")


@user_cli.command("password")
@click.argument("email")
def user_password(email):
    """Set a user's password (prompted, or SANDESH_USER_PASSWORD); their sessions end."""
    with speaking():
        user = users.get_user(email)
        password = os.environ.get("SANDESH_USER_PASSWORD") or click.prompt(
            "Password", hide_input=True, confirmation_prompt=True
        )
        users.set_password(user, password)
        db.session.commit()
    click.echo(f"Changed the password of {user.email}; every session of theirs has ended.")


@user_cli.command("deactivate")
@click.argument("email")
def user_deactivate(email):
    """Stop a user signing in; every session of theirs ends now."""
    with speaking():
        user = users.get_user(email)
        changed = users.deactivate(user)
        db.session.commit()
    click.echo(f"Deactivated {user.email}." if changed else f"{user.email} was already inactive.")


@token_cli.command("create")
@click.argument("slug")
def token_create(slug):
    """Create an API token for a school and print it (this once only)."""
    with speaking():
        _row, token = tokens.create_api_token(school=schools.get_school(slug))
        db.session.commit()
    click.echo(token)
    click.echo("Store it now: it is not kept and cannot be shown again.", err=True)


@roster_cli.command("import")
@click.argument("slug")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file only; import nothing.")
@click.option("--language", type=click.Choice(["en", "ne"]), default="en", show_default=True)
def roster_import(slug, path, dry_run, language):
    """Import a roster CSV (one row per student and guardian); any bad row imports nothing."""
    data = path.read_bytes()
    rows = data.count(b"\n")
    with speaking(language):
        school = schools.get_school(slug)
        with _progress(rows) as progress:
            report = import_csv(
                school=school, data=data, filename=path.name, dry_run=dry_run, progress=progress
            )
        if not report.ok:
            db.session.rollback()
            for error in report.errors:
                click.echo(error_line(error), err=True)
            raise click.ClickException(failure_line(report))
        db.session.commit()
        for line in report_lines(report):
            click.echo(line)


@contextmanager
def _progress(rows: int):
    """A progress bar for large files (checking, then writing); nothing for small ones."""
    if rows < PROGRESS_FROM_ROWS:
        yield None
        return
    with click.progressbar(length=2 * rows, label=_("Importing"), file=sys.stderr) as bar:
        yield bar.update


def error_line(error) -> str:
    """`line 4, phone: “98412” has too few or too many digits.`"""
    line = Local(error.line)
    if error.column:
        return _(
            "line %(line)s, %(column)s: %(reason)s",
            line=line,
            column=error.column,
            reason=error.reason,
        )
    return _("line %(line)s: %(reason)s", line=line, reason=error.reason)


def failure_line(report: ImportReport) -> str:
    return ngettext(
        "Nothing was imported: %(count)s line of %(file)s has a problem.",
        "Nothing was imported: %(count)s lines of %(file)s have problems.",
        report.bad_lines,
        count=Local(report.bad_lines),
        file=report.filename,
    )


def report_lines(report: ImportReport) -> list[str]:
    """The counts, one kind a line, as the portal page shows them."""
    rows = Local(report.rows)
    if report.dry_run:
        lines = [_("Checked %(rows)s rows: all good; nothing was imported (dry run).", rows=rows)]
    else:
        lines = [_("Imported %(rows)s rows.", rows=rows)]
    for kind, tally in report.tallies():
        lines.append(
            _(
                "%(kind)s: %(created)s new, %(updated)s updated, %(unchanged)s unchanged",
                kind=KINDS[kind],
                created=Local(tally.created),
                updated=Local(tally.updated),
                unchanged=Local(tally.unchanged),
            )
        )
    if report.kept_languages:
        lines.append(
            ngettext(
                "%(count)s guardian's own choice of language was kept, not the file's.",
                "%(count)s guardians' own choice of language was kept, not the file's.",
                report.kept_languages,
                count=Local(report.kept_languages),
            )
        )
    return lines


def init_app(app) -> None:
    """Register every command on the app's `flask` CLI."""
    app.cli.add_command(demo)
    for group in (school_cli, teacher_cli, user_cli, roster_cli, token_cli, templates_cli):
        app.cli.add_command(group)
