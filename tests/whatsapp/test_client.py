import json

import httpx
import pytest

from portal.whatsapp.client import CloudClient, shared_transport
from portal.whatsapp.errors import Action, GraphError, TransportError, classify
from tests.whatsapp.conftest import TOKEN, fixture_bytes

NUMBER_ID = "106540352242922"
PARENT = "+9779841234567"


@pytest.fixture(params=["plain", "httpx"])
def cloud(request, graph_api):
    """The client as it sends in production (its own keep-alive connections) and through
    a given httpx transport (as tests and media do)."""
    if request.param == "plain":
        yield CloudClient(graph_api.url)
        return
    with httpx.HTTPTransport() as transport:
        yield CloudClient(graph_api.url, transport=transport)


def send_text(cloud, **overrides):
    args = {"phone_number_id": NUMBER_ID, "token": TOKEN, "to": PARENT, "body": "नमस्ते"}
    return cloud.send_text(**(args | overrides))


def send_template(cloud, **overrides):
    args = {
        "phone_number_id": NUMBER_ID,
        "token": TOKEN,
        "to": PARENT,
        "name": "sandesh_notice",
        "language": "ne",
        "params": {"school": "श्री विद्यालय", "notice": "भोलि\nबिदा"},
    }
    return cloud.send_template(**(args | overrides))


def test_text_send_returns_the_wamid_and_reaches_meta_as_sent(cloud, graph_api):
    wamid = send_text(cloud, callback_data="delivery:7")
    assert wamid.startswith("wamid.") and len(wamid) <= 128
    [message] = graph_api.messages()
    assert message["wamid"] == wamid
    assert message["phone_number_id"] == NUMBER_ID
    assert (message["to"], message["type"], message["body"]) == (PARENT, "text", "नमस्ते")
    assert message["callback_data"] == "delivery:7"


def test_template_send_uses_named_sanitised_params(cloud, graph_api):
    wamid = send_template(cloud)
    [message] = graph_api.messages()
    assert message["wamid"] == wamid
    assert (message["template"], message["language"]) == ("sandesh_notice", "ne")
    assert message["params"] == {"school": "श्री विद्यालय", "notice": "भोलि बिदा"}
    assert message["callback_data"] is None


def test_every_send_gets_a_fresh_wamid(cloud):
    wamids = {send_text(cloud) for _ in range(20)} | {send_template(cloud) for _ in range(20)}
    assert len(wamids) == 40


def test_a_wrong_token_is_a_190_graph_error(cloud, graph_api):
    with pytest.raises(GraphError) as caught:
        send_text(cloud, token="expired")
    assert (caught.value.code, caught.value.http_status) == (190, 401)
    assert classify(caught.value) is Action.PAUSE_SCHOOL
    assert graph_api.messages() == []


def test_metas_throughput_error_body_becomes_graph_error_130429(graph_api):
    body = fixture_bytes("graph_error_response_130429.json")
    transport = httpx.MockTransport(lambda request: httpx.Response(400, content=body))
    with pytest.raises(GraphError) as caught:
        send_text(CloudClient("https://graph.example/v26.0", transport=transport))
    error = caught.value
    assert (error.code, error.http_status, error.fbtrace_id) == (
        130429,
        400,
        "Az8or2yhqkZfEZ-_4Qn_Bam",
    )
    assert error.details == "Cloud API message throughput has been reached."
    assert classify(error) is Action.RETRY


def test_the_fakes_throttling_is_the_same_graph_error(cloud, graph_api):
    graph_api.configure(throttle_rate=1.0)
    with pytest.raises(GraphError) as caught:
        send_text(cloud)
    assert caught.value.code == 130429
    assert caught.value.details == "Cloud API message throughput has been reached."


def test_a_recipient_error_comes_back_with_its_code(cloud, graph_api):
    graph_api.configure(recipient_errors={PARENT: 131026})
    with pytest.raises(GraphError) as caught:
        send_template(cloud)
    assert caught.value.code == 131026
    assert classify(caught.value) is Action.FAIL


def test_server_errors_are_graph_errors_to_retry(cloud, graph_api):
    graph_api.configure(error_5xx_rate=1.0)
    with pytest.raises(GraphError) as caught:
        send_text(cloud)
    assert caught.value.http_status == 503
    assert classify(caught.value) is Action.RETRY


@pytest.mark.parametrize("through", ["plain", "httpx"])
def test_a_held_request_is_a_transport_error_after_the_client_timeout(graph_api, pool, through):
    graph_api.configure(timeout_rate=1.0, hold_seconds=5)
    given = {"transport": pool} if through == "httpx" else {}
    cloud = CloudClient(graph_api.url, timeout=httpx.Timeout(0.3), **given)
    with pytest.raises(TransportError, match="timed out"):
        send_text(cloud)
    assert classify(TransportError()) is Action.RETRY


def test_a_dropped_connection_is_a_transport_error(cloud, graph_api):
    graph_api.configure(timeout_rate=1.0, timeout_mode="drop")
    with pytest.raises(TransportError):
        send_text(cloud)


@pytest.mark.parametrize("through", ["plain", "httpx"])
def test_an_unreachable_api_is_a_transport_error(pool, through):
    given = {"transport": pool} if through == "httpx" else {}
    cloud = CloudClient("http://127.0.0.1:9/v26.0", timeout=httpx.Timeout(1), **given)
    with pytest.raises(TransportError, match="connection failed"):
        send_text(cloud)


@pytest.mark.parametrize("through", ["plain", "httpx"])
def test_an_api_url_without_http_is_a_transport_error_not_a_crash(pool, through):
    given = {"transport": pool} if through == "httpx" else {}
    with pytest.raises(TransportError, match="connection failed"):
        send_text(CloudClient("graph.facebook.com/v26.0", **given))


def test_a_text_over_4096_characters_is_refused_before_sending(cloud, graph_api):
    send_text(cloud, body="क" * 4096)
    with pytest.raises(ValueError, match="4097"):
        send_text(cloud, body="क" * 4097)
    assert graph_api.stats()["requests"] == 1


def test_an_answer_without_a_wamid_is_an_error():
    answer = json.dumps({"messaging_product": "whatsapp", "messages": []}).encode()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=answer))
    with pytest.raises(GraphError, match="wamid"):
        send_text(CloudClient("https://graph.example/v26.0", transport=transport))


def test_requests_carry_the_bearer_token_and_json_to_the_number_path():
    seen = []

    def answer(request):
        seen.append(request)
        return httpx.Response(200, content=fixture_bytes("send_message_response.json"))

    wamid = send_text(
        CloudClient("https://graph.example/v26.0/", transport=httpx.MockTransport(answer))
    )
    assert wamid == "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA"
    [request] = seen
    assert str(request.url) == f"https://graph.example/v26.0/{NUMBER_ID}/messages"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    sent = json.loads(request.content)
    assert sent["messaging_product"] == "whatsapp" and sent["text"]["body"] == "नमस्ते"


def test_one_shared_connection_pool_per_process_for_concurrent_sends():
    transport = shared_transport()
    assert shared_transport() is transport
    assert CloudClient("https://graph.example/v26.0").transport is transport
    pool = transport._pool
    assert pool._max_connections >= 100 and pool._max_keepalive_connections >= 100
