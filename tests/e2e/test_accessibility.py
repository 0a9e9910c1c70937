"""Accessibility: axe-core (pinned in package.json, installed by ./dev) audits the storefront and
console pages in real Chromium, on a phone and a desktop, in Japanese and English.

Every WCAG 2.x A/AA rule and axe's best-practice rules run; a page passes with no violation at all.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from customers.services import customer_sign_up
from tests.e2e.conftest import DESKTOP, PHONE, _add_session_cookie, screenshot

pytestmark = pytest.mark.e2e

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
RUN_AXE = """async (tags) => {
  // .bk-sample: the brand kit's contrast specimens show each colour pair as it is, failing ones included
  const result = await axe.run({exclude: [['.bk-sample']]}, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').split('\\n')[1]),
  }));
}"""

STOREFRONT = ["storefront:home", "storefront:catalogue", "storefront:cart", "storefront:login", "storefront:signup"]
CONSOLE = ["console:dashboard", "console:pickup_desk", "console:orders", "console:products", "console:stock",
           "console:ledger", "console:customers", "console:duplicates", "console:brandkit:index",
           "console:brandkit:check", "console:report_sales", "console:report_fulfilment",
           "console:report_performance"]


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        message = "axe-core is not installed (./dev setup runs npm ci)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " and CI=true, so this is a failure.", pytrace=False)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


def audit(page, axe_source: str, url: str, name: str) -> list[str]:
    """The page's violations as readable lines ('' when clean); a screenshot for the record."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.evaluate(axe_source)  # devtools evaluation: not an inline script, so the CSP stays as it is
    violations = page.evaluate(RUN_AXE, TAGS)
    if violations:
        screenshot(page, f"a11y-FAILED-{name}")
    return [f"{url} [{v['impact']}] {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in violations]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_storefront_pages_have_no_accessibility_violations(e2e_shop, page, live_server, axe_source, language,
                                                           viewport):
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    urls = [reverse(name) for name in STOREFRONT]
    urls.append(reverse("storefront:product", args=[e2e_shop.product.code]))
    problems = [line for url in urls for line in audit(page, axe_source, url, f"{language}-{url}")]

    user, _customer = customer_sign_up(email="a11y@example.jp", password="pass-Word-123", family_name="山田",
                                       given_name="花子", phone="090-1234-5678", email_marketing=True,
                                       channel=e2e_shop.web)
    _add_session_cookie(page.context, live_server, user)
    problems += audit(page, axe_source, reverse("storefront:account"), f"{language}-account")
    problems += audit(page, axe_source, "/no-such-page/", f"{language}-404")

    assert problems == [], "\n".join(problems)


def _duplicate_pair() -> None:
    """Two records of one person, so the duplicates page shows its side-by-side comparison."""
    from customers.merge import duplicates_scan
    from customers.services import consent_set, customer_create

    first = customer_create(email="a11y-1@example.jp", family_name="山田", given_name="花子", phone="090-1234-5678")
    customer_create(email="a11y-2@example.jp", family_name="山田", given_name="花子", phone="090-1234-5678")
    consent_set(customer=first, channel="email", granted=True, source="pos")
    duplicates_scan()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("role", ["hq_marketer", "store_staff"])
def test_console_pages_have_no_accessibility_violations(e2e_shop, e2e_staff, page, login_as, axe_source, role,
                                                        viewport):
    from brandkit.services import brandkit_seed_default

    brandkit_seed_default()
    _duplicate_pair()
    login_as(e2e_staff[role])
    problems = []
    for name in CONSOLE:
        url = reverse(name)
        if page.request.get(url).status == 403:  # not this role's page (the role matrix tests which)
            continue
        problems += audit(page, axe_source, url, f"{role}-{name}")

    assert problems == [], "\n".join(problems)
