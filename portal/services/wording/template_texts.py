"""The wording of the WhatsApp templates Sandesh ships: submitted to Meta by `flask templates
sync` (or by hand in WhatsApp Manager), shown on the settings page, and printed in README.md
by `template_readme` (a test keeps the two the same). Every body starts and ends with fixed
text and separates its named parameters with words, as Meta requires, says how to stop the
messages, and carries a quick-reply button to say the message was seen.

Meta's supported template languages have no Nepali (`ne`), so Nepali readers get a template
declared in English whose fixed wording is short and neutral and whose one parameter
carries the Nepali wording below, filled in.
"""

from dataclasses import dataclass

from portal.models import Kind
from portal.whatsapp.template_requests import supported
from portal.whatsapp.templates import sanitize_param

# Which template purpose each kind of broadcast is sent with outside the 24-hour window.
TEMPLATE_PURPOSE = {
    Kind.NOTICE: "notice",
    Kind.EVENT: "notice",
    Kind.EMERGENCY: "notice",
    Kind.HOMEWORK: "homework",
    Kind.ABSENCE: "absence",
    Kind.ATTENDANCE: "attendance",
}
# The UTILITY templates Sandesh ships (README: "WhatsApp templates"); a school may rename them.
DEFAULT_TEMPLATES = {
    "notice": ("sandesh_notice", ["school", "students", "message"]),
    "homework": ("sandesh_homework", ["school", "students", "subject", "message"]),
    "absence": ("sandesh_absence", ["school", "students", "date"]),
    "reminder": ("sandesh_reminder", ["school", "message"]),
    "digest": ("sandesh_digest", ["school", "students", "message"]),
    "attendance": ("sandesh_attendance", ["school", "month", "message"]),
    # The later parts of a notice too long for one template (numbered: `(2/3)`).
    "continued": ("sandesh_continued", ["school", "part", "message"]),
    # A notice with a photo or a PDF: the file is the template's media header.
    "notice_image": ("sandesh_notice_image", ["school", "students", "message"]),
    "notice_document": ("sandesh_notice_document", ["school", "students", "message"]),
}
# The media header of a template (Meta's "Template media": format IMAGE or DOCUMENT, an
# uploaded file as its example `header_handle`), by purpose.
HEADERS = {"notice_image": "IMAGE", "notice_document": "DOCUMENT"}
MEDIA_PURPOSE = {"image": "notice_image", "document": "notice_document"}
CATEGORY = "UTILITY"
LANGUAGES = ("ne", "en")  # what parents read
# Where Meta has no template language for the readers' own: the language the template is
# declared in, its short neutral wording, and the one parameter that carries the text.
CARRIER_LANGUAGE = "en"
CARRIER_BODY = "📩 Sandesh\n\n{{message}}\n\nSTOP · START"
# The quick-reply button on every shipped template (at most 25 characters; words, no symbols).
SEEN_LABELS = {"en": "Seen", "ne": "बुझें"}
LANGUAGE_NAMES = {"ne": "Nepali", "en": "English"}
PURPOSES = tuple(DEFAULT_TEMPLATES)
# Which broadcasts go out with each template when the parent's 24-hour window is closed.
USED_FOR = {
    "notice": "notices, events and emergencies",
    "homework": "homework",
    "absence": "absence alerts",
    "reminder": "reminders (and staff alerts, such as a student absent for days)",
    "digest": "the daily digest: a parent's non-urgent notices of the day in one message",
    "attendance": "the monthly attendance summary",
    "continued": "the later parts of a long notice, homework or event, numbered (2/3)",
    "notice_image": "notices, homework and events sent with a photo (the photo is the header)",
    "notice_document": "notices, homework and events sent with a PDF (the PDF is the header)",
}

_NOTICE_EN = (
    "Notice from {{school}} for {{students}}:\n\n{{message}}\n\nReply STOP to stop these messages."
)
_NOTICE_NE = (
    "नमस्ते, {{school}} बाट {{students}} का लागि सूचना:\n\n{{message}}\n\n"
    "यी सन्देशहरू रोक्न STOP वा बन्द लेखेर जवाफ दिनुहोस्।"
)
BODIES = {
    ("notice_image", "en"): _NOTICE_EN,
    ("notice_image", "ne"): _NOTICE_NE,
    ("notice_document", "en"): _NOTICE_EN,
    ("notice_document", "ne"): _NOTICE_NE,
    ("notice", "en"): (
        "Notice from {{school}} for {{students}}:\n\n{{message}}\n\n"
        "Reply STOP to stop these messages."
    ),
    ("notice", "ne"): (
        "नमस्ते, {{school}} बाट {{students}} का लागि सूचना:\n\n{{message}}\n\n"
        "यी सन्देशहरू रोक्न STOP वा बन्द लेखेर जवाफ दिनुहोस्।"
    ),
    ("homework", "en"): (
        "Homework from {{school}} for {{students}} in {{subject}}:\n\n{{message}}\n\n"
        "Reply STOP to stop these messages."
    ),
    ("homework", "ne"): (
        "नमस्ते, {{school}} बाट {{students}} का लागि {{subject}} को गृहकार्य:\n\n{{message}}\n\n"
        "यी सन्देशहरू रोक्न STOP वा बन्द लेखेर जवाफ दिनुहोस्।"
    ),
    ("absence", "en"): (
        "Absence alert from {{school}}: on {{date}}, {{students}} did not attend school. "
        "If you did not expect this, please contact the school.\n\n"
        "Reply STOP to stop these messages."
    ),
    ("absence", "ne"): (
        "नमस्ते, {{school}} को हाजिरी अनुसार {{date}} मा {{students}} विद्यालयमा अनुपस्थित रहे। "
        "यो तपाईंलाई थाहा थिएन भने कृपया विद्यालयमा सम्पर्क गर्नुहोस्।\n\n"
        "यी सन्देशहरू रोक्न STOP वा बन्द लेखेर जवाफ दिनुहोस्।"
    ),
    ("reminder", "en"): (
        "Reminder from {{school}}:\n\n{{message}}\n\nReply STOP to stop these messages."
    ),
    ("reminder", "ne"): (
        "नमस्ते, {{school}} बाट सम्झना:\n\n{{message}}\n\nयी सन्देशहरू रोक्न STOP वा बन्द लेखेर जवाफ दिनुहोस्।"
    ),
    ("digest", "en"): (
        "Today's messages from {{school}} for {{students}}:\n\n{{message}}\n\n"
        "Reply STOP to stop these messages."
    ),
    ("digest", "ne"): (
        "नमस्ते, {{school}} बाट {{students}} का लागि आजका सन्देशहरू:\n\n{{message}}\n\n"
        "यी सन्देशहरू रोक्न STOP वा बन्द लेखेर जवाफ दिनुहोस्।"
    ),
    ("attendance", "en"): (
        "Attendance at {{school}} in {{month}}:\n\n{{message}}\n\n"
        "Reply STOP to stop these messages."
    ),
    ("attendance", "ne"): (
        "नमस्ते, {{school}} मा {{month}} महिनाको हाजिरी:\n\n{{message}}\n\n"
        "यी सन्देशहरू रोक्न STOP वा बन्द लेखेर जवाफ दिनुहोस्।"
    ),
    ("continued", "en"): (
        "Continued from {{school}}, part {{part}}:\n\n{{message}}\n\n"
        "Reply STOP to stop these messages."
    ),
    ("continued", "ne"): (
        "नमस्ते, {{school}} को सन्देशको बाँकी भाग {{part}}:\n\n{{message}}\n\n"
        "यी सन्देशहरू रोक्न STOP वा बन्द लेखेर जवाफ दिनुहोस्।"
    ),
}

# Sample values Meta asks for with each parameter when a template is submitted.
EXAMPLES = {
    "en": {
        "school": "Shree Janata Secondary School",
        "students": "Sita Sharma (5A), Hari Sharma (3B)",
        "subject": "Science",
        "date": "22 Nov 2025 · 6 Mangsir 2082",
        "month": "Mangsir 2082",
        "part": "(2/3)",
    },
    "ne": {
        "school": "श्री जनता माध्यमिक विद्यालय",
        "students": "सीता शर्मा (५क), हरि शर्मा (३ख)",
        "subject": "विज्ञान",
        "date": "२०८२ मंसिर ६ · २२ नोभेम्बर २०२५",
        "month": "मंसिर २०८२",
        "part": "(२/३)",
    },
}
EXAMPLE_MESSAGES = {
    ("notice", "en"): "School is closed tomorrow for Tihar.",
    ("notice_image", "en"): "The exam routine for next week is in the photo.",
    ("notice_image", "ne"): "अर्को हप्ताको परीक्षा तालिका तस्बिरमा छ।",
    ("notice_document", "en"): "The exam routine for next week is in the PDF.",
    ("notice_document", "ne"): "अर्को हप्ताको परीक्षा तालिका PDF मा छ।",
    ("notice", "ne"): "तिहारका कारण भोलि विद्यालय बन्द रहनेछ।",
    ("homework", "en"): "Page 23, exercises 1 to 5.",
    ("homework", "ne"): "पृष्ठ २३, अभ्यास १ देखि ५ सम्म।",
    ("reminder", "en"): "Parents' meeting on Friday at 10:00 in the school hall.",
    ("reminder", "ne"): "शुक्रबार बिहान १०:०० बजे विद्यालयको हलमा अभिभावक भेला हुनेछ।",
    ("digest", "en"): (
        "1) Notice: School is closed tomorrow for Tihar. "
        "2) Homework · Science: Page 23, exercises 1 to 5."
    ),
    ("digest", "ne"): (
        "१) सूचना: तिहारका कारण भोलि विद्यालय बन्द रहनेछ। "
        "२) गृहकार्य · विज्ञान: पृष्ठ २३, अभ्यास १ देखि ५ सम्म।"
    ),
    ("attendance", "en"): (
        "Sita Sharma (5A): present 20 of 22 school days, absent 2 (5 Mangsir, 12 Mangsir)."
    ),
    ("attendance", "ne"): (
        "सीता शर्मा (५क): २२ विद्यालय दिनमध्ये २० दिन उपस्थित, २ दिन अनुपस्थित (मंसिर ५, मंसिर १२)।"
    ),
    ("continued", "en"): "Bring the signed form back to the class teacher by Sunday.",
    ("continued", "ne"): "सही गरिएको फारम आइतबारसम्म कक्षा शिक्षकलाई फिर्ता दिनुहोस्।",
}


@dataclass(frozen=True)
class ShippedTemplate:
    """One shipped template for parents who read one language, as it is submitted to Meta:
    its own wording in that language, or (where Meta has no such language) a carrier
    declared in `meta_language` whose parameter carries `wording`, filled in."""

    purpose: str
    language: str  # what the parents read
    name: str
    params: tuple[str, ...]
    body: str  # as submitted
    meta_language: str  # as declared at Meta
    wording: str  # in the parents' language, with the purpose's own parameters
    buttons: tuple[str, ...]  # quick-reply labels

    @property
    def header(self) -> str | None:
        """The media header's format (`IMAGE`, `DOCUMENT`), None for a text-only template."""
        return HEADERS.get(self.purpose)

    @property
    def carries(self) -> bool:
        """Whether the parents' text travels in a parameter of a template in another language."""
        return self.meta_language != self.language

    @property
    def wording_params(self) -> tuple[str, ...]:
        return tuple(DEFAULT_TEMPLATES[self.purpose][1])

    def wording_examples(self) -> dict[str, str]:
        """Example values of the purpose's own parameters, in the parents' language."""
        values = EXAMPLES[self.language] | {
            "message": EXAMPLE_MESSAGES.get((self.purpose, self.language), "")
        }
        return {param: values[param] for param in self.wording_params}

    @property
    def examples(self) -> dict[str, str]:
        """Example values of the submitted template's parameters (Meta's review needs them)."""
        if self.carries:
            return {"message": carried(self.wording, self.wording_examples())}
        return self.wording_examples()

    def sample(self) -> str:
        """The body with the example values filled in: what a parent would read."""
        return fill(self.body, self.examples)


def fill(body: str, values: dict[str, str]) -> str:
    """A body with its {{parameters}} replaced."""
    for param, value in values.items():
        body = body.replace("{{" + param + "}}", value)
    return body


def carried(wording: str, values: dict[str, str]) -> str:
    """The parents' wording filled in, as one parameter carries it (one line)."""
    return sanitize_param(fill(wording, values))


def shipped(purpose: str, language: str) -> ShippedTemplate:
    """The shipped template for a purpose, for parents reading a language."""
    name, params = DEFAULT_TEMPLATES[purpose]
    wording = BODIES[(purpose, language)]
    buttons = (SEEN_LABELS[language],)
    if supported(language):
        return ShippedTemplate(
            purpose, language, name, tuple(params), wording, language, wording, buttons
        )
    return ShippedTemplate(
        purpose,
        language,
        f"{name}_{language}",
        ("message",),
        CARRIER_BODY,
        CARRIER_LANGUAGE,
        wording,
        buttons,
    )


def all_shipped() -> list[ShippedTemplate]:
    """Every shipped template, purpose by purpose, Nepali first."""
    return [shipped(purpose, lang) for purpose in PURPOSES for lang in LANGUAGES]
