"""The wording of the WhatsApp templates Sandesh ships, to submit in WhatsApp Manager.

One place for the text: the settings page shows it, and README.md prints the section that
`readme_section()` writes (a test keeps the two the same). Every body starts and ends with
fixed text and separates its named parameters with words, as Meta requires, and says how
to stop the messages. `python -m portal.services.wording.template_texts` prints the README section.
"""

from dataclasses import dataclass

from portal.models import Kind

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
LANGUAGES = ("ne", "en")
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
    """One shipped template in one language, as it is submitted to Meta."""

    purpose: str
    language: str
    name: str
    params: tuple[str, ...]
    body: str

    @property
    def examples(self) -> dict[str, str]:
        """Example values for this template's parameters, in its language."""
        values = EXAMPLES[self.language] | {
            "message": EXAMPLE_MESSAGES.get((self.purpose, self.language), "")
        }
        return {param: values[param] for param in self.params}

    def sample(self) -> str:
        """The body with the example values filled in: what a parent would read."""
        text = self.body
        for param, value in self.examples.items():
            text = text.replace("{{" + param + "}}", value)
        return text


def shipped(purpose: str, language: str) -> ShippedTemplate:
    """The shipped template for a purpose in a language."""
    name, params = DEFAULT_TEMPLATES[purpose]
    return ShippedTemplate(purpose, language, name, tuple(params), BODIES[(purpose, language)])


def all_shipped() -> list[ShippedTemplate]:
    """Every shipped template, purpose by purpose, Nepali first."""
    return [shipped(purpose, lang) for purpose in PURPOSES for lang in LANGUAGES]


def readme_section() -> str:
    """The README's "WhatsApp templates" section, heading included."""
    parts = [README_INTRO.strip()]
    for purpose in PURPOSES:
        parts.append(_readme_purpose(purpose))
    return "\n\n".join(parts) + "\n"


def _readme_purpose(purpose: str) -> str:
    name, params = DEFAULT_TEMPLATES[purpose]
    lines = [
        f"### `{name}`",
        "",
        f"Used for {USED_FOR[purpose]}. Category `{CATEGORY}`.",
        *(
            [f"Header: `{HEADERS[purpose]}` (upload any sample file as the example)."]
            if purpose in HEADERS
            else []
        ),
        "Parameters (variable type *Name*): " + ", ".join(f"`{p}`" for p in params) + ".",
    ]
    for lang in LANGUAGES:
        template = shipped(purpose, lang)
        lines += ["", f"{LANGUAGE_NAMES[lang]} (`{lang}`):", "", "```text", template.body, "```"]
    en, ne = shipped(purpose, "en").examples, shipped(purpose, "ne").examples
    lines += ["", "| Parameter | Example (English) | Example (Nepali) |", "| --- | --- | --- |"]
    lines += [f"| `{p}` | {en[p]} | {ne[p]} |" for p in params]
    return "\n".join(lines)


README_INTRO = """
## WhatsApp templates

Outside a parent's 24-hour window WhatsApp delivers only approved templates, so Sandesh
ships these UTILITY templates in Nepali and English. Each school submits them once in
WhatsApp Manager (*Message templates → Create template*): category **Utility**, the name
below, one language at a time, variable type **Name**, the body exactly as printed, and
the example values for Meta's review. Once Meta approves a translation, an admin ticks
*Approved* for it on the portal's *Settings → WhatsApp templates* page, which shows the
same wording to copy. A school whose templates have other names enters those names there.

Nepali must be on WhatsApp Manager's language list for the `ne` translations; where a
translation is not approved, Sandesh sends the school's fallback language (*Settings*).
Sandesh fills the parameters itself: the school's name, the children with their classes,
the teacher's words, the subject and the date in both calendars, all in the parent's
language. Parents who reply STOP (or बन्द) get no more messages until they send START.
"""


if __name__ == "__main__":
    print(readme_section(), end="")
