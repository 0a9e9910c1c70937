"""Shipping deliveries (warehouse operators, scoped to the fulfilment's location) and
cancelling with a reason, over the API."""

import pytest
from django.contrib.auth import get_user_model

from customers.models import EventKind
from inventory.models import MovementReason, StockLevel, StockMovement
from inventory.selectors import ledger_balance
from kernel import roles
from kernel.models import Location, LocationKind
from orders import services
from orders.models import OrderEvent
from orders.services import ContactIn, FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db

SHIP_TO = {"name": "山田 太郎", "postal_code": "150-0001", "prefecture": "13", "city": "渋谷区",
           "line1": "神宮前1-2-3", "phone": "090-1111-2222"}


def url(order, action):
    return f"/api/v1/orders/{order.number}/{action}/"


@pytest.fixture
def delivery(shop, make_customer):
    _user, customer = make_customer()
    return services.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 2)],
                                fulfillment=FulfillmentIn("ship", "wh-kanto", address=SHIP_TO))


def test_warehouse_operators_ship_with_a_tracking_number_and_stock_leaves_through_the_ledger(shop, staff, api,
                                                                                             delivery):
    response = api(staff["warehouse_operator"]).post(url(delivery, "ship"), {"tracking_number": "1234-5678-9012"},
                                                     format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["fulfillments"][0]["status"]) == ("shipped", "shipped")
    level = StockLevel.objects.get(variant=shop.small, location=shop.warehouse)
    assert (level.on_hand, level.reserved) == (18, 0)
    sale = StockMovement.objects.get(location=shop.warehouse, reason=MovementReason.SALE)
    assert (sale.quantity, sale.acting_user) == (-2, staff["warehouse_operator"])
    assert ledger_balance(variant=shop.small, location=shop.warehouse) == 18
    assert OrderEvent.objects.get(order=delivery, kind="tracking").data == {"tracking_number": "1234-5678-9012"}
    assert delivery.customer.events.filter(kind=EventKind.ORDER_SHIPPED).exists()


@pytest.mark.parametrize("body", [{}, {"tracking_number": ""}, {"tracking_number": "x" * 41},
                                  {"tracking_number": ["a"]}])
def test_shipping_without_a_good_tracking_number_is_400(shop, staff, api, delivery, body):
    response = api(staff["warehouse_operator"]).post(url(delivery, "ship"), body, format="json")
    assert response.status_code == 400
    assert "tracking_number" in response.json()["errors"]
    assert delivery.fulfillments.get().status == "reserved"


def test_only_shipping_staff_at_the_fulfilling_location_may_ship(shop, staff, api, delivery):
    other_warehouse = Location.objects.create(code="wh-kansai", name="関西倉庫", kind=LocationKind.WAREHOUSE,
                                              prefecture="27", ships_orders=True)
    operator = get_user_model().objects.create_user("kansai@example.jp", "pass-Word-123")
    roles.assign_role(operator, roles.WAREHOUSE_OPERATOR, location=other_warehouse)
    body = {"tracking_number": "T-1"}
    assert api(operator).post(url(delivery, "ship"), body, format="json").status_code == 404  # not visible
    assert api(staff["store_staff"]).post(url(delivery, "ship"), body, format="json").status_code == 403
    assert api(staff["hq_marketer"]).post(url(delivery, "ship"), body, format="json").status_code == 403
    assert delivery.fulfillments.get().status == "reserved"
    assert api(staff["administrator"]).post(url(delivery, "ship"), body, format="json").status_code == 200


def test_shipping_twice_or_shipping_a_pickup_order_is_409(shop, staff, api, delivery, place):
    client = api(staff["administrator"])
    assert client.post(url(delivery, "ship"), {"tracking_number": "T-1"}, format="json").status_code == 200
    again = client.post(url(delivery, "ship"), {"tracking_number": "T-2"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    pickup = place("shibuya")
    assert client.post(url(pickup, "ship"), {"tracking_number": "T-3"}, format="json").status_code == 409
    assert pickup.fulfillments.get().status == "reserved"


def test_unknown_orders_are_404_for_ship(shop, staff, api):
    response = api(staff["administrator"]).post("/api/v1/orders/NOPE-1/ship/", {"tracking_number": "T"},
                                                format="json")
    assert response.status_code == 404


def test_cancel_keeps_the_reason_on_the_order_and_the_customers_timeline(shop, staff, api, make_customer):
    _user, customer = make_customer()
    order = services.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 1)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"), contact=ContactIn())
    response = api(staff["store_staff"]).post(url(order, "cancel"), {"reason": "  customer called  "},
                                              format="json")
    assert response.status_code == 200
    assert OrderEvent.objects.get(order=order, kind="cancel_reason").data == {"reason": "customer called"}
    event = customer.events.get(kind=EventKind.ORDER_CANCELLED)
    assert event.data["reason"].strip() == "customer called"
