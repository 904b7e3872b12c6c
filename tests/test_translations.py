"""The Nepali catalogue: complete, current with the code, placeholders intact, and in use."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "translations" / "ne" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}  # as scripts/translate
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")
LATIN = re.compile(r"[A-Za-z]")


def _catalogue(path=PO):
    with open(path, "rb") as f:
        return read_po(f, locale="ne")


def _entries():
    return [m for m in _catalogue() if m.id]


def _forms(message) -> list[tuple[str, str]]:
    """(English, Nepali) pairs: one for a plain entry, one per form for a plural one."""
    if isinstance(message.id, str):
        return [(message.id, message.string)]
    singular, plural = message.id
    return [(singular if i == 0 else plural, text) for i, text in enumerate(message.string)]


def _key(text):
    """A msgid or msgstr as a hashable value (plural ones are lists in a compiled catalogue)."""
    return text if isinstance(text, str) else tuple(text)


def _extracted() -> set:
    """Every msgid the code and templates use now, as `scripts/translate update` finds them."""
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS)
    return {message for _file, _line, message, _comments, _context in found}


def test_the_catalogue_has_plural_rules_for_nepali():
    assert _catalogue().plural_forms == "nplurals=2; plural=(n != 1);"


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = _entries()
    assert len(entries) > 300
    empty = [m.id for m in entries if not all(text.strip() for _en, text in _forms(m))]
    fuzzy = [m.id for m in entries if m.fuzzy]
    assert empty == [] and fuzzy == []


def test_every_string_in_the_code_is_in_the_catalogue():
    known = {m.id for m in _entries()}
    missing = sorted(map(str, _extracted() - known))
    assert missing == [], "run scripts/translate update, then translate the new entries"


def test_each_translation_keeps_exactly_the_placeholders_of_its_english():
    wrong = [
        (english, nepali)
        for message in _entries()
        for english, nepali in _forms(message)
        if set(PLACEHOLDER.findall(english)) != set(PLACEHOLDER.findall(nepali))
    ]
    assert wrong == []


def test_the_catalogue_passes_babels_format_checks():
    assert [(m.id, errors) for m, errors in _catalogue().check()] == []


def test_sentences_end_the_nepali_way():
    """An English sentence ending in a full stop ends in a danda in Nepali."""
    wrong = [
        (english, nepali)
        for message in _entries()
        for english, nepali in _forms(message)
        if english.endswith(".") and not nepali.endswith("।")
    ]
    assert wrong == []


def test_the_compiled_catalogue_is_current():
    if not MO.exists():
        pytest.fail("no messages.mo: run scripts/translate compile")
    with open(MO, "rb") as f:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
    written = {_key(m.id): _key(m.string) for m in _entries()}
    assert compiled == written, "run scripts/translate compile"


class _Text(HTMLParser):
    """The text inside the first element matching a tag (and aria-label, if given)."""

    def __init__(self, tag, label=None):
        super().__init__()
        self.tag, self.label, self.depth, self.parts = tag, label, 0, []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += tag == self.tag
        elif tag == self.tag and (
            self.label is None or dict(attrs).get("aria-label") == self.label
        ):
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth and tag == self.tag:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)

    @classmethod
    def of(cls, html, tag, label=None) -> str:
        parser = cls(tag, label)
        parser.feed(html)
        return " ".join(" ".join(parser.parts).split())


def test_the_sign_in_page_is_nepali_throughout(client):
    page = client.get("/login").get_data(as_text=True)
    main = _Text.of(page, "main")
    assert "साइन इन" in main and "इमेल" in main and "पासवर्ड" in main
    assert not LATIN.search(main), main
    assert not LATIN.search(_Text.of(page, "title")), _Text.of(page, "title")


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", ["ड्यासबोर्ड", "विद्यार्थीहरू", "अभिभावकहरू", "आयात", "परिवर्तनको अभिलेख"]),
        ("teacher", ["ड्यासबोर्ड", "कक्षाहरू", "शिक्षकहरू"]),
        ("operator", ["विद्यालयहरू"]),
    ],
)
def test_the_navigation_has_no_english_for_a_nepali_user(login_as, portal, role, expected):
    login_as(role, language="ne")
    page = portal.get("/", follow_redirects=True).get_data(as_text=True)
    nav = _Text.of(page, "nav", label="मुख्य मेनु")
    assert all(word in nav for word in expected), nav
    assert not LATIN.search(nav), nav
    assert "साइन आउट" in _Text.of(page, "header")


def test_the_dashboard_speaks_nepali_to_a_nepali_admin(login_as, portal):
    login_as("admin", language="ne")
    page = portal.get("/").get_data(as_text=True)
    main = _Text.of(page, "main")
    assert "पछिल्ला सामूहिक सन्देशहरू" in main and "हालैका परिवर्तनहरू" in main
    assert not LATIN.search(main), main


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/classes/", "कक्षाहरू"),
        ("/students/", "विद्यार्थीहरू"),
        ("/guardians/", "अभिभावकहरू"),
        ("/teachers/", "शिक्षकहरू"),
        ("/imports/", "नामावली आयात गर्नुहोस्"),
        ("/audit/", "परिवर्तनको अभिलेख"),
    ],
)
def test_each_page_is_headed_in_nepali(login_as, portal, url, heading):
    login_as("admin", language="ne")
    page = portal.get(url).get_data(as_text=True)
    assert _Text.of(page, "h1") == heading
    assert heading in _Text.of(page, "title")
