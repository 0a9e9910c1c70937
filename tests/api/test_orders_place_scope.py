"""Store staff place orders only at their own store and through its own channels; the orders
they then see through the API are the ones the console lists for them."""

import pytest

from inventory.models import StockLevel
from kernel import channels, roles
from kernel.models import IdempotencyRecord
from orders import selectors
from orders.models import Order

from .payloads import pos_pickup_body

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"
SHIP_TO = {"name": "山田太郎", "postal_code": "150-0001", "prefecture": "13", "city": "渋谷区", "line1": "神宮前1-2-3"}


def reserved_anywhere() -> int:
    return sum(StockLevel.objects.values_list("reserved", flat=True))


def test_shibuya_staff_placing_a_pickup_at_umeda_get_403_and_nothing_is_reserved(shop, staff, api):
    body = pos_pickup_body(fulfillment={"method": "pickup", "location": "umeda"})
    response = api(staff["store_staff"]).post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "permission_denied"
    assert response.json()["detail"]
    assert reserved_anywhere() == 0
    assert not Order.objects.exists()
    assert not IdempotencyRecord.objects.exists()  # a refusal is not stored: nothing to replay


def test_shibuya_staff_place_a_pickup_at_shibuya_on_its_pos(shop, staff, api):
    response = api(staff["store_staff"]).post(URL, pos_pickup_body(), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["channel"] == "pos-shibuya"
    assert StockLevel.objects.get(variant=shop.small, location=shop.store_a).reserved == 1


@pytest.mark.parametrize("channel", ["pos-umeda", "web", "app", "marketplace", "social"])
def test_store_staff_cannot_place_through_another_stores_pos_or_a_customer_or_partner_channel(
    shop, staff, api, channel
):
    channels.pos_channel(shop.store_b)
    response = api(staff["store_staff"]).post(URL, pos_pickup_body(channel=channel), format="json")

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "permission_denied"
    assert reserved_anywhere() == 0


def test_store_staff_take_phone_orders_for_their_own_store(shop, staff, api):
    response = api(staff["store_staff"]).post(URL, pos_pickup_body(channel="phone"), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["fulfillments"][0]["location"] == "shibuya"


def test_store_staff_cannot_ship_from_the_warehouse_nor_leave_the_choice_to_the_system(shop, staff, api):
    client = api(staff["store_staff"])
    from_warehouse = {"method": "ship", "location": "wh-kanto", "address": SHIP_TO}
    unnamed = {"method": "ship", "address": SHIP_TO}
    for fulfillment in (from_warehouse, unnamed):
        response = client.post(URL, pos_pickup_body(channel="phone", fulfillment=fulfillment), format="json")
        assert response.status_code == 403, response.content
    assert reserved_anywhere() == 0


def test_administrators_place_orders_on_any_channel_at_any_location(shop, staff, api):
    body = pos_pickup_body(channel="web", fulfillment={"method": "pickup", "location": "umeda"})
    assert api(staff["administrator"]).post(URL, body, format="json").status_code == 201


def test_store_staff_see_their_stores_pos_sales_in_the_api_as_in_the_console(shop, staff, api, place):
    """A Shibuya POS sale delivered from the warehouse is Shibuya's sale: listed for its staff."""
    body = pos_pickup_body(fulfillment={"method": "ship", "location": "wh-kanto", "address": SHIP_TO})
    pos_sale = api(staff["administrator"]).post(URL, body, format="json").json()["number"]
    picked_up_here, elsewhere = place("shibuya"), place("umeda")
    user = staff["store_staff"]

    response = api(user).get(URL)
    listed = {row["number"] for row in response.json()["results"]}
    console = {order.number for order in selectors.order_list(locations=roles.scoped_locations(user))}

    assert listed == {pos_sale, picked_up_here.number}
    assert listed == console
    assert elsewhere.number not in listed
    assert api(user).get(f"{URL}{pos_sale}/").status_code == 200
