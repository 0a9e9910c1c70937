"""The storefront's analytics consent (banner, ledger rows, cookie), the script it gates, anonymous
events attached on sign-in and sign-up, and their expiry."""

import json
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone

from customers import tracking
from customers.models import (
    BrowserConsent,
    ConsentPurpose,
    ConsentRecord,
    CustomerEvent,
    EventKind,
    Identity,
    IdentityKind,
)
from customers.services import customer_sign_up

pytestmark = pytest.mark.django_db

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def browser(**headers) -> Client:
    return Client(HTTP_USER_AGENT=CHROME, **headers)


def send(client, *types) -> dict:
    batch = [{"id": str(uuid.uuid4()), "type": t, "properties": {"path": "/"} if t == "page_view" else {"code": "X"}}
             for t in types]
    return client.post("/api/v1/events/", json.dumps(batch), content_type="application/json").json()


# --- the banner and the script ----------------------------------------------------------------------

def test_the_banner_asks_until_the_visitor_decides(shop):
    client = browser()
    page = client.get("/").content.decode()
    assert 'id="consent-banner"' in page and 'data-consent="pending"' in page
    response = client.post("/privacy/analytics/", {"choice": "accept", "next": "/products/"})
    assert response.status_code == 302 and response["Location"] == "/products/"
    page = client.get("/").content.decode()
    assert 'id="consent-banner"' not in page and 'data-consent="granted"' in page
    row = BrowserConsent.objects.get()
    assert (row.granted, row.purpose, row.source, row.user_agent) == (True, "analytics", "banner", CHROME)
    assert row.browser_id == client.cookies["omnishop_bid"].value.split(":")[0]


def test_after_declining_there_is_no_banner_and_no_script(shop):
    client = browser()
    client.post("/privacy/analytics/", {"choice": "decline"})
    page = client.get("/").content.decode()
    assert "consent-banner" not in page and "omnishop-events.js" not in page
    # declining leaves no identifier behind: no browser id, no ledger row keyed by one
    assert not BrowserConsent.objects.exists() and "omnishop_bid" not in client.cookies


def test_a_browser_refusing_tracking_sees_no_banner_and_gets_no_script(shop):
    for header in ({"HTTP_SEC_GPC": "1"}, {"HTTP_DNT": "1"}):
        page = browser(**header).get("/").content.decode()
        assert "consent-banner" not in page and "omnishop-events.js" not in page


def test_the_banner_answers_the_script_in_json_without_a_redirect(shop):
    client = browser()
    response = client.post("/privacy/analytics/", {"choice": "accept"}, HTTP_ACCEPT="application/json")
    assert response.json() == {"analytics": True}
    assert client.post("/privacy/analytics/", {"choice": "maybe"}, HTTP_ACCEPT="application/json").status_code == 400
    assert client.post("/privacy/analytics/", {"choice": "decline", "next": "https://evil.example/"})["Location"] == "/"


def test_a_signed_in_customer_s_decision_is_a_row_of_their_consent_ledger(shop):
    user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="佐藤")
    client = browser()
    client.force_login(user)
    client.post("/privacy/analytics/", {"choice": "accept"})
    record = ConsentRecord.objects.get(customer=customer, purpose=ConsentPurpose.ANALYTICS)
    assert (record.granted, record.channel, record.source, record.source_detail, record.acting_user) == (
        True, "web", "storefront", "banner", user)
    assert customer.events.filter(kind=EventKind.CONSENT_CHANGED, data__purpose="analytics").exists()
    # the ledger, not the cookie, speaks for a signed-in customer: a withdrawal elsewhere stops the script
    tracking.analytics_consent_record(granted=False, browser_id="", customer=customer, source="preference-centre")
    assert "omnishop-events.js" not in client.get("/").content.decode()
    assert send(client, "page_view")["reason"] == "no_consent"


def test_the_script_is_a_static_file_loaded_with_the_nonce_under_a_strict_csp(shop):
    response = browser().get("/")
    csp = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
    page = response.content.decode()
    tag = re.search(r'<script src="[^"]*omnishop-events\.js"[^>]*>', page).group(0)
    assert f'nonce="{nonce}"' in tag and 'data-endpoint="/api/v1/events/"' in tag
    assert all(re.search(r"\bsrc=", script) for script in re.findall(r"<script[^>]*>", page)), "an inline script"
    source = Path(finders.find("js/omnishop-events.js")).read_text()
    assert "eval(" not in source and "new Function" not in source and "http" not in source.split("\n", 5)[-1]
    assert "innerHTML" not in source


def test_the_product_and_search_pages_tell_the_script_what_they_show(shop):
    client = browser()
    client.post("/privacy/analytics/", {"choice": "accept"})
    product = client.get(shop.product.get_absolute_url()).content.decode()
    assert f'data-product="{shop.product.code}"' in product
    search = client.get("/products/?q=linen").content.decode()
    assert 'data-search-query="linen"' in search and "data-search-results=" in search


# --- sign-in and sign-up attach the browser ---------------------------------------------------------

def test_anonymous_events_and_the_banner_decision_join_the_customer_at_sign_in(shop):
    user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="佐藤")
    client = browser()
    client.post("/privacy/analytics/", {"choice": "accept"})
    assert send(client, "page_view", "product_view")["stored"] == 2
    bid = BrowserConsent.objects.get().browser_id
    assert CustomerEvent.objects.filter(browser_id=bid, customer__isnull=True).count() == 2
    response = client.post("/account/login/", {"username": "hanako@example.jp", "password": "pass-Word-123"})
    assert response.status_code == 302
    assert CustomerEvent.objects.filter(browser_id=bid, customer=customer, uid__isnull=False).count() == 2
    assert Identity.objects.get(kind=IdentityKind.BROWSER, value=bid).customer == customer
    record = ConsentRecord.objects.get(customer=customer, purpose=ConsentPurpose.ANALYTICS)
    assert (record.granted, record.channel, record.source, record.source_detail) == (
        True, "web", "storefront", "banner, before signing in")
    assert send(client, "page_view")["stored"] == 1
    assert CustomerEvent.objects.filter(kind=EventKind.PAGE_VIEWED, customer=customer).count() == 2


def test_sign_up_attaches_the_browser_too(shop):
    client = browser()
    client.post("/privacy/analytics/", {"choice": "accept"})
    send(client, "page_view")
    response = client.post("/account/signup/", {
        "email": "new@example.jp", "password1": "pass-Word-123", "password2": "pass-Word-123",
        "family_name": "新規", "given_name": "花子", "family_name_kana": "シンキ", "given_name_kana": "ハナコ",
        "phone": "090-2222-3333"})
    assert response.status_code == 302, response.content.decode()[:2000]
    event = CustomerEvent.objects.get(kind=EventKind.PAGE_VIEWED)
    assert event.customer is not None and event.customer.email == "new@example.jp"
    assert event.customer.identities.filter(kind=IdentityKind.BROWSER).exists()


def test_a_browser_first_used_by_someone_else_keeps_its_identity(shop):
    _u1, first = customer_sign_up(email="a@example.jp", password="pass-Word-123", family_name="甲")
    _u2, second = customer_sign_up(email="b@example.jp", password="pass-Word-123", family_name="乙")
    BrowserConsent.objects.create(browser_id="cd" * 16, granted=True, source="banner")  # measured, with consent
    tracking.browser_attach(customer=first, browser_id="cd" * 16)
    CustomerEvent.objects.create(kind=EventKind.PAGE_VIEWED, occurred_at=timezone.now(), browser_id="cd" * 16)
    assert tracking.browser_attach(customer=second, browser_id="cd" * 16) == 1
    assert Identity.objects.get(kind=IdentityKind.BROWSER).customer == first
    assert CustomerEvent.objects.get(kind=EventKind.PAGE_VIEWED).customer == second


def test_a_browser_never_measured_does_not_become_an_identity(shop):
    """Signing in on a browser that declined (or never answered) adds no browser identity."""
    _user, customer = customer_sign_up(email="a@example.jp", password="pass-Word-123", family_name="甲")
    BrowserConsent.objects.create(browser_id="ef" * 16, granted=False, source="banner")
    tracking.browser_attach(customer=customer, browser_id="ef" * 16)
    tracking.browser_attach(customer=customer, browser_id="ab" * 16)
    assert not Identity.objects.filter(kind=IdentityKind.BROWSER).exists()


# --- retention ------------------------------------------------------------------------------------

def _anonymous(browser_id: str, days_ago: int) -> CustomerEvent:
    return CustomerEvent.objects.create(kind=EventKind.PAGE_VIEWED, browser_id=browser_id, data={"path": "/"},
                                        occurred_at=timezone.now() - timedelta(days=days_ago))


def test_anonymous_browsers_without_an_identity_expire_after_the_retention_period(shop, settings):
    settings.ANONYMOUS_EVENT_RETENTION_DAYS = 30
    _user, customer = customer_sign_up(email="a@example.jp", password="pass-Word-123", family_name="甲")
    old = [_anonymous("aa" * 16, 40) for _ in range(5)]
    recent = _anonymous("aa" * 16, 10)
    known = _anonymous("bb" * 16, 40)  # this browser signed in once: kept until attached
    Identity.objects.create(customer=customer, kind=IdentityKind.BROWSER, value="bb" * 16)
    theirs = CustomerEvent.objects.create(customer=customer, kind=EventKind.PAGE_VIEWED,
                                          occurred_at=timezone.now() - timedelta(days=400))
    BrowserConsent.objects.create(browser_id="aa" * 16, granted=True, source="storefront-banner")
    BrowserConsent.objects.filter(browser_id="aa" * 16).update(created_at=timezone.now() - timedelta(days=40))
    assert tracking.anonymous_events_expire(batch=2) == 5
    remaining = set(CustomerEvent.objects.values_list("pk", flat=True))
    assert not remaining & {e.pk for e in old}
    assert {recent.pk, known.pk, theirs.pk} <= remaining
    assert not BrowserConsent.objects.exists()
    assert tracking.anonymous_events_expire() == 0


def test_the_expiry_runs_daily(shop):
    from django_q.models import Schedule

    from customers.apps import ensure_schedules

    ensure_schedules(None)  # what every migrate runs
    schedule = Schedule.objects.get(name="customers.anonymous_events_expire")
    assert (schedule.func, schedule.schedule_type) == ("customers.tracking.anonymous_events_expire", Schedule.DAILY)


def test_the_consent_cookie_lasts_as_long_as_the_ledger_row(shop):
    response = browser().post("/privacy/analytics/", {"choice": "accept"})
    cookie = response.cookies[tracking.consent_cookie_name()]
    assert int(cookie["max-age"]) == settings.ANONYMOUS_EVENT_RETENTION_DAYS * 86400
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
