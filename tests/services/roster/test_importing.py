"""Roster CSV import: every row checked first, all or nothing, and idempotent."""

import time

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from portal.models import AuditLog, Guardian, SchoolClass, Student, StudentGuardian, utcnow
from portal.services.common.dates import current_bs_year
from portal.services.roster.cells import CellError, class_label, parse_class_name, parse_language
from portal.services.roster.importing import import_csv
from tests.factories import ClassFactory, GuardianFactory, SchoolFactory, StudentFactory
from tests.helpers import FIXTURES as HELPER_FIXTURES

FIXTURES = HELPER_FIXTURES / "csv"
HEADER = "class,roll,student,guardian,phone,language\n"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def run(db, school, data: bytes, **kwargs):
    report = import_csv(school=school, data=data, filename="roster.csv", **kwargs)
    db.session.commit()
    return report


def count(db, model, school) -> int:
    query = sa.select(sa.func.count()).select_from(model).where(model.school_id == school.id)
    return db.session.scalar(query)


def student(db, school, name: str) -> Student:
    return db.session.scalar(
        sa.select(Student).where(Student.school_id == school.id, Student.name == name)
    )


def errors(report) -> list[tuple[int, str, str]]:
    with force_locale("en"):
        return [(e.line, e.column, str(e.reason)) for e in report.errors]


def tallies(report) -> dict:
    return {kind: (t.created, t.updated, t.unchanged) for kind, t in report.tallies()}


def test_a_good_file_is_imported(db, school):
    report = run(db, school, fixture("good.csv"))
    assert report.ok and report.rows == 7
    assert tallies(report) == {
        "classes": (4, 0, 0),
        "students": (6, 0, 0),
        "guardians": (6, 0, 0),
        "links": (7, 0, 0),
    }
    classes = db.session.scalars(
        sa.select(SchoolClass).where(SchoolClass.school_id == school.id)
    ).all()
    assert sorted(c.name for c in classes) == ["10B", "5", "5A", "5B"]
    assert {c.academic_year for c in classes} == {current_bs_year()}
    aarav = student(db, school, "Aarav Sharma")
    assert (aarav.school_class.name, aarav.roll, aarav.name_ne) == ("5A", 1, "आरव शर्मा")
    assert sorted((ln.relation, ln.guardian.phone) for ln in aarav.links) == [
        ("father", "+9779851234567"),
        ("mother", "+9779841234567"),
    ]
    anita = student(db, school, "Anita Magar")  # written ५क: section क is A
    assert (anita.school_class.name, anita.links[0].guardian.language) == ("5A", "both")


def test_siblings_share_one_guardian(db, school):
    run(db, school, fixture("good.csv"))
    sita = db.session.scalar(sa.select(Guardian).where(Guardian.phone == "+9779841234567"))
    children = sorted((ln.student.school_class.name, ln.student.name) for ln in sita.links)
    assert children == [("10B", "Bikash Rai"), ("5A", "Aarav Sharma")]


def test_languages_are_read_from_codes_and_names(db, school):
    run(db, school, fixture("good.csv"))
    languages = dict(db.session.execute(sa.select(Guardian.name, Guardian.language)).all())
    assert languages["Kamala Thapa"] == "ne"  # "Nepali"
    assert languages["Maya Gurung"] == "en"  # "English"
    assert languages["Hari Sharma"] == "both"


def test_a_file_with_a_bom_nepali_names_and_nepali_digits(db, school):
    report = run(db, school, fixture("nepali_bom.csv"))
    assert report.ok, errors(report)
    sarita = student(db, school, "Sarita Tamang")
    assert (sarita.school_class.name, sarita.roll, sarita.name_ne) == ("5A", 1, "सरिता तामाङ")
    link = sarita.links[0]
    assert (link.guardian.phone, link.guardian.language, link.relation) == (
        "+9779841234567",
        "ne",
        "mother",
    )
    ramesh = student(db, school, "Ramesh Yadav")
    assert (ramesh.school_class.name, ramesh.links[0].guardian.language) == ("5B", "en")
    assert ramesh.links[0].relation == "father"


def test_a_file_with_bad_rows_imports_nothing_and_names_every_bad_line(db, school):
    report = run(db, school, fixture("bad.csv"))
    assert not report.ok
    assert errors(report) == [
        (3, "class", "“5Z9” is not a class name like 5A, 10B, ५क, 5, LKG or UKG B."),
        (4, "roll", "“two” is not a roll number (1 to 9999)."),
        (5, "phone", "“01-4412345” is a landline; WhatsApp needs a mobile number."),
        (6, "language", "“french” is not a language: write ne, en or both."),
        (7, "student", "The name is missing."),
        (8, "student", "Roll 1 of class 5A is “Aarav Sharma” on line 2."),
        (9, "guardian", "This phone number belongs to “Sita Sharma” on line 2."),
    ]
    assert report.bad_lines == 7
    for model in (SchoolClass, Student, Guardian, StudentGuardian, AuditLog):
        assert count(db, model, school) == 0


def test_several_problems_on_one_line_are_all_reported(db, school):
    report = run(db, school, (HEADER + "5Q9,0,,,98412,fr\n").encode())
    assert [(line, column) for line, column, _ in errors(report)] == [
        (2, "class"),
        (2, "roll"),
        (2, "student"),
        (2, "guardian"),
        (2, "phone"),
        (2, "language"),
    ]
    assert "too few or too many digits" in errors(report)[4][2]


def test_reasons_are_given_in_the_readers_language(db, school):
    report = run(db, school, fixture("bad.csv"))
    with force_locale("ne"):
        conflict = str(report.errors[5].reason)
    assert "१" in conflict and "५क" in conflict and "२" in conflict


@pytest.mark.parametrize(
    "name, line, reason",
    [
        ("empty.csv", 1, "The file is empty."),
        ("latin1.csv", 3, "The file is not UTF-8 text"),
        ("missing_column.csv", 1, "The header has no “phone” column."),
    ],
)
def test_files_that_cannot_be_read_are_explained(db, school, name, line, reason):
    report = run(db, school, fixture(name))
    assert [(e[0], e[2][: len(reason)]) for e in errors(report)] == [(line, reason)]
    assert count(db, Student, school) == 0


def test_a_header_without_rows_and_a_file_without_a_header(db, school):
    assert "no rows" in errors(run(db, school, HEADER.encode()))[0][2]
    headless = run(db, school, b"5A,1,Aarav,Sita,9841234567,ne\n")
    assert "The first line must name the columns" in errors(headless)[0][2]


def test_header_names_ignore_case_spaces_and_column_order(db, school):
    data = " Phone ,LANGUAGE, Student ,Guardian,Roll,Class , Student NE\n"
    data += "9841234567,ne,Aarav Sharma,Sita Sharma,1,5A,आरव\n"
    report = run(db, school, data.encode())
    assert report.ok, errors(report)
    assert student(db, school, "Aarav Sharma").name_ne == "आरव"


def test_semicolon_separated_files_from_spreadsheets_are_read(db, school):
    data = HEADER.replace(",", ";") + "5A;1;Aarav Sharma;Sita Sharma;9841234567;ne\n"
    assert run(db, school, data.encode()).ok


def test_line_numbers_count_blank_lines_and_cells_that_span_lines(db, school):
    data = HEADER + '5A,1,"Aarav\nSharma",Sita Sharma,9841234567,ne\n\n5A,2,Priya,Kamala,123,ne\n'
    report = run(db, school, data.encode())
    assert [(e[0], e[1]) for e in errors(report)] == [(5, "phone")]


def test_importing_the_same_file_again_changes_nothing(db, school):
    run(db, school, fixture("good.csv"))
    stamps = db.session.execute(sa.select(Student.id, Student.updated_at)).all()
    db.session.expire_all()
    again = run(db, school, fixture("good.csv"))
    assert tallies(again) == {
        "classes": (0, 0, 4),
        "students": (0, 0, 6),
        "guardians": (0, 0, 6),
        "links": (0, 0, 7),
    }
    assert not again.changed
    assert db.session.execute(sa.select(Student.id, Student.updated_at)).all() == stamps
    assert count(db, Student, school) == 6 and count(db, StudentGuardian, school) == 7


def test_a_changed_file_updates_what_changed(db, school):
    run(db, school, fixture("good.csv"))
    data = fixture("good.csv").decode().replace("Priya Thapa,", "Priya Thapa Magar,")
    data = data.replace("Maya Gurung,9811234567,English", "Maya Gurung,9811234567,both")
    report = run(db, school, data.encode())
    assert tallies(report)["students"] == (0, 1, 5)
    assert tallies(report)["guardians"] == (0, 1, 5)
    assert student(db, school, "Priya Thapa Magar").roll == 2


def test_a_guardian_who_opted_out_stays_opted_out(db, school):
    stopped = GuardianFactory(school=school, phone="+9779841234567", opted_out_at=utcnow())
    run(db, school, fixture("good.csv"))
    db.session.refresh(stopped)
    assert stopped.opted_out_at is not None and stopped.name == "Sita Sharma"


def test_existing_classes_of_this_year_are_reused_and_old_years_left_alone(db, school):
    this_year = ClassFactory(school=school, grade=5, section="A", academic_year=current_bs_year())
    last_year = ClassFactory(school=school, grade=10, section="B", academic_year=2000)
    StudentFactory(school_class=last_year, roll=7, name="Bikash Rai")
    report = run(db, school, fixture("good.csv"))
    assert tallies(report)["classes"] == (3, 0, 1)
    assert student(db, school, "Aarav Sharma").class_id == this_year.id
    assert count(db, Student, school) == 7  # last year's Bikash is a different record


def test_a_dry_run_reports_what_would_happen_and_writes_nothing(db, school):
    report = run(db, school, fixture("good.csv"), dry_run=True)
    assert report.ok and report.dry_run
    assert tallies(report)["students"] == (6, 0, 0)
    for model in (SchoolClass, Student, Guardian, StudentGuardian, AuditLog):
        assert count(db, model, school) == 0


def test_a_dry_run_of_a_known_file_finds_it_unchanged(db, school):
    run(db, school, fixture("good.csv"))
    report = run(db, school, fixture("good.csv"), dry_run=True)
    assert tallies(report)["links"] == (0, 0, 7)


def test_an_import_is_audited_with_its_counts(db, school, admin):
    run(db, school, fixture("good.csv"), user_id=admin.id)
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "roster.import"))
    assert entry.user_id == admin.id and entry.school_id == school.id
    assert entry.changes["students_created"] == [None, 6]
    assert entry.changes["file"] == [None, "roster.csv"]


def test_another_schools_roster_is_untouched(db, school):
    other = SchoolFactory()
    run(db, other, fixture("good.csv"))
    report = run(db, school, fixture("good.csv"))
    assert tallies(report)["guardians"] == (6, 0, 0)
    assert count(db, Guardian, other) == 6


def test_five_thousand_rows_import_quickly_in_a_few_queries(app, db, school):
    lines = [HEADER]
    for n in range(5000):
        grade, roll = n // 500 + 1, n % 500 + 1
        lines.append(f"{grade}A,{roll},Student {n},Guardian {n},98{n:08d},ne\n")
    statements = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    started = time.perf_counter()
    try:
        report = run(db, school, "".join(lines).encode())
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    elapsed = time.perf_counter() - started
    assert report.ok, errors(report)[:3]
    assert count(db, StudentGuardian, school) == 5000
    assert sum(s.lstrip().upper().startswith("SELECT") for s in statements) <= 6
    assert elapsed < 10, elapsed


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("5A", (5, "A")),
        ("5 a", (5, "A")),
        ("10-B", (10, "B")),
        ("५क", (5, "A")),
        ("१०ख", (10, "B")),
        ("Class 5A", (5, "A")),
        ("कक्षा ५ग", (5, "C")),
        ("5", (5, "")),
        ("12", (12, "")),
    ],
)
def test_class_names_as_schools_write_them(raw, expected):
    assert parse_class_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "13", "0", "5AB", "A5", "5Z9", "five"])
def test_class_names_that_are_refused(app, raw):
    with pytest.raises(CellError):
        parse_class_name(raw)


@pytest.mark.parametrize(
    "raw, code",
    [("NE", "ne"), ("Nepali", "ne"), ("नेपाली", "ne"), ("english", "en"), ("अंग्रेजी", "en"),
     ("Both", "both"), ("दुवै", "both")],
)  # fmt: skip
def test_languages_by_code_or_name(raw, code):
    assert parse_language(raw) == code


def test_class_labels_follow_the_reader(app):
    with force_locale("ne"):
        assert str(class_label(5, "A")) == "५क"
    with force_locale("en"):
        assert str(class_label(10, "B")) == "10B"


def test_an_import_keeps_the_language_and_opt_out_a_guardian_chose(db, school):
    run(db, school, (HEADER + "5A,1,Asha Rai,Sita Rai,9841234567,en\n").encode())
    guardian = db.session.scalars(sa.select(Guardian)).one()
    guardian.language, guardian.language_chosen_at = "ne", utcnow()  # replied NEPALI
    guardian.opted_out_at = utcnow()  # and STOP
    db.session.commit()
    report = run(db, school, (HEADER + "5A,1,Asha Rai,Sita Rai K,9841234567,en\n").encode())
    db.session.expire_all()
    assert (guardian.name, guardian.language) == ("Sita Rai K", "ne")
    assert guardian.opted_out_at is not None
    assert report.kept_languages == 1
    assert report.summary()["kept_languages"] == [None, 1]
