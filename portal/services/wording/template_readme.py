"""The README's "WhatsApp templates" section, made from the shipped templates themselves
(`python -m portal.services.wording.template_readme` prints it; a test keeps the README's
copy the same)."""

from portal.services.wording.template_texts import (
    CATEGORY,
    DEFAULT_TEMPLATES,
    HEADERS,
    LANGUAGE_NAMES,
    LANGUAGES,
    PURPOSES,
    USED_FOR,
    ShippedTemplate,
    shipped,
)


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
            [
                f"Header: `{HEADERS[purpose]}` (the sync uploads a sample file as the example; "
                "by hand, upload any)."
            ]
            if purpose in HEADERS
            else []
        ),
        "Parameters (variable type *Name*): " + ", ".join(f"`{p}`" for p in params) + ".",
    ]
    for lang in LANGUAGES:
        template = shipped(purpose, lang)
        lines += ["", _readme_heading(template), "", "```text", template.wording, "```"]
    en, ne = shipped(purpose, "en").wording_examples(), shipped(purpose, "ne").wording_examples()
    lines += ["", "| Parameter | Example (English) | Example (Nepali) |", "| --- | --- | --- |"]
    lines += [f"| `{p}` | {en[p]} | {ne[p]} |" for p in params]
    return "\n".join(lines)


def _readme_heading(template: ShippedTemplate) -> str:
    name = LANGUAGE_NAMES[template.language]
    seen = template.buttons[0]
    if not template.carries:
        return f"{name} (`{template.language}`), quick reply *{seen}*:"
    return (
        f"{name}: `{template.name}`, declared in {LANGUAGE_NAMES[template.meta_language]}"
        f" (`{template.meta_language}`), quick reply *{seen}*; its `message` carries:"
    )


README_INTRO = """
## WhatsApp templates

Outside a parent's 24-hour window WhatsApp delivers only approved templates, so Sandesh
ships a UTILITY template for each purpose below, for Nepali and English readers. `flask
templates sync SLUG` (or *Settings → WhatsApp templates → Submit to Meta*, and every night)
submits every one the school does not have yet to its WhatsApp Business Account, with
named parameters and the example values below, and reads back Meta's id, status and
category; Meta's review webhooks then keep them up to date. Only an approved UTILITY
template is sent; a rejected, paused, disabled or re-categorised (MARKETING) one raises an
alert on the school's pages saying what to do, and its parents get the fallback language
(*Settings*) or wait. A school without an account id can still submit the same wording by
hand in WhatsApp Manager (category **Utility**, variable type **Name**) and tick *Approved*
on the templates page.

**Nepali.** Meta's list of template languages (its *Supported languages* page, updated
21 May 2026) has no Nepali, so a template cannot be declared `ne`. Nepali readers get a
template named like the purpose's with `_ne`, declared in English (`en`), whose fixed
wording is short and neutral and whose one parameter, `message`, carries the whole Nepali
wording printed below, filled in:

```text
📩 Sandesh

{{message}}

STOP · START
```

If Meta ever lists Nepali, the same wording can be declared `ne` (as the English one is `en`).
Every template has a quick-reply button, *Seen* (*बुझें* for Nepali readers): a parent's
tap marks the message acknowledged on the broadcast's page. Sandesh fills the parameters
itself: the school's name, the children with their classes, the teacher's words, the subject
and the date in both calendars, all in the parent's language. Parents who reply STOP (or बन्द)
get no more messages until they send START.
"""


if __name__ == "__main__":
    print(readme_section(), end="")
