"""Class names as schools and teachers write them, in both scripts, levels below grade 1
included, and how they are written back."""

import pytest

from portal.lexicon import classnames
from portal.lexicon.classnames import ClassName, read

READ = [
    ("5A", ClassName(5, "A")),
    ("5 a", ClassName(5, "A")),
    ("10-B", ClassName(10, "B")),
    ("५क", ClassName(5, "A")),
    ("कक्षा ५ ख", ClassName(5, "B")),
    ("Class 5A", ClassName(5, "A")),
    ("5", ClassName(5)),
    # romanised section letters as typed on a phone: ka, kha, ga = क, ख, ग
    ("5ka", ClassName(5, "A")),
    ("5kha", ClassName(5, "B")),
    ("5 ga", ClassName(5, "C")),
    ("8 gha", ClassName(8, "D")),
    ("9CHA", ClassName(9, "F")),
    ("9chha", ClassName(9, "G")),
    # the levels below grade 1, with or without a section, in both scripts
    ("Nursery", ClassName(-3)),
    ("nursery b", ClassName(-3, "B")),
    ("LKG", ClassName(-2)),
    ("L.K.G.", ClassName(-2)),
    ("LKG A", ClassName(-2, "A")),
    ("LKGA", ClassName(-2, "A")),
    ("UKG-B", ClassName(-1, "B")),
    ("ukg ka", ClassName(-1, "A")),
    ("PG", ClassName(-4)),
    ("Play Group", ClassName(-4)),
    ("playgroup c", ClassName(-4, "C")),
    ("ECD", ClassName(-5)),
    ("नर्सरी", ClassName(-3)),
    ("एलकेजी", ClassName(-2)),
    ("युकेजी", ClassName(-1)),
    ("युकेजी ख", ClassName(-1, "B")),
    ("एल के जी", ClassName(-2)),
    # not class names
    ("2nd", None),
    ("12th", None),
    ("5am", None),
    ("LKG AB", None),
    ("kindergarten", None),
    ("", None),
]


@pytest.mark.parametrize("text, expected", READ, ids=[t or "empty" for t, _ in READ])
def test_class_names_are_read_as_written(text, expected):
    assert read(text) == expected


def test_a_typed_number_never_reads_as_a_level():
    assert read("0A") == ClassName(0, "A")
    assert not classnames.is_known_grade(0)
    assert not classnames.is_known_grade(13)
    assert all(classnames.is_known_grade(g) for g in (-5, -4, -3, -2, -1, 1, 12))


def test_names_are_written_in_the_reader_s_script():
    assert classnames.name_of(5, "A") == "5A"
    assert classnames.name_ne_of(5, "A") == "५क"
    assert classnames.name_of(-2, "A") == "LKG A"
    assert classnames.name_ne_of(-2, "A") == "एलकेजी क"
    assert classnames.name_of(-3) == "Nursery"
    assert classnames.name_ne_of(-1, "B") == "युकेजी ख"
    assert classnames.grade_name(-4, "ne") == "प्ले ग्रुप"
    assert classnames.grade_name(10, "ne") == "१०"


def test_every_written_name_reads_back_as_itself():
    for grade in classnames.KNOWN_GRADES:
        for section in ("", "A", "C"):
            expected = ClassName(grade, section or None)
            assert read(classnames.name_of(grade, section)) == expected
            assert read(classnames.name_ne_of(grade, section)) == expected


def test_levels_come_before_grade_1_in_the_school_s_order():
    order = ["ECD", "PG", "Nursery", "LKG", "UKG", "1", "2", "10"]
    assert sorted(order, key=lambda name: read(name).grade) == order
