import json
import pickle
import random

import pytest

from portal.whatsapp.errors import (
    Action,
    GraphError,
    TransportError,
    backoff_seconds,
    classify,
    reason,
)
from portal.whatsapp.payloads import ErrorInfo
from tests.whatsapp.conftest import fixture_bytes

# whatsapp/README.md's table, written out again so the module cannot drift from it unnoticed.
TABLE = {
    Action.RETRY: [130429, 1, 2, 131000, 131016, 131057, 4, 80007],
    Action.RETRY_PAIR_LIMIT: [131056],
    Action.RESEND_AS_TEMPLATE: [131047],
    Action.FAIL: [131026, 131049, 131050, 130472, 130403],
    Action.FAIL_AND_ALERT: [131051, 100, 131008, 131009, 132000, 132001, 132005, 132007, 132012],
    Action.PAUSE_SCHOOL: [131048, 368, 131064, 131031, 130497, 132015, 132016]
    + [0, 190, 3, 10, 200, 201, 250, 299, 131042],
}
CASES = [(code, action) for action, codes in TABLE.items() for code in codes]


@pytest.mark.parametrize(("code", "action"), CASES)
def test_every_code_in_the_table_gets_its_action(code, action):
    error = GraphError(code=code, http_status=400, message="x")
    assert classify(error) is action
    assert classify(code) is action
    assert classify(ErrorInfo(code, "title", "details")) is action


@pytest.mark.parametrize("code", [199, 300, 131999, 999999, None])
def test_unknown_codes_fail_the_delivery_only(code):
    assert classify(GraphError(code=code, http_status=400)) is Action.FAIL


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried_whatever_the_body(status):
    assert classify(GraphError.from_response(status, None)) is Action.RETRY
    assert classify(GraphError(code=987654, http_status=status)) is Action.RETRY


def test_a_known_code_wins_over_the_http_status():
    assert classify(GraphError(code=190, http_status=500)) is Action.PAUSE_SCHOOL


def test_timeouts_and_connection_errors_are_retried():
    assert classify(TransportError("timed out")) is Action.RETRY
    assert classify(TransportError("connection refused")) is Action.RETRY


def test_meta_error_body_becomes_a_graph_error_with_code_details_and_trace():
    error = GraphError.from_response(
        400, json.loads(fixture_bytes("graph_error_response_130429.json"))
    )
    assert (error.code, error.http_status) == (130429, 400)
    assert error.message == "(#130429) Rate limit hit"
    assert error.details == "Cloud API message throughput has been reached."
    assert error.fbtrace_id == "Az8or2yhqkZfEZ-_4Qn_Bam"
    assert "130429" in str(error)


def test_graph_errors_survive_pickling_as_a_task_queue_does():
    error = GraphError(code=131026, http_status=400, message="m", details="d", fbtrace_id="t")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, copy.http_status, copy.message, copy.details, copy.fbtrace_id) == (
        131026,
        400,
        "m",
        "d",
        "t",
    )
    assert str(copy) == str(error)


def test_a_body_that_is_not_metas_error_shape_keeps_no_code():
    error = GraphError.from_response(502, {"unexpected": True})
    assert error.code is None
    assert error.http_status == 502


def test_retry_backoff_grows_exponentially_with_jitter_and_a_cap():
    rng = random.Random(7)
    waits = [backoff_seconds(Action.RETRY, n, rng=rng) for n in range(12)]
    for n, wait in enumerate(waits[:8]):
        full = 2.0 * 2**n
        assert full / 2 <= wait <= full
    assert waits[6] > waits[1]
    assert max(waits) <= 600
    assert len({round(w, 6) for w in waits[9:]}) > 1  # jitter: capped waits still differ


def test_pair_limit_waits_four_to_the_n_seconds():
    rng = random.Random(3)
    for n in range(5):
        wait = backoff_seconds(Action.RETRY_PAIR_LIMIT, n, rng=rng)
        assert 4**n <= wait <= 4**n * 1.1
    assert backoff_seconds(Action.RETRY_PAIR_LIMIT, 40, rng=rng) <= 4**6 * 1.1


def test_resending_as_template_waits_nothing_and_failures_have_no_backoff():
    assert backoff_seconds(Action.RESEND_AS_TEMPLATE, 0) == 0
    for action in (Action.FAIL, Action.FAIL_AND_ALERT, Action.PAUSE_SCHOOL):
        with pytest.raises(ValueError):
            backoff_seconds(action, 1)
    assert Action.RETRY.retries and Action.RETRY_PAIR_LIMIT.retries
    assert not Action.RESEND_AS_TEMPLATE.retries


def test_reason_for_undeliverable_is_readable():
    assert str(reason(GraphError(code=131026, http_status=400))) == (
        "Not on WhatsApp, or the app is too old."
    )
    assert str(reason(ErrorInfo(131026, "Message undeliverable", ""))) == (
        "Not on WhatsApp, or the app is too old."
    )


@pytest.mark.parametrize(("code", "action"), CASES)
def test_every_code_in_the_table_has_its_own_reason(code, action):
    text = str(reason(code))
    assert text and "WhatsApp error" not in text


def test_reasons_for_unknown_codes_transport_errors_and_server_errors():
    assert str(reason(424242)) == "WhatsApp error 424242."
    assert "could not be reached" in str(reason(TransportError("timeout")))
    assert "temporary problem" in str(reason(GraphError(code=None, http_status=503)))
