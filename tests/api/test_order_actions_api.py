"""Issue 10 over the API: partial cancel, notes and tags (staff only), the customer's own cancel under
/api/v1/me/, ship with a carrier, the pick list. Bad input answers 400 and changes nothing."""

import pytest

from inventory.models import StockLevel
from orders import services
from orders.models import OrderNote, OrderTag
from orders.services import FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db

SHIP_TO = {"name": "山田 太郎", "postal_code": "150-0001", "prefecture": "13", "city": "渋谷区",
           "line1": "神宮前1-2-3", "phone": "090-1111-2222"}


def url(order, action):
    return f"/api/v1/orders/{order.number}/{action}/"


@pytest.fixture
def pickup(shop, make_customer):
    _user, customer = make_customer()
    return services.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 2)],
                                fulfillment=FulfillmentIn("pickup", "shibuya"))


def held(shop) -> int:
    return StockLevel.objects.get(variant=shop.small, location=shop.store_a).reserved


def test_staff_cancel_units_and_the_order_answers_with_its_new_total(api, staff, shop, pickup):
    line = pickup.lines.get()
    client = api(staff["store_staff"])
    too_many = client.post(url(pickup, "cancel-lines"), {"lines": [{"line": line.pk, "quantity": 3}],
                                                           "reason": "x"}, format="json")
    assert too_many.status_code == 400
    assert "lines.0.quantity" in too_many.json()["errors"]
    assert (held(shop), pickup.lines.get().quantity) == (2, 2)
    response = client.post(url(pickup, "cancel-lines"), {"lines": [{"line": line.pk, "quantity": 1}],
                                                         "reason": "品切れ"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["total"], body["lines"][0]["quantity"], body["refund_due"]) == (5500, 1, 0)
    assert held(shop) == 1
    assert api(staff["warehouse_operator"]).post(url(pickup, "cancel-lines"), {
        "lines": [{"line": line.pk, "quantity": 1}], "reason": "x"}, format="json").status_code in (403, 404)
    assert api(staff["store_staff_b"]).post(url(pickup, "cancel-lines"), {
        "lines": [{"line": line.pk, "quantity": 1}], "reason": "x"}, format="json").status_code == 404
    assert held(shop) == 1


def test_notes_and_tags_are_for_staff_and_filter_the_list(api, staff, pickup):
    client = api(staff["store_staff"])
    assert client.post(url(pickup, "notes"), {"body": ""}, format="json").status_code == 400
    created = client.post(url(pickup, "notes"), {"body": "夕方に来店"}, format="json")
    assert created.status_code == 201
    assert created.json()["author"] == staff["store_staff"].email
    assert [n["body"] for n in client.get(url(pickup, "notes")).json()] == ["夕方に来店"]
    assert client.put(url(pickup, "tags"), {"tags": ["ＶＩＰ", "gift"]}, format="json").json() == {
        "tags": ["gift", "vip"]}
    assert [o["number"] for o in client.get("/api/v1/orders/", {"tag": "vip"}).json()["results"]] == [pickup.number]
    assert client.get("/api/v1/orders/", {"tag": "none"}).json()["results"] == []
    # a marketer reads but does not write; the customer never sees staff notes or tags
    marketer = api(staff["hq_marketer"])
    assert marketer.get(url(pickup, "notes")).status_code == 200
    assert marketer.post(url(pickup, "notes"), {"body": "x"}, format="json").status_code == 403
    assert marketer.put(url(pickup, "tags"), {"tags": []}, format="json").status_code == 403
    owner = api(pickup.customer.user)
    assert owner.get(url(pickup, "notes")).status_code == 403
    assert owner.get(url(pickup, "tags")).status_code == 403
    # nor can the filter tell a customer whether their own order is tagged
    assert owner.get("/api/v1/orders/", {"tag": "vip"}).json()["results"] == []
    assert [o["number"] for o in owner.get("/api/v1/orders/").json()["results"]] == [pickup.number]
    assert (OrderNote.objects.count(), OrderTag.objects.count()) == (1, 2)


def test_a_customer_cancels_their_own_order_under_me(api, shop, pickup, make_customer):
    other_user, _other = make_customer(email="other@example.jp")
    assert api(other_user).post(f"/api/v1/me/orders/{pickup.number}/cancel/", {}, format="json").status_code == 404
    assert held(shop) == 2
    owner = api(pickup.customer.user)
    response = owner.post(f"/api/v1/me/orders/{pickup.number}/cancel/", {"reason": "間違えた"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled"
    assert held(shop) == 0


def test_a_customer_cannot_cancel_a_ready_order_and_staff_cannot_use_me(api, staff, shop, pickup):
    services.fulfillment_mark_ready(fulfillment=pickup.fulfillments.get())
    response = api(pickup.customer.user).post(f"/api/v1/me/orders/{pickup.number}/cancel/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert held(shop) == 2
    assert api(staff["store_staff"]).post(f"/api/v1/me/orders/{pickup.number}/cancel/", {},
                                          format="json").status_code == 403


def test_ship_with_a_carrier_and_the_pick_list(api, staff, shop, make_customer):
    _user, customer = make_customer()
    order = services.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 2)],
                                 fulfillment=FulfillmentIn("ship", "wh-kanto", address=SHIP_TO))
    operator = api(staff["warehouse_operator"])
    picks = operator.get("/api/v1/orders/pick-list/", {"location": "wh-kanto"}).json()
    assert (picks["orders"], picks["units"]) == ([order.number], 2)
    assert picks["rows"][0] | {"orders": None} == {"sku": "LS-S", "barcode": "4901234567894",
                                                   "product_name": "リネンシャツ", "variant_label": "S",
                                                   "zone": "", "quantity": 2, "orders": None,
                                                   "per_order": {order.number: 2}}
    assert api(staff["store_staff"]).get("/api/v1/orders/pick-list/", {"location": "wh-kanto"}).status_code == 403
    bad = operator.post(url(order, "ship"), {"carrier": "sagawa", "tracking_number": "12345"}, format="json")
    assert bad.status_code == 400 and "tracking_number" in bad.json()["errors"]
    assert order.fulfillments.get().status == "reserved"
    assert StockLevel.objects.get(variant=shop.small, location=shop.warehouse).on_hand == 20
    done = operator.post(url(order, "ship"), {"carrier": "sagawa", "tracking_number": "3012-3456-7890"},
                         format="json").json()
    group = done["fulfillments"][0]
    assert (group["status"], group["carrier"], group["tracking_number"]) == ("shipped", "sagawa", "301234567890")
    assert group["tracking_url"].endswith("okurijoNo=301234567890")
    mine = api(customer.user).get("/api/v1/me/").json()["orders"][0]["fulfillments"][0]
    assert (mine["carrier"], mine["tracking_number"]) == ("sagawa", "301234567890")
