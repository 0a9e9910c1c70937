"""The offline till's server side: the price list it keeps (one query whatever the catalogue,
ETag, the store's staff only), the batch endpoint through the session and CSRF as the page's
script sends it, and what an offline sale does with units held for others."""

import gzip
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from inventory import services as inventory
from inventory.models import StockLevel
from inventory.services import VariantIn
from orders import services, till
from orders.models import Order, OrderEvent, Register, RegisterSession, TillSale
from orders.services import FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(shop):
    register = Register.objects.create(location=shop.store_a, code="1", name="レジ1")
    RegisterSession.objects.create(register=register, opening_float=10000)
    return register


def prices_url(register):
    return f"/console/till/{register.pk}/prices/"


def jan(number: int) -> str:
    body = f"45{number:010d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def add_products(count: int, start: int = 0):
    for k in range(start, start + count):
        inventory.product_create(code=f"p{k}", name=f"緑茶{k}", tax_class="reduced",
                                 variants=[VariantIn(sku=f"T-{k}", barcode=jan(k), price=200 + k)])


def test_the_price_list_holds_each_published_variant_with_its_price_and_tax_rate(shop):
    add_products(1)
    hidden = inventory.product_create(code="gone", name="販売終了", variants=[VariantIn(sku="G-1", barcode=jan(99),
                                                                                         price=1)])
    hidden.is_active = False
    hidden.save()
    with CaptureQueriesContext(connection) as captured:
        items = till.till_price_list()
    assert len(captured) == 1
    assert dict(zip(till.PRICE_LIST_FIELDS, items[0], strict=True)) == {
        "sku": "LS-L", "barcode": "4901234567887", "name": "リネンシャツ", "label": "L", "price": 5500, "tax_rate": 10}
    assert ["T-0", jan(0), "緑茶0", "", 200, 8] in items
    assert "G-1" not in {row[0] for row in items}


def test_the_price_list_costs_the_same_queries_for_a_bigger_catalogue(client, shop, staff, register):
    client.force_login(staff["store_staff"])
    client.get(prices_url(register))  # session and nav warmed up
    add_products(2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(prices_url(register)).status_code == 200
    add_products(20, start=2)
    with CaptureQueriesContext(connection) as big:
        response = client.get(prices_url(register))
    assert len(big) == len(small)
    assert response.json()["count"] == 2 + 22


def test_a_till_that_holds_this_version_gets_304_and_a_new_price_a_new_version(client, shop, staff, register):
    client.force_login(staff["store_staff"])
    add_products(5)  # gzip is for bodies of 200 bytes and more
    first = client.get(prices_url(register), HTTP_ACCEPT_ENCODING="gzip")
    assert first.status_code == 200 and first["Content-Encoding"] == "gzip"
    etag = first["ETag"]
    body = json.loads(gzip.decompress(first.content))
    assert etag.startswith('W/"')  # gzip_page weakens it; the view compares weakly
    assert body["version"] == etag.removeprefix("W/").strip('"') and body["fields"] == list(till.PRICE_LIST_FIELDS)
    unchanged = client.get(prices_url(register), HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged.content == b""
    shop.small.price = 4980
    shop.small.save()
    changed = client.get(prices_url(register), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert ["LS-S", "4901234567894", "リネンシャツ", "S", 4980, 10] in changed.json()["items"]


@pytest.mark.parametrize(("who", "status"), [("store_staff", 200), ("administrator", 200), ("store_staff_b", 403),
                                             ("warehouse_operator", 403), ("hq_marketer", 403)])
def test_only_staff_who_may_sell_at_this_register_get_its_price_list(client, shop, staff, register, who, status):
    client.force_login(staff[who])
    assert client.get(prices_url(register)).status_code == status


def test_the_price_list_asks_a_visitor_to_sign_in(client, register):
    response = client.get(prices_url(register))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_till_page_hands_its_script_the_urls_and_the_words_in_japanese(client, shop, staff, register):
    client.force_login(staff["store_staff"])
    client.cookies["django_language"] = "ja"
    page = client.get(f"/console/till/{register.pk}/").content.decode()
    assert f'data-prices="{prices_url(register)}"' in page and 'data-batch="/api/v1/till/sales/batch/"' in page
    assert 'id="till-offline-strings"' in page and "js/till-offline.js" in page
    strings = json.loads(page.split('id="till-offline-strings" type="application/json">', 1)[1].split("</script>")[0])
    assert strings["status_queued"] == "送信待ち" and strings["offline"].startswith("オフライン")


def offline_sale(register, key, *codes):
    return {"idempotency_key": key, "register": register.pk, "sold_at": "2026-12-01T10:00:00+09:00", "codes": [],
            "lines": [{"code": code, "quantity": 1} for code in codes],
            "tenders": [{"kind": "cash", "amount": 5500 * len(codes), "reference": ""}]}


def test_the_batch_takes_the_pages_session_only_with_its_csrf_token(shop, staff, register):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff["store_staff"])
    page = browser.get(f"/console/till/{register.pk}/").content.decode()
    token = page.split('data-csrf="', 1)[1].split('"', 1)[0]
    body = json.dumps({"sales": [offline_sale(register, "k-1", "LS-S")]})
    refused = browser.post("/api/v1/till/sales/batch/", body, content_type="application/json")
    assert refused.status_code == 403 and not TillSale.objects.exists()
    sent = browser.post("/api/v1/till/sales/batch/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert sent.status_code == 200 and sent.json()["created"] == 1
    again = browser.post("/api/v1/till/sales/batch/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert again.json()["replayed"] == 1 and TillSale.objects.count() == 1


def test_an_offline_sale_may_take_a_unit_held_for_a_pickup_and_says_so(client, shop, staff, register):
    """All 3 units at store A are reserved for a pickup order. Online, the till refuses to sell
    one; a sale made offline (the shirt has left the shop) is recorded, and staff are told the
    pickup is now short. It is refused only when the books hold fewer units than were sold."""
    services.order_place(channel=shop.web, lines=[LineIn("LS-S", 3)], fulfillment=FulfillmentIn("pickup", "shibuya"))
    client.force_login(staff["store_staff"])
    online = client.post("/api/v1/till/sales/", {"register": register.pk, "lines": [{"code": "LS-S"}],
                                                 "tenders": [{"kind": "cash", "amount": 5500}]},
                         content_type="application/json", HTTP_IDEMPOTENCY_KEY="online-1")
    assert online.status_code == 409 and online.json()["code"] == "out_of_stock"
    sales = [offline_sale(register, f"off-{k}", "LS-S") for k in range(4)]
    result = client.post("/api/v1/till/sales/batch/", {"sales": sales}, content_type="application/json").json()
    assert [r["status"] for r in result["results"]] == ["created", "created", "created", "refused"]
    assert result["results"][0]["stock_warnings"] == [{"sku": "LS-S", "on_hand": 2, "reserved": 3, "safety": 0}]
    assert result["results"][3]["code"] == "out_of_stock"
    level = StockLevel.objects.get(variant=shop.small, location=shop.store_a)
    assert (level.on_hand, level.reserved) == (0, 3)
    sold = OrderEvent.objects.get(order__number=result["results"][0]["number"], kind="sold")
    assert sold.data["offline"] and sold.data["stock_warnings"][0]["sku"] == "LS-S"
    assert Order.objects.filter(channel=shop.pos_a).count() == 3


def test_the_batch_costs_the_same_queries_for_each_sale(client, shop, staff, register):
    inventory.stock_receive(variant=shop.small, location=shop.store_a, quantity=20)
    client.force_login(staff["store_staff"])
    client.post("/api/v1/till/sales/batch/", {"sales": [offline_sale(register, "warm", "LS-S")]},
                content_type="application/json")

    def queries(keys):
        with CaptureQueriesContext(connection) as captured:
            body = client.post("/api/v1/till/sales/batch/",
                               {"sales": [offline_sale(register, key, "LS-S") for key in keys]},
                               content_type="application/json").json()
        assert body["created"] == len(keys)
        return len(captured)

    one, three = queries(["a"]), queries(["b", "c", "d"])
    per_sale = (three - one) / 2
    assert per_sale == int(per_sale) and one - per_sale < 10  # a fixed cost per sale, a small fixed overhead


def test_the_service_worker_is_served_for_the_tills_scope_and_keeps_no_data(client, staff):
    response = client.get("/console/till/sw.js")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/console/till/" and response["Cache-Control"] == "no-cache"
    code = response.content.decode()
    assert 'var CACHE = "omnishop-till-1";' in code and 'var STATIC = "/static/";' in code
    client.force_login(staff["store_staff"])
    assert client.get("/console/till/sw.js").content.decode() == code  # the same for everyone: no data in it
