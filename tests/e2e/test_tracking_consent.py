"""The storefront's first-party events script in real Chromium: nothing is sent before the visitor
accepts analytics, a page view right after; a browser sending Global Privacy Control sees no
banner and loads no script. The banner passes axe on phone and desktop."""

import contextlib
import json
import time

import pytest
from django.conf import settings
from django.urls import reverse

from customers.models import BrowserConsent, CustomerEvent, EventKind
from tests.e2e.conftest import DESKTOP, PHONE, assert_no_problems, screenshot, watch_problems
from tests.e2e.test_accessibility import RUN_AXE, TAGS, axe_source  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e

# A person's Chrome: Debian's headless Chromium says "HeadlessChrome", which the shop treats as a bot.
CHROME = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"


def _settle(page, sent) -> None:
    """Leave the page (the script flushes its queue on pagehide) and wait for every batch it sent
    to be answered: a request still running when the test database is flushed deadlocks it."""
    page.goto("about:blank")
    for request in list(sent):
        with contextlib.suppress(Exception):
            request.response()


def _visitor(browser, live_server, viewport, **headers):
    context = browser.new_context(base_url=live_server.url, viewport=viewport, locale="ja-JP",
                                  timezone_id="Asia/Tokyo", user_agent=CHROME,
                                  extra_http_headers={"Accept-Language": "ja,en;q=0.5", **headers})
    context.set_default_timeout(10_000)
    page = watch_problems(context.new_page())
    sent = []
    page.on("request", lambda request: sent.append(request) if "/api/v1/events/" in request.url else None)
    return context, page, sent


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_nothing_is_sent_before_consent_and_a_page_view_after(browser, live_server, e2e_shop, viewport):
    context, page, sent = _visitor(browser, live_server, viewport)
    try:
        page.goto(reverse("storefront:catalogue") + "?utm_source=line&utm_medium=social")
        banner = page.locator("#consent-banner")
        banner.wait_for(state="visible")
        screenshot(page, f"tracking-banner-{viewport['width']}", full_page=False)
        page.goto(e2e_shop.product.get_absolute_url())
        page.wait_for_load_state("networkidle")
        time.sleep(1)
        assert sent == [] and not CustomerEvent.objects.filter(uid__isnull=False).exists()
        with page.expect_request(lambda request: "/api/v1/events/" in request.url, timeout=15_000) as posted:
            page.get_by_role("button", name="計測に同意する").click()
        banner.wait_for(state="hidden")
        batch = json.loads(posted.value.post_data)
        assert {item["type"] for item in batch} == {"page_view", "product_view"}
        assert posted.value.headers.get("x-csrftoken")
        assert posted.value.response().status == 202
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not CustomerEvent.objects.filter(kind=EventKind.PAGE_VIEWED).exists():
            time.sleep(0.2)
        view = CustomerEvent.objects.get(kind=EventKind.PAGE_VIEWED)
        assert view.data["path"] == e2e_shop.product.get_absolute_url()
        assert view.browser_id == BrowserConsent.objects.get().browser_id
        assert CustomerEvent.objects.get(kind=EventKind.PRODUCT_VIEWED).subject == f"product:{e2e_shop.product.code}"
        page.reload()  # remembered: no banner, and the next page view goes on its own
        page.wait_for_load_state("networkidle")
        assert not page.locator("#consent-banner").count()
        assert_no_problems(page)
    finally:
        _settle(page, sent)
        context.close()


def test_declining_sends_nothing(browser, live_server, e2e_shop):
    context, page, sent = _visitor(browser, live_server, PHONE)
    try:
        page.goto(reverse("storefront:home"))
        page.get_by_role("button", name="同意しない").click()
        page.locator("#consent-banner").wait_for(state="hidden")
        page.goto(reverse("storefront:catalogue"))
        page.wait_for_load_state("networkidle")
        time.sleep(1)
        # no id left behind: no ledger row keyed by a browser id, no browser id cookie
        assert sent == [] and not BrowserConsent.objects.exists()
        assert "omnishop_bid" not in {cookie["name"] for cookie in context.cookies()}
        assert not page.locator("script[src*='omnishop-events']").count()
        assert_no_problems(page)
    finally:
        context.close()


def test_global_privacy_control_means_no_banner_and_no_script(browser, live_server, e2e_shop):
    context, page, sent = _visitor(browser, live_server, PHONE, **{"Sec-GPC": "1"})
    try:
        page.goto(reverse("storefront:home"))
        page.wait_for_load_state("networkidle")
        assert not page.locator("#consent-banner").count()
        assert not page.locator("script[src*='omnishop-events']").count()
        assert sent == []
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_banner_has_no_accessibility_violations(browser, live_server, e2e_shop, axe_source, viewport,  # noqa: F811
                                                    language):
    context, page, _sent = _visitor(browser, live_server, viewport)
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    try:
        page.goto(reverse("storefront:home"))
        page.locator("#consent-banner").wait_for(state="visible")
        page.evaluate(axe_source)
        violations = page.evaluate(RUN_AXE, TAGS)
        if violations:
            screenshot(page, f"a11y-FAILED-tracking-banner-{language}-{viewport['width']}")
        screenshot(page, f"tracking-banner-{language}-{viewport['width']}", full_page=False)
        assert violations == []
    finally:
        context.close()
