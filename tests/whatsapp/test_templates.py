import pytest

from portal.whatsapp.templates import MAX_PARAM_LENGTH, body_component, sanitize_param


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Tihar holiday", "Tihar holiday"),
        ("line one\nline two", "line one line two"),
        ("line one\r\n\r\nline two", "line one line two"),
        ("a\tb", "a b"),
        ("a \n  b", "a b"),
        ("wide     gap", "wide gap"),
        ("four    spaces", "four    spaces"),
        ("  padded  ", "padded"),
        ("", "-"),
        ("   ", "-"),
        ("\n\t", "-"),
        (None, "-"),
        (42, "42"),
        ("भोलि\nविद्यालय बन्द", "भोलि विद्यालय बन्द"),
        ("a\u2028b", "a b"),
    ],
)
def test_sanitize_param(raw, clean):
    assert sanitize_param(raw) == clean


def test_long_params_are_cut_to_metas_limit_with_an_ellipsis():
    clean = sanitize_param("क" * 5000)
    assert len(clean) == MAX_PARAM_LENGTH
    assert clean.endswith("…")


def test_sanitised_params_never_break_metas_rules():
    nasty = "x\n\n\t     y" + " " * 9 + "\r\nz"
    clean = sanitize_param(nasty)
    assert "\n" not in clean and "\t" not in clean and "     " not in clean
    assert clean == "x y z"


def test_body_component_uses_named_parameters():
    assert body_component({"school": "Shree School", "notice": "Closed\ntomorrow"}) == [
        {
            "type": "body",
            "parameters": [
                {"type": "text", "parameter_name": "school", "text": "Shree School"},
                {"type": "text", "parameter_name": "notice", "text": "Closed tomorrow"},
            ],
        }
    ]
    assert body_component({}) == []
