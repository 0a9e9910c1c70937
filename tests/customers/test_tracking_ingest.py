"""POST /api/v1/events/: typed and validated batches (nothing stored on error, the bad item named
by its index), idempotent retries, consent gating, bots, CSRF and throttling for browsers, and
other systems with a token."""

import json
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from customers import identities, tracking
from customers.models import (
    BrowserConsent,
    ConsentPurpose,
    ConsentRecord,
    CustomerEvent,
    EventKind,
    FilteredEventCount,
    IdentityKind,
)
from customers.services import customer_sign_up
from kernel import roles

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"
CHROME = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/18.0 Mobile/15E148 Safari/604.1")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def event(type_="page_view", **fields) -> dict:
    properties = {"page_view": {"path": "/products/LINEN/", "title": "リネンシャツ", "referrer": ""},
                  "product_view": {"code": "LINEN"}, "search": {"query": "リネン", "results": 3},
                  "add_to_cart": {"sku": "LS-M", "quantity": 1}}.get(type_, {})
    return {"id": str(uuid.uuid4()), "type": type_, "properties": properties, **fields}


def consenting_browser(client=None, *, accept: bool = True) -> APIClient:
    """A visitor's browser that answered the banner (the storefront's own form)."""
    client = client or APIClient(HTTP_USER_AGENT=CHROME)
    response = client.post("/privacy/analytics/", {"choice": "accept" if accept else "decline", "next": "/"})
    assert response.status_code == 302
    return client


def ingested():
    """Events that came through the ingest API (they carry the sender's id)."""
    return CustomerEvent.objects.filter(uid__isnull=False)


def post(client, batch, **extra):
    return client.post(URL, json.dumps(batch), content_type="application/json", **extra)


# --- browsers ----------------------------------------------------------------------------------

def test_a_consenting_browser_s_batch_is_stored_with_its_browser_id_and_campaign(shop):
    client = consenting_browser()
    batch = [event(utm_source="newsletter", utm_medium="email", utm_campaign="winter", campaign="W26"),
             event("product_view"), event("search"), event("add_to_cart")]
    response = post(client, batch)
    assert response.status_code == 202, response.json()
    assert response.json() == {"received": 4, "stored": 4, "duplicates": 0, "filtered": 0, "reason": ""}
    browser = BrowserConsent.objects.get().browser_id
    rows = {row.kind: row for row in CustomerEvent.objects.all()}
    assert set(rows) == {EventKind.PAGE_VIEWED, EventKind.PRODUCT_VIEWED, EventKind.SEARCHED, EventKind.CART_ADDED}
    assert {row.browser_id for row in rows.values()} == {browser}
    assert all(row.customer_id is None and row.channel == shop.web for row in rows.values())
    page = rows[EventKind.PAGE_VIEWED]
    assert (page.utm_source, page.utm_medium, page.utm_campaign, page.campaign) == ("newsletter", "email", "winter",
                                                                                      "W26")
    assert rows[EventKind.PRODUCT_VIEWED].subject == "product:LINEN"
    assert rows[EventKind.CART_ADDED].subject == "sku:LS-M"
    assert rows[EventKind.SEARCHED].data == {"query": "リネン", "results": 3}


def test_a_retried_batch_stores_each_event_once(shop):
    client = consenting_browser()
    batch = [event(), event("product_view"), event("search")]
    assert post(client, batch).json()["stored"] == 3
    again = post(client, batch + [event()])
    assert again.json() == {"received": 4, "stored": 1, "duplicates": 3, "filtered": 0, "reason": ""}
    assert ingested().count() == 4
    twice_in_one = event()
    assert post(client, [twice_in_one, twice_in_one]).json()["stored"] == 1


def test_without_analytics_consent_nothing_is_stored_and_the_events_are_counted(shop):
    undecided = APIClient(HTTP_USER_AGENT=CHROME)
    response = post(undecided, [event(), event()])
    assert response.status_code == 202
    assert response.json()["stored"] == 0 and response.json()["reason"] == "no_consent"
    declined = consenting_browser(accept=False)
    assert post(declined, [event()]).json()["stored"] == 0
    assert not ingested().exists()
    assert FilteredEventCount.objects.get(reason="no_consent").count == 3


def test_a_browser_refusing_tracking_is_not_tracked_even_after_accepting(shop):
    client = consenting_browser()
    response = post(client, [event()], HTTP_SEC_GPC="1")
    assert response.json()["reason"] == "no_consent"
    response = post(client, [event()], HTTP_DNT="1")
    assert response.json()["reason"] == "no_consent"
    assert not ingested().exists()
    gpc = APIClient(HTTP_USER_AGENT=CHROME, HTTP_SEC_GPC="1")
    gpc.post("/privacy/analytics/", {"choice": "accept"})
    assert BrowserConsent.objects.filter(granted=True).count() == 1  # only the first browser's
    assert BrowserConsent.objects.filter(granted=False).count() == 0  # refused: no id issued, no row keyed by one


def test_a_signed_in_customer_s_events_carry_the_customer(shop):
    user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="佐藤",
                                      channel=shop.web)
    client = APIClient(HTTP_USER_AGENT=CHROME)
    client.force_login(user)
    consenting_browser(client)
    assert ConsentRecord.objects.get(customer=customer, purpose=ConsentPurpose.ANALYTICS).granted is True
    assert post(client, [event("product_view")]).json()["stored"] == 1
    row = CustomerEvent.objects.get(kind=EventKind.PRODUCT_VIEWED)
    assert row.customer == customer and len(row.browser_id) == 32


@pytest.mark.parametrize("agent", [
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0 Safari/537.36",
    "python-requests/2.32", "curl/8.5.0", "",
])
def test_crawlers_and_headless_browsers_are_counted_not_stored(shop, agent):
    client = consenting_browser(APIClient(HTTP_USER_AGENT=agent))
    response = post(client, [event(), event()])
    assert response.status_code == 202 and response.json()["reason"] == "bot"
    assert not ingested().exists()
    assert FilteredEventCount.objects.get(reason="bot").count == 2


def test_a_browser_sending_faster_than_a_person_is_filtered(shop, settings):
    settings.EVENTS_BROWSER_MAX_PER_MINUTE = 5
    client = consenting_browser()
    assert post(client, [event() for _ in range(4)]).json()["stored"] == 4
    flood = post(client, [event() for _ in range(4)])
    assert flood.json()["reason"] == "rate" and flood.json()["stored"] == 0
    assert ingested().count() == 4
    assert FilteredEventCount.objects.get(reason="rate").count == 4


def test_browsers_must_send_the_csrf_token(shop):
    client = APIClient(HTTP_USER_AGENT=CHROME, enforce_csrf_checks=True)
    client.get("/")  # a storefront page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    assert client.post("/privacy/analytics/", {"choice": "accept", "csrfmiddlewaretoken": token}).status_code == 302
    refused = post(client, [event()])
    assert refused.status_code == 403
    assert post(client, [event()], HTTP_X_CSRFTOKEN=token).status_code == 202
    assert ingested().count() == 1


def test_browser_batches_are_throttled(shop, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"events_browser": "2/min"}}
    client = consenting_browser()
    assert [post(client, [event()]).status_code for _ in range(3)] == [202, 202, 429]


# --- bad input: the whole batch is refused, the bad item named by its index -------------------------

@pytest.mark.parametrize(("bad", "path"), [
    ({"type": "purchase"}, "3.type"),  # unknown type
    ({"type": "store_visit", "properties": {}}, "3.type"),  # a systems-only type from a browser
    ({"id": "not-a-uuid"}, "3.id"),
    ({"properties": {"path": "/", "colour": "red"}}, "3.properties"),  # not in the type's schema
    ({"properties": {"path": "x" * 2001}}, "3.properties.path"),
    ({"properties": {"title": "no path"}}, "3.properties.path"),
    ({"type": "add_to_cart", "properties": {"sku": "LS-M", "quantity": 0}}, "3.properties.quantity"),
    ({"type": "search", "properties": {"query": "x", "results": "many"}}, "3.properties.results"),
    ({"properties": "path=/"}, "3.properties"),
    ({"occurred_at": "2999-01-01T00:00:00+09:00"}, "3.occurred_at"),
    ({"occurred_at": "2020-01-01T00:00:00+09:00"}, "3.occurred_at"),
    ({"occurred_at": "yesterday"}, "3.occurred_at"),
    ({"utm_source": "x" * 101}, "3.utm_source"),
    ({"customer": 1}, "3"),  # browsers cannot name a customer
])
def test_a_bad_event_refuses_the_whole_batch_naming_its_index(shop, bad, path):
    client = consenting_browser()
    batch = [event(), event("product_view"), event("search"), {**event(), **bad}]
    response = post(client, batch)
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "invalid" and path in body["errors"], body
    assert not ingested().exists()


def test_oversized_properties_are_refused(shop, member):
    client = consenting_browser()
    response = post(client, [event(), event("page_view", properties={"path": "/", "title": "長" * 2000})])
    assert response.status_code == 400
    assert "1.properties" in response.json()["errors"] or "1.properties.title" in response.json()["errors"]
    system = system_client()
    big = event("store_visit", customer=member.pk, properties={"note": "x", "basket": ["商品" * 100] * 10})
    response = post(system, [big])
    assert response.status_code == 400 and "0.properties" in response.json()["errors"]
    assert not ingested().exists()


def test_10000_deep_json_is_refused_and_nothing_is_stored(shop):
    client = consenting_browser()
    deep = "[" * 10000 + "]" * 10000
    body = '[{"id": "' + str(uuid.uuid4()) + '", "type": "page_view", "properties": {"path": "/", "x": ' + deep + "}}]"
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"
    assert not ingested().exists()


def test_properties_nested_deeper_than_the_event_limit_name_the_item(shop, member):
    nested = {"a": {"b": {"c": {"d": 1}}}}
    response = post(system_client(), [event("store_visit", customer=member.pk, properties={"note": "ok"}),
                                      event("store_visit", customer=member.pk, properties=nested)])
    assert response.status_code == 400 and "1.properties" in response.json()["errors"]
    assert not ingested().exists()


def test_batches_are_limited_in_size(shop, settings):
    client = consenting_browser()
    assert post(client, [event() for _ in range(501)]).status_code == 400
    assert post(client, []).status_code == 400
    assert post(client, {"events": [event()]}).status_code == 400
    settings.EVENTS_MAX_BATCH = 3
    assert post(client, [event() for _ in range(4)]).status_code == 400
    assert not ingested().exists()


# --- other systems ---------------------------------------------------------------------------------

@pytest.fixture
def member(shop):
    _user, customer = customer_sign_up(email="member@example.jp", password="pass-Word-123", family_name="会員",
                                       phone="090-5555-6666")
    return customer


def system_client(*, allowed: bool = True) -> APIClient:
    user = get_user_model().objects.create_user(f"pos-{uuid.uuid4().hex[:6]}@example.jp", "pass-Word-123")
    if allowed:
        roles.assign_role(user, roles.ADMINISTRATOR)
    client = APIClient(HTTP_USER_AGENT="pos-bridge/1.0 python-requests/2.32")  # a system's agent is no bot here
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_a_system_sends_events_for_customers_named_by_id_or_identity(shop, member):
    customer = member
    identities.identity_add(customer=customer, kind=IdentityKind.LOYALTY_CARD, value="1234-5678-9012", source="pos")
    batch = [
        event("store_visit", location="shibuya", channel=shop.pos_a.code,
              identity={"kind": "loyalty_card", "value": "１２３４５６７８９０１２"}, properties={"note": "試着"}),
        event("email_opened", customer=customer.pk, properties={"message": "winter-sale", "client": "iOS Mail"}),
        event("page_view", browser_id="ab" * 16),
    ]
    client = system_client()
    response = post(client, batch)
    assert response.status_code == 202, response.json()
    assert response.json()["stored"] == 3
    visit = CustomerEvent.objects.get(kind=EventKind.STORE_VISIT)
    assert (visit.customer, visit.location, visit.channel, visit.interaction) == (customer, shop.store_a, shop.pos_a,
                                                                                  "store")
    assert CustomerEvent.objects.get(kind=EventKind.EMAIL_OPENED).data == {"message": "winter-sale",
                                                                          "client": "iOS Mail"}
    assert CustomerEvent.objects.get(kind=EventKind.PAGE_VIEWED).customer is None
    assert post(client, batch).json()["duplicates"] == 3


@pytest.mark.parametrize(("bad", "path"), [
    ({"identity": {"kind": "email", "value": "nobody@example.jp"}}, "1.identity"),
    ({"customer": 999999}, "1.customer"),
    ({"location": "atlantis"}, "1.location"),
    ({"channel": "carrier-pigeon"}, "1.channel"),
    ({"customer": None}, "1.customer"),  # nobody named
    ({"browser_id": "xyz"}, "1.browser_id"),
    ({"identity": {"kind": "phone", "value": "12"}}, "1.identity.value"),
])
def test_a_system_batch_naming_unknown_things_is_refused(shop, member, bad, path):
    good = event("email_sent", customer=member.pk, properties={"message": "m"})
    response = post(system_client(), [good, {**event("email_sent", customer=member.pk,
                                                      properties={"message": "m"}), **bad}])
    assert response.status_code == 400 and path in response.json()["errors"], response.json()
    assert not ingested().exists()


def test_a_token_without_the_ingest_permission_is_refused(shop, member):
    response = post(system_client(allowed=False), [event("email_sent", customer=member.pk,
                                                         properties={"message": "m"})])
    assert response.status_code == 403
    assert not ingested().exists()


def test_bot_reason_rules():
    assert tracking.bot_reason(user_agent=CHROME, browser_id=None, count=1) is None
    assert tracking.bot_reason(user_agent="Mozilla/5.0 (compatible; bingbot/2.0)", browser_id=None, count=1) == "bot"


def test_event_ages_are_bounded(shop, settings):
    settings.EVENTS_MAX_AGE_DAYS = 2
    client = consenting_browser()
    old = (timezone.now() - timedelta(days=3)).isoformat()
    recent = (timezone.now() - timedelta(days=1)).isoformat()
    assert post(client, [event(occurred_at=old)]).status_code == 400
    assert post(client, [event(occurred_at=recent)]).status_code == 202
