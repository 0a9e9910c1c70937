"""Smoke tests of the browser harness: pages render real Japanese with the fonts the app serves."""

import re

import pytest
from django.urls import reverse

from tests.e2e.conftest import DESKTOP, assert_no_problems, login_with_form, screenshot

pytestmark = pytest.mark.e2e

CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")

FONT_PROBE = """async () => {
  await document.fonts.ready;
  const faces = await document.fonts.load('16px "Noto Sans JP"', '日本語');
  return {
    faces: faces.length,
    check: document.fonts.check('16px "Noto Sans JP"', '日本語'),
    family: getComputedStyle(document.body).fontFamily,
    lang: document.documentElement.lang,
  };
}"""


def font_requests(page) -> list:
    responses = []
    page.on("response", lambda r: responses.append(r) if "/static/fonts/" in r.url else None)
    return responses


def assert_served_font_renders_japanese(page, fonts: list) -> None:
    probe = page.evaluate(FONT_PROBE)
    assert probe["lang"] == "ja"
    assert "Noto Sans JP" in probe["family"]
    # fonts.check() is also true when no face of that family exists; faces > 0 proves one loaded
    assert probe["faces"] > 0 and probe["check"], probe
    woff2 = [r for r in fonts if r.url.endswith(".woff2")]
    assert woff2 and all(r.status == 200 for r in woff2), [(r.url, r.status) for r in fonts]
    assert any(r.url.endswith("font.css") and r.status == 200 for r in fonts)
    assert CJK.search(page.locator("body").inner_text())


def test_storefront_home_renders_japanese_in_the_served_font(page, e2e_shop):
    fonts = font_requests(page)
    page.goto(reverse("storefront:home"))
    assert_served_font_renders_japanese(page, fonts)
    screenshot(page, "storefront-home")
    assert_no_problems(page)


def test_console_login_page_renders_japanese_in_the_served_font(page):
    fonts = font_requests(page)
    page.goto(reverse("console:login"))
    assert_served_font_renders_japanese(page, fonts)
    screenshot(page, "console-login")
    assert_no_problems(page)


@pytest.mark.parametrize("viewport", [DESKTOP])
def test_staff_sign_in_through_the_login_form_over_plain_http(page, e2e_staff, live_server):
    """Secure session and CSRF cookies are accepted on http://localhost, so the real form works."""
    login_url = reverse("console:login")
    login_with_form(page, "store_staff@example.jp", "pass-Word-123", url=login_url)
    assert page.url.rstrip("/").endswith(reverse("console:dashboard").rstrip("/")), page.url
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["sessionid"]["secure"] and cookies["sessionid"]["httpOnly"]
    screenshot(page, "console-dashboard-store-staff")
    assert_no_problems(page)


def test_login_as_gives_the_browser_a_working_session(page, e2e_staff, login_as):
    login_as(e2e_staff["hq_marketer"])
    page.goto(reverse("console:dashboard"))
    assert "login" not in page.url


def test_customer_signs_in_on_the_storefront(page, e2e_staff):
    login_with_form(page, "shopper@example.jp", "pass-Word-123")
    assert "login" not in page.url, page.url
    assert_no_problems(page)


def test_new_page_gives_each_person_their_own_browser(new_page, e2e_staff):
    staff = new_page(viewport=DESKTOP, user=e2e_staff["store_staff"])
    visitor = new_page()
    staff.goto(reverse("console:dashboard"))
    visitor.goto(reverse("console:dashboard"))
    assert "login" not in staff.url
    assert "login" in visitor.url
