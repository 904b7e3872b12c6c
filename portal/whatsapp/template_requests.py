"""Templates as Meta's Message Templates API takes them: the languages it accepts, the body of
`POST /{waba_id}/message_templates`, and language codes as webhooks write them.

Sources (developers.facebook.com/documentation/business-messaging/whatsapp/…):
templates/supported-languages (updated May 21, 2026: no Nepali), templates/overview (common
syntax, named parameters), templates/components (body examples, QUICK_REPLY buttons),
templates' "Template media" page (a media HEADER's example is the handle of a sample
uploaded by the Resumable Upload API)."""

# Every code on Meta's supported-languages page. Nepali (`ne`) is not among them, so Nepali
# readers get a template declared in a supported language that carries the Nepali text in
# its parameters (wording.template_texts).
META_TEMPLATE_LANGUAGES = frozenset((
    "af", "sq", "ar", "ar_EG", "ar_AE", "ar_LB", "ar_MA", "ar_QA", "az", "be_BY", "bn",
    "bn_IN", "bg", "ca", "zh_CN", "zh_HK", "zh_TW", "hr", "cs", "da", "prs_AF", "nl", "nl_BE",
    "en", "en_GB", "en_US", "en_AE", "en_AU", "en_CA", "en_GH", "en_IE", "en_IN", "en_JM",
    "en_MY", "en_NZ", "en_QA", "en_SG", "en_UG", "en_ZA", "et", "fil", "fi", "fr", "fr_BE",
    "fr_CA", "fr_CH", "fr_CI", "fr_MA", "ka", "de", "de_AT", "de_CH", "el", "gu", "ha", "he",
    "hi", "hu", "id", "ga", "it", "ja", "kn", "kk", "rw_RW", "ko", "ky_KG", "lo", "lv", "lt",
    "mk", "ms", "ml", "mr", "nb", "ps_AF", "fa", "pl", "pt_BR", "pt_PT", "pa", "ro", "ru",
    "sr", "si_LK", "sk", "sl", "es", "es_AR", "es_CL", "es_CO", "es_CR", "es_DO", "es_EC",
    "es_HN", "es_MX", "es_PA", "es_PE", "es_ES", "es_UY", "sw", "sv", "ta", "te", "th", "tr",
    "uk", "ur", "uz", "vi", "zu",
))  # fmt: skip
CATEGORY = "UTILITY"


def language_code(code: str | None) -> str:
    """A language code as the API writes it: webhooks write `en-US`, the API `en_US`."""
    return (code or "").strip().replace("-", "_")


def supported(code: str) -> bool:
    """Whether Meta accepts templates declared in this language."""
    return language_code(code) in META_TEMPLATE_LANGUAGES


def template_definition(
    *,
    name: str,
    language: str,
    body: str,
    examples: dict[str, str],
    quick_replies: tuple[str, ...] = (),
    header: tuple[str, str] | None = None,
) -> dict:
    """The request body that submits one template in one language: category UTILITY, its
    media header (format IMAGE or DOCUMENT, and the handle of an uploaded sample), named
    parameters with an example value each, and its quick-reply buttons."""
    if not supported(language):
        raise ValueError(f"Meta does not accept templates in {language!r}")
    params = [name for name in examples if "{{" + name + "}}" in body]
    component: dict = {"type": "BODY", "text": body}
    if params:
        named = [{"param_name": param, "example": examples[param]} for param in params]
        component["example"] = {"body_text_named_params": named}
    components = [component]
    if header:
        media_format, handle = header
        example = {"header_handle": [handle]}
        components.insert(0, {"type": "HEADER", "format": media_format, "example": example})
    if quick_replies:
        buttons = [{"type": "QUICK_REPLY", "text": label} for label in quick_replies]
        components.append({"type": "BUTTONS", "buttons": buttons})
    return {
        "name": name,
        "language": language,
        "category": CATEGORY,
        "parameter_format": "NAMED",
        "components": components,
    }
