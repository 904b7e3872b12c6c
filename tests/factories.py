"""factory_boy factories for every roster model, committed through the app's session."""

import datetime

import factory
from factory.alchemy import SQLAlchemyModelFactory

from portal.extensions import db
from portal.models import (
    Guardian,
    School,
    SchoolClass,
    Student,
    StudentGuardian,
    Teacher,
    User,
)
from portal.services.accounts.passwords import hash_password

_hashes: dict[str, str] = {}

PASSWORD = "correct horse battery"  # every factory-made user's


def password_hash(password: str = PASSWORD) -> str:
    """Hashing is deliberately slow; tests reuse one hash per password."""
    if password not in _hashes:
        _hashes[password] = hash_password(password)
    return _hashes[password]


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class SchoolFactory(Base):
    class Meta:
        model = School

    slug = factory.Sequence(lambda n: f"school-{n}")
    name = factory.Sequence(lambda n: f"Shree Test School {n}")
    name_ne = factory.Sequence(lambda n: f"श्री परीक्षण विद्यालय {n}")
    phone_number_id = factory.Sequence(lambda n: f"10{n:013d}")
    # No quiet hours unless a test sets them: tests must not depend on the time of day.
    quiet_start = datetime.time(0, 0)
    quiet_end = datetime.time(0, 0)
    # No messaging limit unless a test sets one: only the limit's own tests count places.
    messaging_tier = "TIER_UNLIMITED"


class UserFactory(Base):
    class Meta:
        model = User

    school = factory.SubFactory(SchoolFactory)
    email = factory.Sequence(lambda n: f"user{n}@example.edu.np")
    name = factory.Sequence(lambda n: f"User {n}")
    role = "admin"
    language = "en"
    password_hash = factory.LazyFunction(password_hash)


class ClassFactory(Base):
    class Meta:
        model = SchoolClass

    school = factory.SubFactory(SchoolFactory)
    grade = 5
    section = factory.Sequence(lambda n: "ABCDEFGHIJ"[n % 10])
    academic_year = 2082


class StudentFactory(Base):
    class Meta:
        model = Student

    school_class = factory.SubFactory(ClassFactory)
    school_id = factory.SelfAttribute("school_class.school_id")
    roll = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Student {n}")
    name_ne = factory.Sequence(lambda n: f"विद्यार्थी {n}")


class GuardianFactory(Base):
    class Meta:
        model = Guardian

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Guardian {n}")
    phone = factory.Sequence(lambda n: f"+977984{n:07d}")
    language = "ne"


class StudentGuardianFactory(Base):
    class Meta:
        model = StudentGuardian

    student = factory.SubFactory(StudentFactory)
    guardian = factory.SubFactory(
        GuardianFactory, school=factory.SelfAttribute("..student.school_class.school")
    )
    school_id = factory.SelfAttribute("student.school_id")
    relation = "mother"


class TeacherFactory(Base):
    class Meta:
        model = Teacher

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Teacher {n}")
    phone = factory.Sequence(lambda n: f"+977985{n:07d}")
    language = "ne"
