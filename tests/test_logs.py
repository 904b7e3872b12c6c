"""What the logs keep: no webhook verify token, no access_token, no parent's number, name or
words, in the access log (gunicorn's, through portal.accesslog) or the app's own."""

import datetime
import logging
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger
from hypothesis import given
from hypothesis import strategies as st

from portal.accesslog import RedactingLogger, redact_target, redact_url
from tests.factories import GuardianFactory
from tests.webhook.test_hostile_items import envelope, post, text

TOKEN = "verify-token-s3cret"
PHONE = "9779841000111"


def access_line(
    method: str, target: str, referer: str = "-", general=False, agent="-", **headers
) -> str:
    """The line gunicorn's access log writes for a request, with our logger class (`general`:
    through gunicorn's own access(), every atom made, as for a format of one's own)."""
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("logger_class", "portal.accesslog.RedactingLogger")
    logger = RedactingLogger(cfg)
    lines = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    logger.access_log.handlers = [handler]
    path, _, query = target.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "RAW_URI": target,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": referer,
        "HTTP_USER_AGENT": agent,
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }
    response = SimpleNamespace(status="200 OK", sent=2, headers=[])
    request = SimpleNamespace(headers=list(headers.items()))
    logger.now = lambda: "[02/Dec/2026:21:00:00 +0000]"
    access = Logger.access if general else RedactingLogger.access
    access(logger, response, request, environ, datetime.timedelta(seconds=0.01))
    return "\n".join(lines)


TARGET_CHARS = st.sampled_from(list("/?#;&=+%.-_aZ09\t") + ["9841000111", "%2B977", "//"])
TARGETS = st.lists(TARGET_CHARS, max_size=12).map(lambda chars: "/" + "".join(chars))


@given(
    target=TARGETS,
    referer=st.one_of(st.just("-"), TARGETS, TARGETS.map(lambda t: "https://x.example" + t)),
    agent=st.sampled_from(["-", 'Mozilla "quoted"', "curl/8"]),
    basic=st.sampled_from([None, "Basic dXNlcjpwdw==", "Basic !!"]),
)
def test_the_default_lines_fast_atoms_are_the_general_ones(target, referer, agent, basic):
    headers = {"Authorization": basic} if basic else {}
    fast = access_line("POST", target, referer, agent=agent, **headers)
    assert fast == access_line("POST", target, referer, general=True, agent=agent, **headers)


def test_the_access_log_keeps_no_verify_token():
    target = f"/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={TOKEN}&hub.challenge=42"
    line = access_line("GET", target)
    assert TOKEN not in line and "hub.mode=subscribe" in line and "/webhooks/whatsapp" in line


def test_the_access_log_keeps_no_access_token_search_or_phone():
    line = access_line(
        "GET",
        f"/simulator/+{PHONE}?access_token=EAAG123secret&q=Sita%20Sharma&page=2",
        referer=f"https://sandesh.example/students/?q={PHONE}",
        Authorization="Bearer sk_demo_secret",
    )
    for secret in ("EAAG123secret", "Sita", PHONE, "sk_demo_secret"):
        assert secret not in line, line
    assert "page=2" in line and "/simulator/" in line


@pytest.mark.parametrize(
    "target, kept",
    [
        ("/students/?page=3", "/students/?page=3"),
        ("/", "/"),
        (f"/guardians/?q={PHONE}", "/guardians/?q=***"),
        ("https://x.example/a?access_token=t", "https://x.example/a?access_token=***"),
    ],
)
def test_redact_target(target, kept):
    assert redact_target(target) == kept


def test_a_failing_item_logs_no_phone_name_or_words(client, db, school, monkeypatch, caplog):
    """The item fails inside the worker; what is logged and stored names its class and ids."""
    from portal.services.conversations import parent_keywords

    guardian = GuardianFactory(school=school, name="Sita Sharma", phone="+" + PHONE)
    who = f"{guardian.phone} ({guardian.name})"

    def broken(**kwargs):  # an error whose message quotes the parent, as a real one may
        raise RuntimeError(f"cannot route {kwargs['message'].text} from {who}")

    monkeypatch.setattr(parent_keywords, "act", broken)
    caplog.set_level(logging.DEBUG)
    words = "My child is ill today"
    post(client, envelope(school, messages=[text("wamid.logs", words)]))
    from portal.models import WebhookEvent

    event = db.session.query(WebhookEvent).one()
    assert event.status in ("pending", "failed") and "RuntimeError" in event.error
    for secret in (words, PHONE, "Sita Sharma"):
        assert secret not in caplog.text and secret not in event.error


@given(target=st.one_of(TARGETS, TARGETS.map(lambda t: "https://x.example" + t)))
def test_a_bare_path_is_redacted_as_the_split_url_would_be(target):
    assert redact_target(target) == redact_url(target)
