"""Play Group, Nursery, LKG and UKG as real schools have them: imported from the roster file,
listed before grade 1, and reached by a teacher's command and by the API."""

import pytest
import sqlalchemy as sa

from portal.models import SchoolClass
from portal.services.accounts.tokens import create_api_token
from portal.services.roster.importing import import_csv
from tests.factories import SchoolFactory, TeacherFactory

ROSTER = """class,roll,student,guardian,phone,language
Nursery,1,Aarav Rai,Sita Rai,9841000001,ne
LKG A,1,Bina Thapa,Mina Thapa,9841000002,en
LKG-B,1,Chiran KC,Hari KC,9841000003,en
UKG A,1,Dipa Gurung,Laxmi Gurung,9841000004,ne
युकेजी ख,1,Esha Magar,Tara Magar,9841000005,en
1,1,Firoj Sah,Ram Sah,9841000006,en
5ka,1,Gita Lama,Durga Lama,9841000007,en
"""


@pytest.fixture
def school(db):
    school = SchoolFactory()
    report = import_csv(school=school, data=ROSTER.encode(), filename="levels.csv")
    assert report.ok, report.errors
    db.session.commit()
    return school


@pytest.fixture(autouse=True)
def no_pair_gap(monkeypatch):
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)


def reached(phones, *numbers) -> list[int]:
    return [len(phones.to("+977" + number)) for number in numbers]


def test_the_file_s_levels_become_classes_ordered_before_grade_1(db, school):
    classes = db.session.scalars(
        sa.select(SchoolClass)
        .where(SchoolClass.school_id == school.id)
        .order_by(SchoolClass.grade, SchoolClass.section)
    )
    assert [(c.name, c.name_ne) for c in classes] == [
        ("Nursery", "नर्सरी"),
        ("LKG A", "एलकेजी क"),
        ("LKG B", "एलकेजी ख"),
        ("UKG A", "युकेजी क"),
        ("UKG B", "युकेजी ख"),
        ("1", "१"),
        ("5A", "५क"),
    ]


def test_a_teacher_reaches_a_whole_level_and_one_section(db, school, phones, say):
    teacher = TeacherFactory(school=school, language="en")
    school.teachers_may_target_any = True
    db.session.commit()
    say(school, teacher.phone, "LKG: Bring your crayons tomorrow.")
    preview = phones.to(teacher.phone)[-1]["body"]
    assert "Parents: 2" in preview and "LKG" in preview
    say(school, teacher.phone, "YES")
    assert reached(phones, "9841000002", "9841000003", "9841000004") == [1, 1, 0]
    say(school, teacher.phone, "UKG A: Picnic on Friday.")
    say(school, teacher.phone, "YES")
    say(school, teacher.phone, "नर्सरी: भोलि बिदा छ।")
    say(school, teacher.phone, "YES")
    say(school, teacher.phone, "5ka: Exam routine is out.")
    say(school, teacher.phone, "YES")
    assert reached(phones, "9841000001", "9841000004", "9841000005", "9841000007") == [1, 1, 0, 1]


def test_a_nepali_teacher_is_told_which_classes_are_not_theirs_in_nepali(db, school, phones, say):
    lkg_a = db.session.scalar(sa.select(SchoolClass).where(SchoolClass.grade == -2))
    teacher = TeacherFactory(school=school, language="ne", classes=[lkg_a])
    say(school, teacher.phone, "UKG LKG A: भोलि बिदा छ।")
    reply = phones.to(teacher.phone)[-1]["body"]
    assert "युकेजी क, युकेजी ख" in reply
    assert "UKG" not in reply


def test_the_api_takes_levels_as_targets(db, school, client, recorder):
    _row, token = create_api_token(school=school)
    db.session.commit()
    body = {"targets": ["UKG", "Nursery"], "body_en": "Sports day.", "kind": "event"}
    response = client.post(
        "/api/v1/broadcasts", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201, response.json
    assert response.json["targets"] == ["UKG", "Nursery"]
    assert sorted(m["to"] for m in recorder.sent) == [
        "9779841000001",
        "9779841000004",
        "9779841000005",
    ]
    bad = client.post(
        "/api/v1/broadcasts",
        json=body | {"targets": ["KG"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert bad.status_code == 422
    assert "KG" in bad.json["error"]["message"]
