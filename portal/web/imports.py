"""Roster import: upload a CSV, check it or import it, and see a report for every bad row."""

from flask import Blueprint, Response
from flask_login import current_user

from portal.extensions import db
from portal.models import School
from portal.services.roster import importing
from portal.services.roster.csv_file import OPTIONAL, REQUIRED
from portal.web.forms import ImportForm
from portal.web.htmx import render_page
from portal.web.tenancy import roster_editor, school_id

bp = Blueprint("imports", __name__, url_prefix="/imports")

ERRORS_SHOWN = 200  # a page stays small on a slow link even for a file that is all wrong
SAMPLE = (
    "class,roll,student,student_ne,guardian,phone,language,relation\n"
    "5A,1,Aarav Sharma,आरव शर्मा,Sita Sharma,9841234567,ne,mother\n"
    "5A,1,Aarav Sharma,आरव शर्मा,Hari Sharma,9851234567,both,father\n"
    "10B,7,Priya Thapa,प्रिया थापा,Kamala Thapa,9801234567,en,mother\n"
)


def _page(form: ImportForm, report=None, status: int = 200):
    return render_page(
        "imports/new.html",
        form=form,
        report=report,
        shown=ERRORS_SHOWN,
        kinds=importing.KINDS,
        required=REQUIRED,
        optional=OPTIONAL,
        status=status,
    )


@bp.get("/")
@roster_editor
def new():
    return _page(ImportForm())


@bp.post("/")
@roster_editor
def create():
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    report = importing.import_csv(
        school=db.get_or_404(School, school_id()),
        data=form.file.data.read(),
        filename=_base_name(form.file.data.filename),
        dry_run=not form.save.data,  # only the Import button writes
        user_id=current_user.id,
    )
    if not report.ok:
        db.session.rollback()
        return _page(ImportForm(formdata=None), report, status=422)
    db.session.commit()
    return _page(ImportForm(formdata=None), report)


@bp.get("/sample.csv")
@roster_editor
def sample():
    """A small file in the expected shape, to fill in with a spreadsheet program."""
    return Response(
        "\ufeff" + SAMPLE,
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=roster-sample.csv"},
    )


def _base_name(filename: str | None) -> str:
    """The file's own name, without any folders a browser sent along."""
    return (filename or "").replace("\\", "/").rsplit("/", 1)[-1][:120]
