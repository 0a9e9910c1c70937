"""Back-in-stock in the console (who waits for what, per variant and store; store staff see their
store's only; the page's query count does not grow with the rows) and the API (a customer sees,
creates and cancels only its own; staff list them, scoped; 400 bodies for a discontinued product,
an unknown SKU or store, and stock there now)."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from campaigns.backinstock import back_in_stock_subscribe
from campaigns.models import BackInStockSubscription
from customers.services import customer_sign_up
from inventory import services as inventory
from tests.builders import build_shop

pytestmark = pytest.mark.django_db
API = "/api/v1/back-in-stock/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def shop(db):
    """Sold out everywhere but store B (two of each size)."""
    return build_shop(stock_a=0, stock_b=2, stock_warehouse=0)


def sign_up(email: str):
    return customer_sign_up(email=email, password="pass-Word-123", family_name="山田", given_name="花子")[1]


def subscribe(customer, variant, location=None):
    return back_in_stock_subscribe(customer=customer, variant=variant, location=location, source="storefront")[0]


@pytest.fixture
def waiting(shop):
    """Three customers wait for S at store A, one for L at store A, two for S online."""
    people = [sign_up(f"c{index}@example.jp") for index in range(4)]
    for customer in people[:3]:
        subscribe(customer, shop.small, shop.store_a)
    subscribe(people[3], shop.large, shop.store_a)
    subscribe(people[0], shop.small)
    subscribe(people[1], shop.small)
    return people


# --- the console ---------------------------------------------------------------------------------

def test_hq_sees_the_counts_per_variant_and_place_most_waited_first(client, staff, waiting, shop):
    client.force_login(staff["hq_marketer"])
    response = client.get(reverse("console:back_in_stock"))
    assert response.status_code == 200
    rows = [(row["variant"].sku, row["location"].code if row["location"] else None, row["waiting"])
            for row in response.context["page"]]
    assert rows == [("LS-S", "shibuya", 3), ("LS-S", None, 2), ("LS-L", "shibuya", 1)]


def test_the_filters_narrow_by_store_online_and_sku(client, staff, waiting, shop):
    client.force_login(staff["hq_marketer"])
    url = reverse("console:back_in_stock")
    online = client.get(url, {"location": "online"}).context["page"]
    assert [(row["variant"].sku, row["waiting"]) for row in online] == [("LS-S", 2)]
    by_sku = client.get(url, {"sku": "ls-l"})
    assert [row["variant"].sku for row in by_sku.context["page"]] == ["LS-L"]
    assert [p.customer for p in by_sku.context["people"]] == [waiting[3]]  # who is behind the count
    at_a = client.get(url, {"location": shop.store_a.pk, "sku": "LS-S"})
    assert len(at_a.context["people"]) == 3 and "c0@example.jp" not in at_a.content.decode()  # names, not emails


def test_store_staff_see_only_their_store(client, staff, waiting, shop):
    client.force_login(staff["store_staff_b"])  # 梅田店: nobody waits there
    response = client.get(reverse("console:back_in_stock"))
    assert response.status_code == 200 and list(response.context["page"]) == []
    client.force_login(staff["store_staff"])  # 渋谷店
    rows = client.get(reverse("console:back_in_stock")).context["page"]
    assert [(row["variant"].sku, row["waiting"]) for row in rows] == [("LS-S", 3), ("LS-L", 1)]  # not online
    assert client.get(reverse("console:back_in_stock"), {"location": shop.store_b.pk}).status_code == 403
    assert client.get(reverse("console:back_in_stock"), {"location": "online"}).status_code == 403  # HQ's


def test_the_warehouse_and_customers_are_not_let_in(client, staff):
    client.force_login(staff["warehouse_operator"])
    assert client.get(reverse("console:back_in_stock")).status_code == 403
    client.force_login(staff["customer"])
    assert client.get(reverse("console:back_in_stock")).status_code == 403


def test_the_console_page_has_a_constant_query_count(client, staff, shop):
    from tests.storefront.conftest import make_product

    client.force_login(staff["hq_marketer"])
    url = reverse("console:back_in_stock")
    subscribe(sign_up("first@example.jp"), shop.small, shop.store_a)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"sku": "LS-S"})
    for index in range(12):
        product = make_product(index)
        customer = sign_up(f"w{index}@example.jp")
        subscribe(customer, product.variants.first(), shop.store_a)
        subscribe(customer, shop.small, shop.store_a)
        subscribe(customer, shop.small)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, {"sku": "LS-S"})
    assert len(response.context["page"]) == 2 and len(response.context["people"]) == 25
    assert len(many) == len(few)
    with CaptureQueriesContext(connection) as all_rows:
        response = client.get(url)
    assert len(response.context["page"]) == 14 and len(all_rows) <= len(few)


# --- the API ---------------------------------------------------------------------------------------

def customer_api(customer) -> APIClient:
    client = APIClient()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the messages are checked in English
    token, _created = Token.objects.get_or_create(user=customer.user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_a_customer_subscribes_and_sees_only_its_own(shop, waiting):
    hanako = sign_up("hanako@example.jp")
    api = customer_api(hanako)
    created = api.post(API, {"sku": "LS-L", "location": "shibuya"}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["sku"], body["location"], body["status"], body["source"], body["discontinued"]) == (
        "LS-L", "shibuya", "open", "api", False)
    again = api.post(API, {"sku": "LS-L", "location": "shibuya"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]  # idempotent
    online = api.post(API, {"sku": "LS-L"}, format="json")
    assert online.status_code == 201 and online.json()["location"] is None
    listed = api.get(API).json()
    assert listed["count"] == 2 and {row["customer"] for row in listed["results"]} == {hanako.pk}
    others = BackInStockSubscription.objects.exclude(customer=hanako).first()
    assert api.get(f"{API}{others.pk}/").status_code == 404


def test_a_customer_cancels_its_own_but_not_anothers(shop, waiting):
    hanako = sign_up("hanako@example.jp")
    mine = subscribe(hanako, shop.small, shop.store_a)
    api = customer_api(hanako)
    response = api.post(f"{API}{mine.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    theirs = BackInStockSubscription.objects.filter(customer=waiting[0]).first()
    assert api.post(f"{API}{theirs.pk}/cancel/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.cancelled_at is None
    assert api.get(API, {"status": "open"}).json()["count"] == 0
    assert api.get(API, {"status": "cancelled"}).json()["count"] == 1


def test_bad_input_answers_400_with_a_machine_readable_body(shop):
    api = customer_api(sign_up("hanako@example.jp"))
    unknown = api.post(API, {"sku": "NOPE"}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "invalid" and "sku" in unknown.json()["errors"]
    store = api.post(API, {"sku": "LS-S", "location": "nowhere"}, format="json")
    assert store.status_code == 400 and "location" in store.json()["errors"]
    in_stock = api.post(API, {"sku": "LS-S", "location": "umeda"}, format="json")
    assert in_stock.status_code == 400
    assert in_stock.json()["code"] == "back_in_stock_refused" and in_stock.json()["reason"] == "in_stock"
    inventory.product_update(product=shop.product, is_active=False)
    gone = api.post(API, {"sku": "LS-S", "location": "shibuya"}, format="json")
    assert gone.status_code == 400
    assert gone.json()["reason"] == "discontinued" and "no longer sold" in gone.json()["detail"]
    assert not BackInStockSubscription.objects.exists()


def test_a_subscription_to_a_discontinued_product_says_why(shop):
    hanako = sign_up("hanako@example.jp")
    subscribe(hanako, shop.small, shop.store_a)
    inventory.product_update(product=shop.product, is_active=False)
    row = customer_api(hanako).get(API).json()["results"][0]
    assert row["discontinued"] is True and "no longer sold" in row["reason"]


def test_staff_list_all_scoped_and_cannot_subscribe(shop, staff, waiting):
    hq = APIClient()
    hq.force_authenticate(staff["hq_marketer"])
    assert hq.get(API).json()["count"] == 6
    assert hq.get(API, {"location": "online"}).json()["count"] == 2
    assert hq.post(API, {"sku": "LS-S"}, format="json").status_code == 403
    store_a = APIClient()
    store_a.force_authenticate(staff["store_staff"])
    assert store_a.get(API).json()["count"] == 4  # the ones at 渋谷店
    store_b = APIClient()
    store_b.force_authenticate(staff["store_staff_b"])
    assert store_b.get(API).json()["count"] == 0
    warehouse = APIClient()
    warehouse.force_authenticate(staff["warehouse_operator"])
    assert warehouse.get(API).status_code == 403
    assert APIClient().get(API).status_code in (401, 403)


def test_the_endpoints_are_in_the_schema(client):
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/back-in-stock/" in schema and "/api/v1/back-in-stock/{id}/cancel/" in schema
