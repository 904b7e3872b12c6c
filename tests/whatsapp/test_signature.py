import hashlib
import hmac
import json

import pytest

from portal.whatsapp.signature import sign, verify
from tests.whatsapp.conftest import APP_SECRET, fixture_bytes

# A compact body as Meta sends it: Nepali escaped as \uXXXX (नमस्ते = \u0928\u092e...).
NEPALI_BODY = (
    b'{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":'
    b'{"messaging_product":"whatsapp","metadata":{"phone_number_id":"106540352242922"},'
    b'"messages":[{"from":"9779841234567","id":"wamid.X","timestamp":"1763800000",'
    b'"type":"text","text":{"body":"\\u0928\\u092e\\u0938\\u094d\\u0924\\u0947"}}]},'
    b'"field":"messages"}]}]}'
)


def test_sign_is_metas_header_format():
    body = fixture_bytes("inbound_text_message.json")
    expected = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert sign(body, APP_SECRET) == f"sha256={expected}"


def test_a_good_signature_verifies():
    body = fixture_bytes("status_sent_marketing.json")
    assert verify(body, sign(body, APP_SECRET), APP_SECRET)


@pytest.mark.parametrize("header", [None, "", "sha256=", "sha1=abc", "sha256=" + "0" * 64])
def test_missing_or_wrong_signatures_fail(header):
    assert not verify(fixture_bytes("status_sent_marketing.json"), header, APP_SECRET)


def test_a_tampered_body_or_other_secret_fails():
    body = fixture_bytes("status_failed_131049.json")
    header = sign(body, APP_SECRET)
    assert not verify(body.replace(b"failed", b"read"), header, APP_SECRET)
    assert not verify(body, header, "another-secret")
    assert not verify(body, header, "")


def test_raw_bytes_with_nepali_verify_but_re_serialised_json_does_not():
    header = sign(NEPALI_BODY, APP_SECRET)
    assert verify(NEPALI_BODY, header, APP_SECRET)
    doc = json.loads(NEPALI_BODY)
    assert doc["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] == "नमस्ते"
    # What a framework would hand back after parsing: the same data, different bytes.
    reserialised = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    assert reserialised != NEPALI_BODY
    assert not verify(reserialised, header, APP_SECRET)


def test_the_same_re_serialisation_happens_to_match_for_ascii_only_bodies():
    # Which is why the mistake goes unnoticed until the first Nepali message arrives.
    ascii_body = NEPALI_BODY.replace(b"\\u0928\\u092e\\u0938\\u094d\\u0924\\u0947", b"Namaste")
    reserialised = json.dumps(json.loads(ascii_body), ensure_ascii=False, separators=(",", ":"))
    assert reserialised.encode() == ascii_body
    assert verify(reserialised.encode(), sign(ascii_body, APP_SECRET), APP_SECRET)


def test_a_stored_nepali_fixture_verifies_as_raw_bytes_only():
    body = fixture_bytes("inbound_text_nepali.json")
    assert b"\\u0938" in body  # escaped, as Meta sends it
    header = sign(body, APP_SECRET)
    assert verify(body, header, APP_SECRET)
    doc = json.loads(body)
    escaped = (json.dumps(doc, indent=2, ensure_ascii=True) + "\n").encode()
    assert escaped == body  # same layout: only the escaping of Nepali differs below
    unescaped = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()
    assert not verify(unescaped, header, APP_SECRET)
