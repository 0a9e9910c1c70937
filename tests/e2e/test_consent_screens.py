"""Consent screens in real Chromium, phone and desktop, Japanese and English: the preference
centre (saved with htmx, in place), the unsubscribe and confirmation pages of the signed links,
and the console's consent card. No console errors or CSP violations, no axe violations;
screenshots in test-artifacts/e2e/consent-*.png."""

import pytest
from django.conf import settings
from django.urls import reverse

from customers import consent
from customers.models import ConsentRequest
from customers.services import customer_sign_up
from tests.e2e.conftest import DESKTOP, PHONE, _add_session_cookie, assert_no_problems, screenshot
from tests.e2e.test_accessibility import audit, axe_source  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_consent_screens_look_finished_and_work(e2e_shop, e2e_staff, page, new_page, live_server, axe_source,  # noqa: F811
                                                language, viewport):
    from brandkit.services import brandkit_seed_default

    brandkit_seed_default()
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    user, customer = customer_sign_up(email=f"consent-{language}@example.jp", password="pass-Word-123",
                                      family_name="山田", given_name="花子", phone="090-1234-5678",
                                      channel=e2e_shop.web)
    consent.consent_grant(customer=customer, channel="line", purpose="personalisation", source="pos",
                          source_detail="渋谷店")
    _add_session_cookie(page.context, live_server, user)
    size = "phone" if viewport == PHONE else "desktop"
    problems = audit(page, axe_source, reverse("storefront:consent"), f"consent-prefs-{language}-{size}")

    page.locator('input[value="sms:marketing"]').check()
    page.locator("#consent-grid button[type=submit]").click()
    page.locator("#consent-grid .notice--success").wait_for()
    assert consent.consent_allows(customer=customer, channel="sms")
    screenshot(page, f"consent-prefs-{language}-{size}")

    url = consent.consent_unsubscribe_url(customer=customer, channel="line", purpose="personalisation")
    path = "/" + url.split("/", 3)[3]
    problems += audit(page, axe_source, path, f"consent-unsubscribe-{language}-{size}")
    screenshot(page, f"consent-unsubscribe-{language}-{size}")
    page.locator(".auth form button[type=submit]").click()
    page.wait_for_load_state()
    assert not consent.consent_allows(customer=customer, channel="line", purpose="personalisation")
    screenshot(page, f"consent-unsubscribed-{language}-{size}")

    request = ConsentRequest.objects.create(customer=customer, channel="email", purpose="marketing",
                                            source="storefront")
    problems += audit(page, axe_source, reverse("storefront:consent_confirm",
                                                kwargs={"token": consent.consent_confirmation_token(request)}),
                      f"consent-confirm-{language}-{size}")
    screenshot(page, f"consent-confirm-{language}-{size}")
    assert_no_problems(page)
    problems += audit(page, axe_source, "/consent/unsubscribe/broken/", f"consent-link-error-{language}-{size}")
    screenshot(page, f"consent-link-error-{language}-{size}")
    assert page.problems == ["console: Failed to load resource: the server responded with a status of 400 "
                             "(Bad Request)"]  # the error page's own status, nothing else

    console = new_page(viewport=viewport, user=e2e_staff["hq_marketer"])
    console.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language,
                                  "url": live_server.url}])
    problems += audit(console, axe_source, reverse("console:customer_detail", kwargs={"pk": customer.pk}),
                      f"consent-console-{language}-{size}")
    console.reload()  # axe leaves empty style attributes behind, which htmx's settling would copy (CSP)
    card = console.locator("#consent")
    card.locator("select[name=channel]").select_option("phone")
    card.locator("select[name=source]").select_option("staff")
    card.locator("input[name=source_detail]").fill("電話で")
    card.locator("button[type=submit]").click()
    console.locator("#consent .row-note.ok").wait_for()
    assert consent.consent_allows(customer=customer, channel="phone")
    shot = screenshot(console, f"consent-console-{language}-{size}")
    console.locator("#consent").screenshot(path=str(shot.with_name(f"consent-console-card-{language}-{size}.png")),
                                           caret="initial")
    assert_no_problems(console)
    assert problems == [], "\n".join(problems)
