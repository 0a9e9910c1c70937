"""SMS and LINE through their HTTP providers, against a real HTTP server on loopback."""

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from campaigns.providers import OutgoingMessage, ProviderError, provider_for
from campaigns.providers_http import (
    MAX_SEND_ATTEMPTS,
    HttpSmsProvider,
    LineProvider,
    ProviderHttpError,
    line_retry_key,
    provider_retry_delay,
    sms_address,
    sms_segments,
)
from tests.campaigns.loopback_http import LoopbackHttp

LINE_USER = "U" + "4af4980629" * 3 + "ab"


@pytest.fixture
def server():
    with LoopbackHttp() as running:
        yield running


def sms(server, **options) -> HttpSmsProvider:
    return HttpSmsProvider({"url": server.url + "/v1", "token": "sms-token", "sender": "OMNISHOP", **options})


def line(server, **options) -> LineProvider:
    return LineProvider({"url": server.url, "token": "line-token", **options})


def message(to: str = "090-1234-5678", *, channel: str = "sms", text: str = "春の新作が入荷しました",
            message_id: str = "<a1@shop>", reference: str = "42") -> OutgoingMessage:
    return OutgoingMessage(channel=channel, to=to, text=text, message_id=message_id, reference=reference)


# --- addresses and lengths ------------------------------------------------------------------

@pytest.mark.parametrize("written", ["090-1234-5678", "０９０－１２３４－５６７８", "09012345678", "+81 90 1234 5678",
                                     "(090) 1234-5678"])
def test_a_mobile_number_written_any_way_becomes_e164(written):
    assert sms_address(written) == "+819012345678"


@pytest.mark.parametrize("written", ["070-1111-2222", "080-3333-4444"])
def test_070_and_080_numbers_are_mobile_too(written):
    assert sms_address(written).startswith(("+8170", "+8180"))


@pytest.mark.parametrize("written", ["03-1234-5678", "0120-123-456", "06-6123-4567", "090-1234-567", "090-abcd-5678",
                                     "", "hello", "090-1234-5678 ext 2"])
def test_landlines_short_numbers_and_garbage_have_no_sms_address(written):
    assert sms_address(written) is None


def test_sms_segments_count_70_characters_alone_and_67_per_part():
    assert sms_segments("あ" * 70) == 1
    assert sms_segments("あ" * 71) == 2
    assert sms_segments("あ" * 134) == 2
    assert sms_segments("あ" * 135) == 3
    assert sms_segments("あ" * 670) == 10


def test_an_emoji_takes_two_ucs2_characters():
    assert sms_segments("あ" * 69 + "🎉") == 2


# --- SMS ------------------------------------------------------------------------------------

def test_sms_posts_the_gateway_shape_with_the_bearer_token_and_returns_its_id(server):
    server.answer(201, {"id": "gw-777"})
    transport_id = sms(server).send(message())

    assert transport_id == "gw-777"
    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/v1/messages")
    assert request.headers["Authorization"] == "Bearer sms-token"
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.json == {"to": "+819012345678", "from": "OMNISHOP", "text": "春の新作が入荷しました",
                            "reference": "42", "idempotency_key": "<a1@shop>"}


def test_sms_to_a_landline_is_refused_for_good_without_calling_the_gateway(server):
    with pytest.raises(ProviderHttpError) as refused:
        sms(server).send(message("03-1234-5678"))
    assert refused.value.retryable is False
    assert server.requests == []


def test_sms_longer_than_670_characters_is_refused_for_good(server):
    with pytest.raises(ProviderHttpError) as refused:
        sms(server).send(message(text="あ" * 671))
    assert refused.value.retryable is False
    assert "670" in str(refused.value)
    assert server.requests == []


def test_a_gateway_answer_without_an_id_is_a_failure_not_a_silent_success(server):
    server.answer(200, {"status": "ok"})
    with pytest.raises(ProviderHttpError):
        sms(server).send(message())


# --- LINE -----------------------------------------------------------------------------------

def test_line_pushes_a_text_message_to_the_user_id_with_the_channel_token(server):
    transport_id = line(server).send(message(LINE_USER, channel="line", text="ご来店ありがとうございました"))

    [request] = server.requests
    assert request.path == "/v2/bot/message/push"
    assert request.headers["Authorization"] == "Bearer line-token"
    assert request.json == {"to": LINE_USER, "messages": [{"type": "text", "text": "ご来店ありがとうございました"}]}
    assert transport_id == "req-1"  # the x-line-request-id LINE answered with


def test_every_attempt_of_one_line_message_carries_the_same_retry_key_and_another_message_another(server):
    server.answer(500, {"message": "Internal error"})
    provider = line(server)
    with pytest.raises(ProviderHttpError):
        provider.send(message(LINE_USER, channel="line", message_id="<m1@shop>"))
    provider.send(message(LINE_USER, channel="line", message_id="<m1@shop>"))
    provider.send(message(LINE_USER, channel="line", message_id="<m2@shop>"))

    keys = [request.headers["X-Line-Retry-Key"] for request in server.requests]
    assert keys[0] == keys[1] == line_retry_key("<m1@shop>")
    assert keys[2] != keys[0]
    assert uuid.UUID(keys[0]).version == 5


def test_a_retry_line_already_accepted_counts_as_sent_with_the_first_request_id(server):
    server.answer(409, {"message": "The retry key is already accepted"},
                  headers={"x-line-accepted-request-id": "req-first"})
    assert line(server).send(message(LINE_USER, channel="line")) == "req-first"


def test_a_409_without_an_accepted_request_is_a_refusal(server):
    server.answer(409, {"message": "Conflict"})
    with pytest.raises(ProviderHttpError) as refused:
        line(server).send(message(LINE_USER, channel="line"))
    assert refused.value.retryable is False


# --- errors ---------------------------------------------------------------------------------

def test_429_is_retryable_and_carries_the_retry_after_seconds(server):
    server.answer(429, {"message": "Too many requests"}, headers={"Retry-After": "7"})
    with pytest.raises(ProviderHttpError) as throttled:
        sms(server).send(message())
    assert throttled.value.retryable is True
    assert throttled.value.status == 429
    assert throttled.value.retry_after == 7


def test_a_retry_after_given_as_a_date_becomes_seconds(server):
    later = datetime.now(UTC) + timedelta(seconds=120)
    server.answer(429, {}, headers={"Retry-After": format_datetime(later, usegmt=True)})
    with pytest.raises(ProviderHttpError) as throttled:
        line(server).send(message(LINE_USER, channel="line"))
    assert 100 <= throttled.value.retry_after <= 121


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_is_retryable(server, status):
    server.answer(status, {"message": "down"})
    with pytest.raises(ProviderHttpError) as failed:
        sms(server).send(message())
    assert failed.value.retryable is True
    assert failed.value.retry_after is None


def test_400_is_not_retryable_and_keeps_the_providers_message(server):
    server.answer(400, {"message": "The request body has 1 error(s)",
                        "details": [{"message": "Invalid user id", "property": "to"}]})
    with pytest.raises(ProviderHttpError) as refused:
        line(server).send(message(LINE_USER, channel="line"))
    assert refused.value.retryable is False
    assert refused.value.status == 400
    assert "Invalid user id" in str(refused.value)


def test_a_provider_slower_than_the_timeout_is_a_retryable_failure(server):
    server.answer(200, {"id": "late"}, delay=1.0)
    with pytest.raises(ProviderHttpError) as slow:
        sms(server, timeout=0.2).send(message())
    assert slow.value.retryable is True


def test_a_provider_that_cannot_be_reached_is_a_retryable_failure():
    closed = LoopbackHttp()
    url = closed.url
    closed.httpd.server_close()  # the port is free again: nothing listens there
    with pytest.raises(ProviderHttpError) as unreachable:
        HttpSmsProvider({"url": url, "token": "t", "timeout": 2}).send(message())
    assert unreachable.value.retryable is True


# --- throttling and configuration -------------------------------------------------------------

def test_sends_are_throttled_to_the_configured_rate(server):
    provider = sms(server, rate_per_second=20)
    started = time.monotonic()
    for number in range(6):
        provider.send(message(message_id=f"<{number}@shop>"))

    arrivals = [request.at for request in server.requests]
    assert arrivals[-1] - arrivals[0] >= 5 / 20 - 0.02
    assert time.monotonic() - started >= 5 / 20 - 0.02


def test_the_sms_and_line_channels_take_their_provider_and_options_from_settings(settings, server):
    settings.CAMPAIGN_PROVIDERS = {
        "sms": {"class": "campaigns.providers_http.HttpSmsProvider", "url": server.url, "token": "x",
                "sender": "SHOP", "rate_per_second": 5, "timeout": 3},
        "line": {"class": "campaigns.providers_http.LineProvider", "url": server.url, "token": "y"},
    }
    provider = provider_for("sms")
    assert isinstance(provider, HttpSmsProvider)
    assert (provider.url, provider.rate_per_second, provider.timeout) == (server.url, 5, 3.0)
    assert isinstance(provider_for("line"), LineProvider)
    provider.send(message())
    assert json.loads(server.requests[0].body)["from"] == "SHOP"


# --- backoff --------------------------------------------------------------------------------

def test_a_retryable_failure_waits_longer_after_each_attempt_and_gives_up_after_the_last():
    error = ProviderHttpError("down", retryable=True, status=503)
    delays = [provider_retry_delay(attempt=n, error=error) for n in range(1, MAX_SEND_ATTEMPTS + 1)]
    assert delays[:-1] == sorted(delays[:-1]) and len(set(delays[:-1])) == MAX_SEND_ATTEMPTS - 1
    assert delays[-1] is None  # the recipient ends failed, with the error shown


def test_the_backoff_waits_at_least_what_retry_after_asked():
    throttled = ProviderHttpError("slow down", retryable=True, status=429, retry_after=600)
    assert provider_retry_delay(attempt=1, error=throttled) == 600


def test_a_final_refusal_is_never_retried():
    assert provider_retry_delay(attempt=1, error=ProviderError("invalid number", retryable=False)) is None
