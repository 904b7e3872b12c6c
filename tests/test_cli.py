"""The `flask` commands: demo data, schools, teachers, users, API tokens and roster import."""

import hashlib
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.models import (
    ApiToken,
    AuditLog,
    Guardian,
    School,
    SchoolClass,
    Student,
    StudentGuardian,
    Teacher,
    User,
    utcnow,
)
from portal.services.accounts.passwords import verify_password
from portal.services.common.dates import current_bs_year
from portal.services.common.phones import normalize_phone
from portal.services.common.secrets import decrypt
from portal.services.wording import template_texts
from tests.conftest import META_TOKEN, WABA
from tests.factories import ClassFactory, SchoolFactory, TeacherFactory, UserFactory

FIXTURES = Path(__file__).parent / "fixtures" / "csv"


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args, **kwargs):
        return runner.invoke(args=list(args), **kwargs)

    return invoke


def count(db, model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def audit_actions(db) -> list[tuple[str, int | None]]:
    rows = db.session.execute(sa.select(AuditLog.action, AuditLog.user_id).order_by(AuditLog.id))
    return [tuple(row) for row in rows]


# flask demo


def test_demo_seeds_a_realistic_school_and_prints_how_to_sign_in(db, cli):
    started = time.perf_counter()
    result = cli("demo")
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8000" in result.stdout
    assert "admin@demo.sandesh.np" in result.stdout and "staff@demo.sandesh.np" in result.stdout
    assert "password: sandesh-demo" in result.stdout and "demo only" in result.stdout
    assert elapsed < 3, elapsed

    school = db.session.scalar(sa.select(School).where(School.slug == "demo"))
    assert school.name_ne == "श्री जनता माध्यमिक विद्यालय"
    classes = db.session.scalars(sa.select(SchoolClass).where(SchoolClass.school_id == school.id))
    classes = classes.all()
    assert len(classes) == 15 and {c.academic_year for c in classes} == {current_bs_year()}
    assert [c.name for c in sorted(classes, key=lambda c: c.grade)][:4] == [
        "Nursery",
        "LKG",
        "UKG",
        "1",
    ]
    assert 300 <= count(db, Student, Student.school_id == school.id) <= 450
    students_per_class = [count(db, Student, Student.class_id == c.id) for c in classes]
    assert min(students_per_class) >= 20


def test_demo_guardians_look_like_a_real_school(db, cli):
    cli("demo")
    guardians = db.session.scalars(sa.select(Guardian)).all()
    assert all(normalize_phone(g.phone) == g.phone for g in guardians)
    assert all(g.phone.startswith("+97798") or g.phone.startswith("+97797") or
               g.phone.startswith("+97796") for g in guardians)  # fmt: skip
    languages = [g.language for g in guardians]
    assert languages.count("ne") > len(languages) / 2
    assert {"en", "both"} <= set(languages)
    relations = set(db.session.scalars(sa.select(StudentGuardian.relation)))
    assert {"mother", "father"} <= relations
    nepali_names = db.session.scalars(sa.select(Student.name_ne)).all()
    assert all(name and "\u0900" <= name[0] <= "\u097f" for name in nepali_names)


def test_demo_has_siblings_in_different_classes(db, cli):
    cli("demo")
    classes_per_guardian = (
        sa.select(StudentGuardian.guardian_id)
        .join(Student)
        .group_by(StudentGuardian.guardian_id)
        .having(sa.func.count(sa.distinct(Student.class_id)) > 1)
    )
    assert len(db.session.scalars(classes_per_guardian).all()) >= 5


def test_demo_teachers_and_users_can_work(db, cli):
    cli("demo")
    teachers = db.session.scalars(sa.select(Teacher).order_by(Teacher.name)).all()
    assert [(t.name, [c.name for c in t.classes]) for t in teachers] == [
        ("Gita Tamang", ["Nursery", "LKG", "UKG"]),
        ("Ram Prasad Adhikari", ["5A", "5B"]),
        ("Sunita Shrestha", ["9", "10"]),
    ]
    users = db.session.scalars(sa.select(User).order_by(User.role)).all()
    assert [(u.email, u.role) for u in users] == [
        ("admin@demo.sandesh.np", "admin"),
        ("staff@demo.sandesh.np", "staff"),
    ]
    assert all(verify_password(u.password_hash, "sandesh-demo") for u in users)


def test_demo_twice_changes_nothing_and_prints_the_same_login(db, cli):
    first = cli("demo")
    snapshot = [
        count(db, model) for model in (School, SchoolClass, Student, Guardian, StudentGuardian)
    ]
    audits = audit_actions(db)
    stamps = db.session.execute(sa.select(Guardian.id, Guardian.updated_at)).all()
    second = cli("demo")
    assert second.exit_code == 0, second.output
    assert second.stdout == first.stdout
    assert [
        count(db, model) for model in (School, SchoolClass, Student, Guardian, StudentGuardian)
    ] == snapshot
    assert audit_actions(db) == audits
    assert db.session.execute(sa.select(Guardian.id, Guardian.updated_at)).all() == stamps


def test_demo_records_what_it_made_in_the_audit_log(db, cli):
    cli("demo")
    assert audit_actions(db) == [
        ("school.create", None),
        ("roster.import", None),
        ("teacher.create", None),
        ("teacher.create", None),
        ("teacher.create", None),
        ("user.create", None),
        ("user.create", None),
        ("templates.sync", None),  # to the sandbox's stand-in for Meta
    ]


def test_demo_is_refused_in_production(app, db, cli):
    app.config["SANDESH_ENV"] = "production"
    try:
        result = cli("demo")
    finally:
        app.config["SANDESH_ENV"] = "testing"
    assert result.exit_code == 1
    assert "not in production" in result.stderr
    assert count(db, School) == 0


# flask school add


def test_school_add_stores_the_token_encrypted_and_never_prints_it(db, cli):
    result = cli(
        "school", "add", "kvs", "--name", "Kathmandu Valley School",
        "--name-ne", "काठमाडौं उपत्यका विद्यालय", "--phone-number-id", "123456789012",
        "--access-token", "EAAG-secret-token",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "kvs" in result.stdout and "EAAG-secret-token" not in result.output
    school = db.session.scalar(sa.select(School).where(School.slug == "kvs"))
    assert (school.name, school.name_ne, school.phone_number_id) == (
        "Kathmandu Valley School",
        "काठमाडौं उपत्यका विद्यालय",
        "123456789012",
    )
    assert "EAAG" not in school.access_token_encrypted
    assert decrypt(school.access_token_encrypted) == "EAAG-secret-token"
    entry = db.session.scalar(sa.select(AuditLog))
    assert (entry.action, entry.user_id, entry.school_id) == ("school.create", None, school.id)
    assert "EAAG-secret-token" not in str(entry.changes)


@pytest.mark.parametrize(
    "args, message",
    [
        (["taken", "--name", "X", "--phone-number-id", "555"], "exists"),
        (["new", "--name", "X", "--phone-number-id", "100"], "already uses phone number ID"),
        (["Bad Slug!", "--name", "X", "--phone-number-id", "555"], "not a usable slug"),
        (["new", "--name", "X", "--phone-number-id", "abc"], "digits only"),
        (["new", "--name", " ", "--phone-number-id", "555"], "name is missing"),
    ],
)
def test_school_add_refuses_bad_input_and_writes_nothing(db, cli, args, message):
    SchoolFactory(slug="taken", phone_number_id="100")
    result = cli("school", "add", *args)
    assert result.exit_code == 1
    assert message in result.stderr and result.stderr.startswith("Error: ")
    assert count(db, School) == 1 and count(db, AuditLog) == 0


def test_school_add_with_its_account_checks_every_step_with_meta_and_submits_the_templates(
    db, cli, meta
):
    meta.configure(
        numbers={"123456789012": {"display_phone_number": "+977 1-4000000", "verified_name": "KVS"}}
    )
    result = cli(
        "school", "add", "kvs", "--name", "Kathmandu Valley School",
        "--phone-number-id", "123456789012", "--access-token", META_TOKEN,
        "--waba-id", WABA, "--portfolio", "Valley schools",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "  ok   token: Meta answered for phone number ID 123456789012." in lines
    assert "  ok   number: +977 1-4000000, shown as “KVS”; quality rating ?." in lines
    assert "  ok   limit: 250 parents a day outside their 24-hour window (TIER_250)." in lines
    shipped = len(template_texts.all_shipped())
    assert f"  ok   templates: Submitted {shipped}, already at Meta 0, approved 0." in lines
    assert any(line.startswith("  todo webhook: ") for line in lines)
    assert META_TOKEN not in result.output
    school = db.session.scalar(sa.select(School).where(School.slug == "kvs"))
    assert (school.waba_id, school.portfolio.name, school.messaging_tier) == (
        WABA,
        "Valley schools",
        "TIER_250",
    )
    assert meta.stats()["templates_created"] == shipped


def test_school_add_keeps_the_school_but_fails_when_meta_refuses_its_token(db, cli, meta):
    meta.configure(numbers={"123456789012": {}})
    result = cli(
        "school", "add", "kvs", "--name", "KVS", "--phone-number-id", "123456789012",
        "--access-token", "EAAG-wrong", "--waba-id", WABA,
    )  # fmt: skip
    assert result.exit_code == 1
    assert "  FAIL token: " in result.stderr and "(190)" in result.stderr
    assert "todo templates: Not checked: Meta did not accept the token." in result.stdout
    assert "token failed: fix it, then `flask school check kvs`" in result.stderr
    assert count(db, School, School.slug == "kvs") == 1
    assert meta.stats()["templates_created"] == 0


def test_templates_sync_submits_once_and_lists_metas_statuses(db, cli, meta):
    school = SchoolFactory(slug="kvs", waba_id=WABA)
    first = cli("templates", "sync", "kvs")
    assert first.exit_code == 0, first.output
    shipped = len(template_texts.all_shipped())
    assert f"Submitted {shipped}, already at Meta 0, approved 0." in first.stdout
    assert "sandesh_notice_ne (en): PENDING" in first.stdout
    again = cli("templates", "sync", "kvs")
    assert f"Submitted 0, already at Meta {shipped}, approved 0." in again.stdout
    assert meta.stats()["templates_created"] == shipped
    assert count(db, AuditLog, AuditLog.school_id == school.id) == 1


def test_templates_sync_needs_the_schools_business_account(db, cli):
    SchoolFactory(slug="kvs", waba_id=None)
    result = cli("templates", "sync", "kvs")
    assert result.exit_code == 1
    assert "Enter the school's WhatsApp Business Account ID first." in result.stderr


# flask teacher add


@pytest.fixture
def classes(school):
    year = current_bs_year()
    return [ClassFactory(school=school, grade=5, section=s, academic_year=year) for s in ("A", "B")]


def test_teacher_add_normalises_the_phone_and_finds_classes_as_written(db, cli, school, classes):
    result = cli(
        "teacher", "add", school.slug, "--name", "Gita Rai", "--phone", "984-1111111",
        "--classes", "5A, ५ख", "--language", "en",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "+9779841111111" in result.stdout and "5A, 5B" in result.stdout
    teacher = db.session.scalar(sa.select(Teacher))
    assert (teacher.phone, teacher.language) == ("+9779841111111", "en")
    assert [c.name for c in teacher.classes] == ["5A", "5B"]
    assert audit_actions(db) == [("teacher.create", None)]


def test_teacher_add_without_classes(db, cli, school):
    result = cli("teacher", "add", school.slug, "--name", "Gita Rai", "--phone", "9841111111")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(Teacher)).language == "ne"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--phone", "9841111111", "--classes", "5A,7C"], "No class 7C this year (it has: 5A, 5B)"),
        (["--phone", "9841111111", "--classes", "5A,blue"], "“blue” is not a class name"),
        (["--phone", "01-4412345"], "landline"),
        (["--phone", "98411"], "too few or too many digits"),
        (["--phone", "+9779859999999"], "exists already"),
    ],
)
def test_teacher_add_refuses_bad_input_and_writes_nothing(db, cli, school, classes, args, message):
    TeacherFactory(school=school, phone="+9779859999999")
    result = cli("teacher", "add", school.slug, "--name", "Gita Rai", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert count(db, Teacher) == 1 and count(db, AuditLog) == 0


def test_teacher_add_for_an_unknown_school(db, cli):
    result = cli("teacher", "add", "nowhere", "--name", "Gita Rai", "--phone", "9841111111")
    assert result.exit_code == 1
    assert "There is no school “nowhere”" in result.stderr


def test_classes_of_last_year_do_not_count(db, cli, school):
    ClassFactory(school=school, grade=5, section="A", academic_year=current_bs_year() - 1)
    result = cli("teacher", "add", school.slug, "--name", "T", "--phone", "9841111111",
                 "--classes", "5A")  # fmt: skip
    assert result.exit_code == 1 and "No class 5A this year" in result.stderr


# flask user add


def test_user_add_takes_the_password_from_the_environment(db, cli, school):
    result = cli(
        "user", "add", school.slug, "--email", "Office@School.edu.np", "--role", "staff",
        env={"SANDESH_USER_PASSWORD": "a long passphrase"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User))
    assert (user.email, user.role, user.school_id) == ("office@school.edu.np", "staff", school.id)
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, "a long passphrase")
    assert audit_actions(db) == [("user.create", None)]


def test_user_add_prompts_for_the_password_twice(db, cli, school):
    result = cli(
        "user", "add", school.slug, "--email", "head@school.edu.np", "--role", "admin",
        input="typed passphrase\ntyped passphrase\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "typed passphrase" not in result.output
    assert verify_password(db.session.scalar(sa.select(User)).password_hash, "typed passphrase")


@pytest.mark.parametrize(
    "args, password, message",
    [
        (["--email", "a@school.np", "--role", "staff"], "short", "at least 10 characters"),
        (["--email", "not-an-email", "--role", "staff"], "long enough!", "not an email address"),
        (["--email", "taken@school.np", "--role", "admin"], "long enough!", "exists"),
    ],
)
def test_user_add_refuses_bad_input(db, cli, school, args, password, message):
    UserFactory(school=school, email="taken@school.np")
    result = cli("user", "add", school.slug, *args, env={"SANDESH_USER_PASSWORD": password})
    assert result.exit_code == 1
    assert message in result.stderr
    assert count(db, User) == 1 and count(db, AuditLog) == 0


def test_user_add_knows_only_school_roles(db, cli, school):
    result = cli("user", "add", school.slug, "--email", "x@y.np", "--role", "operator",
                 env={"SANDESH_USER_PASSWORD": "long enough!"})  # fmt: skip
    assert result.exit_code == 2 and "operator" in result.stderr
    assert count(db, User) == 0


# flask token create


def test_token_create_prints_a_token_once_and_keeps_only_its_hash(db, cli, school):
    result = cli("token", "create", school.slug)
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith(f"sk_{school.slug}_") and len(token) > 40
    assert "cannot be shown again" in result.stderr
    row = db.session.scalar(sa.select(ApiToken))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.school_id == school.id and token.split("_", 2)[2].startswith(row.prefix)
    assert token not in str(db.session.execute(sa.select(AuditLog.changes)).all())
    assert audit_actions(db) == [("token.create", None)]
    assert cli("token", "create", school.slug).stdout.strip() != token


def test_token_create_for_an_unknown_school(db, cli):
    result = cli("token", "create", "nowhere")
    assert result.exit_code == 1 and "nowhere" in result.stderr
    assert count(db, ApiToken) == 0


# flask roster import


def test_roster_import_reports_its_counts(db, cli, school):
    result = cli("roster", "import", school.slug, str(FIXTURES / "good.csv"))
    assert result.exit_code == 0, result.output
    assert "Imported 7 rows." in result.stdout
    assert "Students: 6 new, 0 updated, 0 unchanged" in result.stdout
    assert "Student–guardian links: 7 new" in result.stdout
    assert count(db, Student, Student.school_id == school.id) == 6
    assert audit_actions(db) == [("roster.import", None)]
    again = cli("roster", "import", school.slug, str(FIXTURES / "good.csv"))
    assert "Students: 0 new, 0 updated, 6 unchanged" in again.stdout


def test_roster_import_of_a_bad_file_lists_every_bad_line_and_imports_nothing(db, cli, school):
    result = cli("roster", "import", school.slug, str(FIXTURES / "bad.csv"))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "line 3, class: “5Z9” is not a class name like 5A, 10B, ५क, 5, LKG or UKG B."
    assert "line 5, phone: “01-4412345” is a landline; WhatsApp needs a mobile number." in lines
    assert lines[-1] == "Error: Nothing was imported: 7 lines of bad.csv have problems."
    assert count(db, Student) == 0 and count(db, AuditLog) == 0


def test_roster_import_dry_run_writes_nothing(db, cli, school):
    result = cli("roster", "import", school.slug, str(FIXTURES / "good.csv"), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "nothing was imported (dry run)" in result.stdout
    assert "Students: 6 new" in result.stdout
    assert count(db, Student) == 0 and count(db, SchoolClass) == 0 and count(db, AuditLog) == 0


def test_roster_import_speaks_nepali_when_asked(db, cli, school):
    result = cli("roster", "import", school.slug, str(FIXTURES / "bad.csv"), "--language", "ne")
    assert result.exit_code == 1
    assert "५क" in result.stderr and "२" in result.stderr and "line 3" not in result.stderr


def test_roster_import_shows_progress_on_large_files(db, cli, school, tmp_path):
    rows = [f"{n // 100 + 1}A,{n % 100 + 1},S {n},G {n},98{n:08d},ne" for n in range(600)]
    path = tmp_path / "big.csv"
    path.write_text("class,roll,student,guardian,phone,language\n" + "\n".join(rows) + "\n")
    result = cli("roster", "import", school.slug, str(path))
    assert result.exit_code == 0, result.output
    assert "Importing" in result.stderr and "Imported 600 rows." in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["nowhere", str(FIXTURES / "good.csv")], "There is no school"),
        (["{slug}", str(FIXTURES / "missing.csv")], "does not exist"),
    ],
)
def test_roster_import_refuses_unknown_schools_and_files(db, cli, school, args, message):
    args = [a.format(slug=school.slug) for a in args]
    result = cli("roster", "import", *args)
    assert result.exit_code != 0 and message in result.stderr


@pytest.mark.parametrize(
    "env, url",
    [
        ({}, "http://127.0.0.1:8000"),
        ({"BIND": "127.0.0.1:9000"}, "http://127.0.0.1:9000"),
        ({"BIND": "0.0.0.0:8080"}, "http://127.0.0.1:8080"),
        ({"BIND": "10.1.2.3:80"}, "http://10.1.2.3:80"),
        ({"PORT": "5005"}, "http://127.0.0.1:5005"),
    ],
)
def test_demo_prints_the_address_the_portal_is_served_at(db, cli, monkeypatch, env, url):
    monkeypatch.delenv("BIND", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = cli("demo")
    assert f"Sign in at {url}\n" in result.stdout


def test_a_second_demo_run_undoes_nothing_a_person_changed(db, cli):
    cli("demo")
    guardian = db.session.scalars(sa.select(Guardian).where(Guardian.language == "en")).first()
    guardian.language, guardian.language_chosen_at = "ne", utcnow()  # replied NEPALI
    other = db.session.scalars(sa.select(Guardian).where(Guardian.id != guardian.id)).first()
    other.opted_out_at = utcnow()  # replied STOP
    student = db.session.scalars(sa.select(Student)).first()
    student.name, student.active = "Renamed In Portal", False  # an admin's edits
    db.session.commit()
    assert cli("demo").exit_code == 0
    db.session.expire_all()
    assert (guardian.language, other.opted_out_at is not None) == ("ne", True)
    assert (student.name, student.active) == ("Renamed In Portal", False)
