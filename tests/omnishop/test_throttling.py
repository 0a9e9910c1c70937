"""API rate throttles: the caller's address cannot be forged, and the count is atomic."""

import os
import threading
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from rest_framework.test import APIClient

from brandkit.api import LintThrottle
from inventory.api import PublicCatalogueThrottle
from kernel.throttling import client_address

URL = "/api/v1/products/linen-shirt/availability/"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")


@pytest.fixture
def two_a_minute(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"public_catalogue": "2/minute"}}


def test_a_forged_forwarded_for_does_not_reset_the_count(shop, two_a_minute):
    client = APIClient()
    answers = [client.get(URL, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(6)]
    assert answers == [200, 200, 429, 429, 429, 429]


def test_behind_one_proxy_the_address_the_proxy_saw_counts(shop, two_a_minute, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client = APIClient(REMOTE_ADDR="10.0.0.2")  # the proxy
    answers = [client.get(URL, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.7").status_code for n in range(3)]
    assert answers == [200, 200, 429]  # what the client wrote left of the proxy's entry is ignored
    assert client.get(URL, HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 200  # another client


@pytest.mark.parametrize(("proxies", "forwarded", "expected"), [
    (0, "198.51.100.1", "192.0.2.10"),
    (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),
    (2, "198.51.100.1, 203.0.113.7, 10.0.0.1", "203.0.113.7"),
    (1, "", "192.0.2.10"),
    (1, "not-an-address", "192.0.2.10"),
])
def test_client_address_trusts_only_the_configured_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


@pytest.mark.parametrize(("throttle_class", "scope", "user"), [
    (PublicCatalogueThrottle, "public_catalogue", AnonymousUser()),
    (LintThrottle, "brandkit_lint", SimpleNamespace(pk=7, is_authenticated=True)),
])
def test_concurrent_callers_get_exactly_the_limit_through_on_redis(settings, throttle_class, scope, user):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {scope: "20/minute"}}
    from django.core.cache import cache

    cache.clear()
    threads, per_thread = 8, 10
    start = threading.Barrier(threads)
    allowed = []

    def call():
        start.wait()
        for _ in range(per_thread):
            request = RequestFactory().get(URL, REMOTE_ADDR="192.0.2.10")
            request.user = user
            allowed.append(throttle_class().allow_request(request, None))

    workers = [threading.Thread(target=call) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(allowed) == threads * per_thread
    assert allowed.count(True) == 20


def test_a_throttled_answer_says_when_to_retry(shop, two_a_minute):
    client = APIClient()
    for _ in range(2):
        client.get(URL)
    refused = client.get(URL)
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
