"""Teacher messages as they arrive on WhatsApp, read into commands (times: test_command_times)."""

from datetime import UTC, datetime

import pytest

from portal.services.common.dates import NEPAL
from portal.services.conversations.commands import (
    REASONS,
    Broadcast,
    Cancel,
    Confirm,
    Decline,
    Help,
    Status,
    Unclear,
    parse,
)

NOW = datetime(2025, 11, 22, 10, 0, tzinfo=NEPAL)  # a Saturday, 6 Mangsir 2082


@pytest.fixture(autouse=True)
def db():
    """The parser is pure: these tests need no app or database (overrides conftest's `db`)."""


def notice(targets, en=None, ne=None, kind="notice", **kwargs):
    return Broadcast(kind, targets, body_en=en, body_ne=ne, **kwargs)


def homework(targets, subject, en=None, ne=None):
    return Broadcast("homework", targets, body_en=en, body_ne=ne, subject=subject)


def absence(targets, rolls, **kwargs):
    return Broadcast("absence", targets, rolls=rolls, **kwargs)


def npt(month, day, hour, minute=0):
    return datetime(2025, month, day, hour, minute, tzinfo=NEPAL).astimezone(UTC)


MESSAGES = [
    # Notices: classes, grades, the whole school
    ("5A: Tomorrow school is closed for Tihar.",
     notice(["5A"], "Tomorrow school is closed for Tihar.")),
    ("5A 5B: Bring your report cards on Sunday.",
     notice(["5A", "5B"], "Bring your report cards on Sunday.")),
    ("5A,5B: Sports uniform tomorrow", notice(["5A", "5B"], "Sports uniform tomorrow")),
    ("5A, 5B : Sports uniform tomorrow", notice(["5A", "5B"], "Sports uniform tomorrow")),
    ("5A and 5B: PTA meeting on Friday", notice(["5A", "5B"], "PTA meeting on Friday")),
    ("5A/5B/5C: Fees are due", notice(["5A", "5B", "5C"], "Fees are due")),
    ("5: Grade 5 picnic on Saturday", notice(["5"], "Grade 5 picnic on Saturday")),
    ("10: Board exam forms today", notice(["10"], "Board exam forms today")),
    ("ALL: School closed tomorrow.", notice(["ALL"], "School closed tomorrow.")),
    ("all: lower-case all", notice(["ALL"], "lower-case all")),
    ("सबै: भोलि तिहारको बिदा।", notice(["ALL"], ne="भोलि तिहारको बिदा।")),
    ("सबैलाई: भोलि बिदा", notice(["ALL"], ne="भोलि बिदा")),
    ("ALL 5A: Everyone means everyone", notice(["ALL"], "Everyone means everyone")),
    ("5A 5a 5A: Said three times", notice(["5A"], "Said three times")),
    ("NOTICE 5A: Bring a pencil box.", notice(["5A"], "Bring a pencil box.")),
    ("notice 10b: Exam routine is on the board", notice(["10B"], "Exam routine is on the board")),
    ("सूचना ५क: भोलि विद्यालय बन्द रहनेछ।", notice(["5A"], ne="भोलि विद्यालय बन्द रहनेछ।")),
    ("सूचना ५क ५ख: शुल्क तिर्ने अन्तिम दिन", notice(["5A", "5B"], ne="शुल्क तिर्ने अन्तिम दिन")),
    ("५क: भोलि बिदा", notice(["5A"], ne="भोलि बिदा")),
    ("१०ख: परीक्षा सोमबारदेखि", notice(["10B"], ne="परीक्षा सोमबारदेखि")),
    ("5A notice: Keyword after the class", notice(["5A"], "Keyword after the class")),
    # Odd spacing and typing that should still work
    ("5 A: Space inside the class", notice(["5A"], "Space inside the class")),
    ("Class 5A: Parents meeting Saturday", notice(["5A"], "Parents meeting Saturday")),
    ("कक्षा ५क: अभिभावक भेला शनिबार", notice(["5A"], ne="अभिभावक भेला शनिबार")),
    ("5a: lower-case section", notice(["5A"], "lower-case section")),
    ("5A:No space after the colon", notice(["5A"], "No space after the colon")),
    ("  5A   :    lots of   space  ", notice(["5A"], "lots of   space")),
    ("5A： Full-width colon", notice(["5A"], "Full-width colon")),
    ("5A:: Double colon", notice(["5A"], "Double colon")),
    ("५कः भोलि बिदा छ", notice(["5A"], ne="भोलि बिदा छ")),
    ("*5A*: Bold from WhatsApp formatting", notice(["5A"], "Bold from WhatsApp formatting")),
    ("5A: School starts at 10:30 tomorrow", notice(["5A"], "School starts at 10:30 tomorrow")),
    ("5A: Write to office@school.edu.np", notice(["5A"], "Write to office@school.edu.np")),
    ("5A: First line\nSecond line", notice(["5A"], "First line\nSecond line")),
    ("5A: Teacher's note: bring crayons", notice(["5A"], "Teacher's note: bring crayons")),
    # Languages
    ("5A: Tomorrow closed || भोलि बिदा", notice(["5A"], "Tomorrow closed", "भोलि बिदा")),
    ("5A: भोलि बिदा || Tomorrow closed", notice(["5A"], "Tomorrow closed", "भोलि बिदा")),
    ("5A: Tomorrow closed||भोलि बिदा", notice(["5A"], "Tomorrow closed", "भोलि बिदा")),
    ("5A: Tomorrow closed ॥ भोलि बिदा", notice(["5A"], "Tomorrow closed", "भोलि बिदा")),
    ("5A: भोलि school बन्द छ", notice(["5A"], ne="भोलि school बन्द छ")),
    ("5A: bholi school banda cha", notice(["5A"], "bholi school banda cha")),
    ("5A: Only English ||", notice(["5A"], "Only English")),
    ("५क: राम्रो काम ॥ धन्यवाद", notice(["5A"], ne="राम्रो काम ॥ धन्यवाद")),
    # Events and emergencies
    ("EVENT 5A Sports day @ 6pm: Saturday",
     notice(["5A"], "Sports day: Saturday", kind="event", when=npt(11, 22, 18), when_text="6pm")),
    ("EVENT 5A: Sports day on Saturday", notice(["5A"], "Sports day on Saturday", kind="event")),
    ("EVENT 5A Sports Day: Saturday 10am at the ground",
     notice(["5A"], "Sports Day: Saturday 10am at the ground", kind="event")),
    ("कार्यक्रम सबै: शुक्रबार वार्षिकोत्सव", notice(["ALL"], ne="शुक्रबार वार्षिकोत्सव", kind="event")),
    ("EMERGENCY ALL: Heavy rain. Please collect your children by noon.",
     notice(["ALL"], "Heavy rain. Please collect your children by noon.", kind="emergency")),
    ("urgent 5A: The bus is 30 minutes late",
     notice(["5A"], "The bus is 30 minutes late", kind="emergency")),
    ("आपतकालीन सबै: भारी वर्षाका कारण छुट्टी",
     notice(["ALL"], ne="भारी वर्षाका कारण छुट्टी", kind="emergency")),
    ("जरुरी ५क: बस ढिलो छ", notice(["5A"], ne="बस ढिलो छ", kind="emergency")),
    # Homework
    ("HW 5A Science: Page 23, exercises 1-5",
     homework(["5A"], "Science", "Page 23, exercises 1-5")),
    ("HOMEWORK 5A Maths: Exercise 4.2, Q1-10", homework(["5A"], "Maths", "Exercise 4.2, Q1-10")),
    ("hw 5a english: Write an essay", homework(["5A"], "english", "Write an essay")),
    ("H.W. 6B Nepali: निबन्ध लेख्नुहोस्", homework(["6B"], "Nepali", ne="निबन्ध लेख्नुहोस्")),
    ("गृहकार्य ५क विज्ञान: पाठ ३ का प्रश्नहरू", homework(["5A"], "विज्ञान", ne="पाठ ३ का प्रश्नहरू")),
    ("गृहकार्य ५क सामाजिक अध्ययन: नक्सा बनाउनुहोस्",
     homework(["5A"], "सामाजिक अध्ययन", ne="नक्सा बनाउनुहोस्")),
    ("गृहकार्य ५क विज्ञानः पाठ ३ पढ्ने", homework(["5A"], "विज्ञान", ne="पाठ ३ पढ्ने")),
    ("HW 5A: Finish the worksheet", homework(["5A"], None, "Finish the worksheet")),
    ("HW Science 5A: Page 23", homework(["5A"], "Science", "Page 23")),
    ("5A HW Science: Page 23", homework(["5A"], "Science", "Page 23")),
    ("Home work 5A Maths: p 12", homework(["5A"], "Maths", "p 12")),
    ("HW 5A 5B Computer: Type your name 10 times",
     homework(["5A", "5B"], "Computer", "Type your name 10 times")),
    # Absence lists
    ("ABSENT 5A: 3 7 12", absence(["5A"], [3, 7, 12])),
    ("अनुपस्थित ५क: ३ ७ १२", absence(["5A"], [3, 7, 12])),
    ("ABSENT 5A: 3, 7, 12", absence(["5A"], [3, 7, 12])),
    ("absent 5a: 3,7,12.", absence(["5A"], [3, 7, 12])),
    ("ABSENT 5A: 12-14, 3", absence(["5A"], [3, 12, 13, 14])),
    ("ABSENT 5A: 12 – 14", absence(["5A"], [12, 13, 14])),
    ("ABSENT 5A: roll no 4 and 9", absence(["5A"], [4, 9])),
    ("ABSENT 5A: 7 3 7", absence(["5A"], [3, 7])),
    ("absent 5A 3 7 12", absence(["5A"], [3, 7, 12])),
    ("गैरहाजिर ५क: ५, ९", absence(["5A"], [5, 9])),
    ("5A absent: 2 4", absence(["5A"], [2, 4])),
    ("ABSENT 5: 1 2", absence(["5"], [1, 2])),
    # With a time (more in test_command_times.py)
    ("5A: Closed tomorrow @ 6pm",
     notice(["5A"], "Closed tomorrow", when=npt(11, 22, 18), when_text="6pm")),
    ("5A @ tomorrow 7am: Bring lunch",
     notice(["5A"], "Bring lunch", when=npt(11, 23, 7), when_text="tomorrow 7am")),
    ("५क: भोलि बिदा @ भोलि ७ बजे",
     notice(["5A"], ne="भोलि बिदा", when=npt(11, 23, 7), when_text="भोलि ७ बजे")),
    ("HW 5A Science: Page 4 @ बेलुका ६ बजे",
     Broadcast("homework", ["5A"], body_en="Page 4", subject="Science", when=npt(11, 22, 18),
               when_text="बेलुका ६ बजे")),
    ("ABSENT 5A: 3 7 @ 2pm", absence(["5A"], [3, 7], when=npt(11, 22, 14), when_text="2pm")),
    ("5A: Meet at gate @ 6:30 pm || गेटमा भेटौँ",
     notice(["5A"], "Meet at gate", "गेटमा भेटौँ", when=npt(11, 22, 18, 30), when_text="6:30 pm")),
    ("5A: Closed @ 6pm || बन्द @ बेलुका ६ बजे",
     notice(["5A"], "Closed", "बन्द", when=npt(11, 22, 18), when_text="6pm")),
    # Replies to a preview, and the small commands
    ("YES", Confirm()),
    ("yes.", Confirm()),
    ("Y", Confirm()),
    ("ok", Confirm()),
    ("OK 👍", Confirm()),
    ("हो", Confirm()),
    ("हो।", Confirm()),
    ("हजुर", Confirm()),
    ("हुन्छ", Confirm()),
    ("NO", Decline()),
    ("n", Decline()),
    ("होइन", Decline()),
    ("हैन", Decline()),
    ("CANCEL 42", Cancel(42)),
    ("cancel #42", Cancel(42)),
    ("रद्द ४२", Cancel(42)),
    ("४२ रद्द गर्नुहोस्", Cancel(42)),
    ("STATUS 42", Status(42)),
    ("स्थिति ४२", Status(42)),
    ("status 7?", Status(7)),
    ("HELP", Help()),
    ("help me please", Help()),
    ("मद्दत", Help()),
    ("?", Help()),
    ("namaste sir", Help()),
    ("hi", Help()),
    # Refused, with the reason a teacher needs to fix it
    ("", Unclear("empty_message")),
    ("   \n ", Unclear("empty_message")),
    ("...", Unclear("empty_message")),
    ("Thank you sir", Unclear("unknown_command")),
    ("Cancel tomorrow's picnic for 5A everyone", Unclear("unknown_command")),
    ("5A tomorrow closed", Unclear("no_colon", "5A: tomorrow closed")),
    ("5A - tomorrow closed", Unclear("no_colon", "5A: tomorrow closed")),
    ("5A Parents meeting: Saturday", Unclear("no_colon", "5A: Parents meeting: Saturday")),
    ("NOTICE 5A school starts at 10:30",
     Unclear("no_colon", "NOTICE 5A: school starts at 10:30")),
    ("5A 2nd term exam: Monday", Unclear("no_colon", "5A: 2nd term exam: Monday")),
    ("HW 5A Science page 23", Unclear("no_colon", "HW 5A: Science page 23")),
    ("ABSENT 5 3 7", Unclear("no_colon", "ABSENT 5: 3 7")),
    ("5A:", Unclear("empty_text")),
    ("5A: @ 6pm", Unclear("empty_text")),
    ("HW 5A Science:", Unclear("empty_text")),
    ("5A", Unclear("empty_text")),
    ("5A: || ", Unclear("empty_text")),
    ("13Z: hi", Unclear("unknown_target", "13Z")),
    ("5A 13Z: hi", Unclear("unknown_target", "13Z")),
    ("0A: hi", Unclear("unknown_target", "0A")),
    ("NOTICE: hi", Unclear("no_targets")),
    ("HW Science: page 4", Unclear("no_targets")),
    ("Tomorrow: school closed", Unclear("no_targets")),
    ("Hi sir, 5A: tomorrow closed", Unclear("no_targets")),
    ("ABSENT 5A:", Unclear("no_rolls")),
    ("ABSENT 5A", Unclear("no_rolls")),
    ("ABSENT 5A: Ram, Sita", Unclear("bad_rolls", "Ram")),
    ("ABSENT 5A: 0", Unclear("bad_rolls", "0")),
    ("ABSENT 5A: 1-500", Unclear("bad_rolls", "1-500")),
    ("ABSENT 5A 5B: 3", Unclear("one_class")),
    ("ABSENT ALL: 3", Unclear("one_class")),
    ("CANCEL", Unclear("bad_id")),
    ("CANCEL abc", Unclear("bad_id", "abc")),
    ("cancel 0", Unclear("bad_id", "0")),
    ("रद्द", Unclear("bad_id")),
    ("STATUS", Unclear("bad_id")),
    ("5A: Meet @ the gate", Unclear("bad_time", "the gate")),
    ("5A: hi @ 2024-01-01 10:00", Unclear("past_time", "2024-01-01 10:00")),
    ("5A: Closed @ 6pm || बन्द @ ७ बजे", Unclear("two_times", "७ बजे")),
]  # fmt: skip


@pytest.mark.parametrize("text, expected", MESSAGES, ids=[text[:40] for text, _ in MESSAGES])
def test_teacher_messages_read_as_commands(text, expected):
    assert parse(text, now=NOW) == expected


def test_the_table_covers_enough_messages_and_every_reason():
    assert len(MESSAGES) >= 60
    seen = {expected.reason_code for _, expected in MESSAGES if isinstance(expected, Unclear)}
    recurring = {code for code in REASONS if code.startswith("recurring_")}
    # too_far: test_command_times.py; recurring_*: test_recurring_commands.py
    assert seen == set(REASONS) - {"too_far"} - recurring


@pytest.mark.parametrize(
    "text",
    [
        "5A tomorrow closed",
        "5A Parents meeting: Saturday",
        "NOTICE 5A school starts at 10:30",
        "ABSENT 5 3 7",
        "५क भोलि बिदा छ",
        "ALL students bring umbrellas @ tomorrow 7am",
    ],
)
def test_a_missing_colon_comes_back_as_the_command_it_likely_was(text):
    unclear = parse(text, now=NOW)
    assert unclear.reason_code == "no_colon"
    assert isinstance(parse(unclear.hint, now=NOW), Broadcast)


def test_a_teacher_may_write_the_time_in_the_header_or_at_the_end():
    header = parse("5A @ 6:30: hi", now=NOW)
    end = parse("5A: hi @ 6:30", now=NOW)
    assert header == end
    assert header.when == datetime(2025, 11, 23, 0, 45, tzinfo=UTC)


def test_unicode_digits_and_full_width_letters_name_classes():
    assert parse("５Ａ：hi", now=NOW) == notice(["5A"], "hi")
    assert parse("१२क: नमस्ते", now=NOW) == notice(["12A"], ne="नमस्ते")


def test_zero_width_joiners_do_not_hide_a_keyword():
    assert parse("सू\u200dचना ५क: बिदा", now=NOW) == notice(["5A"], ne="बिदा")


def test_bodies_keep_what_the_teacher_wrote():
    text = "5A: *Exam* on २०८२-०८-१५ — bring ID!\n\nThanks 🙏"
    assert parse(text, now=NOW).body_en == "*Exam* on २०८२-०८-१५ — bring ID!\n\nThanks 🙏"
