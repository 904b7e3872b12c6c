"""A demo school with a believable roster, made the same way every time (seeded random)."""

import random
from dataclasses import dataclass

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Guardian, School, SchoolClass, Student, Teacher, User
from portal.services.accounts import users
from portal.services.accounts.passwords import hash_password
from portal.services.common import audit
from portal.services.common.dates import current_bs_year
from portal.services.delivery.transport import is_sandbox
from portal.services.roster import teachers
from portal.services.roster.importing import import_records
from portal.services.school import schools
from portal.services.waba import template_sync
from portal.services.waba.graph import current_graph

SLUG = "demo"
NAME = "Shree Janata Secondary School"
NAME_NE = "श्री जनता माध्यमिक विद्यालय"
PHONE_NUMBER_ID = "100000000000001"
WABA_ID = "100000000000002"  # the sandbox's stand-in for Meta holds its templates
PASSWORD = "sandesh-demo"  # noqa: S105 (published by `flask demo`; the demo school only)
USERS = (
    ("admin@demo.sandesh.np", "admin", "Kamala Poudel"),
    ("staff@demo.sandesh.np", "staff", "Bishnu Karki"),
)
TEACHERS = (
    ("Ram Prasad Adhikari", "+9779851012345", ("5A", "5B"), "ne"),
    ("Sunita Shrestha", "+9779841098765", ("9", "10"), "en"),
    ("Gita Tamang", "+9779861023456", ("Nursery", "LKG", "UKG"), "ne"),
)
CLASSES = ("Nursery", "LKG", "UKG", "1", "2", "3", "4", "5A", "5B", "6A", "6B", "7", "8", "9", "10")

BOYS = (
    ("Aarav", "आरव"), ("Bibek", "बिबेक"), ("Bikash", "विकास"), ("Dipesh", "दिपेश"),
    ("Ganesh", "गणेश"), ("Kiran", "किरण"), ("Manish", "मनिष"), ("Nabin", "नविन"),
    ("Prakash", "प्रकाश"), ("Rajan", "राजन"), ("Roshan", "रोशन"), ("Sagar", "सागर"),
    ("Santosh", "सन्तोष"), ("Sujan", "सुजन"), ("Suman", "सुमन"), ("Anish", "अनिश"),
    ("Aayush", "आयुष"), ("Bishal", "विशाल"), ("Niraj", "निरज"), ("Pratik", "प्रतीक"),
    ("Rohit", "रोहित"), ("Utsav", "उत्सव"), ("Sandip", "सन्दीप"), ("Aashish", "आशिष"),
)  # fmt: skip
GIRLS = (
    ("Aasha", "आशा"), ("Anita", "अनिता"), ("Asmita", "अस्मिता"), ("Bina", "बिना"),
    ("Deepa", "दीपा"), ("Kabita", "कविता"), ("Manisha", "मनिषा"), ("Nisha", "निशा"),
    ("Pooja", "पूजा"), ("Pratikshya", "प्रतीक्षा"), ("Rachana", "रचना"), ("Sabina", "सबिना"),
    ("Sarita", "सरिता"), ("Shristi", "सृष्टि"), ("Srijana", "सृजना"), ("Sushma", "सुष्मा"),
    ("Samjhana", "सम्झना"), ("Anjali", "अञ्जली"), ("Aarati", "आरती"), ("Binita", "बिनिता"),
    ("Rojina", "रोजिना"), ("Sneha", "स्नेहा"), ("Ishika", "इशिका"), ("Alisha", "अलिसा"),
)  # fmt: skip
SURNAMES = (
    ("Sharma", "शर्मा"), ("Adhikari", "अधिकारी"), ("Shrestha", "श्रेष्ठ"), ("Thapa", "थापा"),
    ("Gurung", "गुरुङ"), ("Tamang", "तामाङ"), ("Rai", "राई"), ("Limbu", "लिम्बु"),
    ("Magar", "मगर"), ("Karki", "कार्की"), ("Bhattarai", "भट्टराई"), ("Poudel", "पौडेल"),
    ("KC", "केसी"), ("Basnet", "बस्नेत"), ("Khadka", "खड्का"), ("Maharjan", "महर्जन"),
    ("Yadav", "यादव"), ("Chaudhary", "चौधरी"), ("Sherpa", "शेर्पा"), ("Pandey", "पाण्डे"),
    ("Joshi", "जोशी"), ("Rana", "राना"), ("Dahal", "दाहाल"), ("Ghimire", "घिमिरे"),
)  # fmt: skip
FATHERS = (
    "Ram", "Shyam", "Krishna", "Hari Prasad", "Gopal", "Bishnu", "Dil Bahadur", "Man Bahadur",
    "Narayan", "Rajendra", "Surya", "Tek Bahadur", "Keshav", "Dinesh", "Mohan", "Pemba",
)  # fmt: skip
MOTHERS = (
    "Sita", "Kamala", "Radha", "Parbati", "Saraswati", "Mina", "Laxmi", "Sabitri",
    "Kalpana", "Sharmila", "Januka", "Durga", "Bishnu Maya", "Tara", "Sangita", "Goma",
)  # fmt: skip
OTHERS = (("Grandmother", "grandmother"), ("Uncle", "uncle"), ("Aunt", "aunt"))
PREFIXES = ("984", "985", "986", "980", "981", "982", "974", "976", "961", "988")


@dataclass
class Family:
    """The guardians of one or more students, with the relation each is listed under."""

    surname: tuple[str, str]
    guardians: list[tuple[str, str, str, str]]  # (name, phone, language, relation)


class _Maker:
    """Deterministic roster rows: ~25 students a class, some siblings sharing guardians."""

    def __init__(self, seed: int = 2082):
        self.rng = random.Random(seed)
        self.phones: set[str] = {phone for _, phone, _, _ in TEACHERS}
        self.families: list[tuple[str, Family]] = []

    def phone(self) -> str:
        while True:
            number = f"+977{self.rng.choice(PREFIXES)}{self.rng.randrange(10**7):07d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def language(self) -> str:
        return self.rng.choices(("ne", "both", "en"), weights=(70, 20, 10))[0]

    def family(self, class_name: str) -> Family:
        elder = [f for c, f in self.families if c != class_name]
        if elder and self.rng.random() < 0.12:
            return self.rng.choice(elder)
        surname = self.rng.choice(SURNAMES)
        mother = (f"{self.rng.choice(MOTHERS)} {surname[0]}", "mother")
        father = (f"{self.rng.choice(FATHERS)} {surname[0]}", "father")
        other_title, other_relation = self.rng.choice(OTHERS)
        other = (f"{self.rng.choice(MOTHERS + FATHERS)} {surname[0]}", other_relation)
        listed = self.rng.choices(
            ([mother], [father], [mother, father], [other]), weights=(55, 25, 15, 5)
        )[0]
        family = Family(surname, [(n, self.phone(), self.language(), r) for n, r in listed])
        self.families.append((class_name, family))
        return family

    def rows(self):
        """(line, cells) for every (student, guardian) pair, lines counted from 2."""
        line = 1
        for class_name in CLASSES:
            for roll in range(1, self.rng.randint(22, 28) + 1):
                family = self.family(class_name)
                first = self.rng.choice(self.rng.choice((BOYS, GIRLS)))
                student = (f"{first[0]} {family.surname[0]}", f"{first[1]} {family.surname[1]}")
                for name, phone, language, relation in family.guardians:
                    line += 1
                    yield line, _cells(class_name, roll, student, name, phone, language, relation)


def _cells(class_name, roll, student, guardian, phone, language, relation) -> dict[str, str]:
    return {
        "class": class_name,
        "roll": str(roll),
        "student": student[0],
        "student_ne": student[1],
        "guardian": guardian,
        "phone": phone,
        "language": language,
        "relation": relation,
    }


def seed_demo() -> School:
    """Make the demo school, or add what is missing from it; running it again changes nothing
    a person has changed since (a name edited in the portal, a parent's reply NEPALI)."""
    school = db.session.scalar(sa.select(School).where(School.slug == SLUG))
    if school is None:
        school = schools.create_school(
            slug=SLUG, name=NAME, name_ne=NAME_NE, phone_number_id=PHONE_NUMBER_ID, waba_id=WABA_ID
        )
    report = import_records(
        school=school,
        records=list(_Maker().rows()),
        filename="demo",
        audited=False,
        only_new=True,  # what people changed since (a name, a parent's language) stays
    )
    if report.changed:
        audit.record(
            school_id=school.id, user_id=None, action="roster.import", changes=report.summary()
        )
    _teachers(school)
    _users(school)
    _templates(school)
    return school


def _templates(school: School) -> None:
    """In the sandbox, the shipped templates submitted to its stand-in for Meta (approved a
    few seconds later, by webhook); Meta's starting messaging limit, so the demo shows it."""
    if not is_sandbox():
        return
    school.waba_id = school.waba_id or WABA_ID
    template_sync.sync_templates(school=school, graph=current_graph())


def _teachers(school: School) -> None:
    known = set(db.session.scalars(sa.select(Teacher.phone).where(Teacher.school_id == school.id)))
    for name, phone, classes, language in TEACHERS:
        if phone not in known:
            teachers.create_teacher(
                school=school, name=name, phone=phone, class_names=classes, language=language
            )


def _users(school: School) -> None:
    emails = [email for email, _, _ in USERS]
    known = set(db.session.scalars(sa.select(User.email).where(User.email.in_(emails))))
    if known == set(emails):
        return
    hashed = hash_password(PASSWORD)  # slow on purpose: one hash serves both demo logins
    for email, role, name in USERS:
        if email not in known:
            users.create_user(
                school=school,
                email=email,
                role=role,
                password=PASSWORD,
                name=name,
                password_hash=hashed,
            )


def demo_counts(school: School) -> dict[str, int]:
    """How big the demo school is, for the summary `flask demo` prints."""

    def count(model, *where):
        query = sa.select(sa.func.count()).select_from(model)
        return db.session.scalar(query.where(model.school_id == school.id, *where))

    return {
        "classes": count(SchoolClass, SchoolClass.academic_year == current_bs_year()),
        "students": count(Student, Student.active),
        "guardians": count(Guardian, Guardian.active),
        "teachers": count(Teacher, Teacher.active),
    }
