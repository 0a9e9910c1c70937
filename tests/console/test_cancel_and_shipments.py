"""Cancelling an order from its page, and the warehouse's shipments desk."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import StockLevel
from kernel import roles
from kernel.models import Location, LocationKind
from orders import services as orders
from orders.models import OrderEvent
from tests.builders import CASH_AT_DESK

from .conftest import place_delivery


def _detail(order):
    return reverse("console:order_detail", kwargs={"number": order.number})


def _cancel(order):
    return reverse("console:order_cancel", kwargs={"number": order.number})


def test_store_staff_cancel_a_pickup_with_a_reason_and_the_stock_is_released(client, staff, shop, pickups):
    order = pickups["a"]
    client.force_login(staff["store_staff"])
    assert f'action="{_cancel(order)}"' in client.get(_detail(order)).content.decode()
    response = client.post(_cancel(order), {"reason": "お客様から電話でキャンセル"}, follow=True)
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert StockLevel.objects.get(variant=shop.small, location=shop.store_a).reserved == 0
    event = OrderEvent.objects.get(order=order, kind="cancel_reason")
    assert (event.data["reason"], event.acting_user) == ("お客様から電話でキャンセル", staff["store_staff"])
    html = response.content.decode()
    assert "お客様から電話でキャンセル" in html
    assert f'action="{_cancel(order)}"' not in html  # nothing left to cancel


def test_cancelling_without_a_reason_changes_nothing(client, staff, pickups):
    client.force_login(staff["store_staff"])
    response = client.post(_cancel(pickups["a"]), {"reason": "  "}, follow=True)
    assert 'class="error"' in response.content.decode()
    pickups["a"].refresh_from_db()
    assert pickups["a"].status == "placed"


def test_a_collected_order_cannot_be_cancelled_and_the_page_says_why(client, staff, pickups):
    order = pickups["a"]
    fulfillment = order.fulfillments.get()
    orders.fulfillment_mark_ready(fulfillment=fulfillment)
    orders.fulfillment_hand_over(fulfillment=fulfillment, tenders=CASH_AT_DESK)
    client.force_login(staff["store_staff"])
    assert f'action="{_cancel(order)}"' not in client.get(_detail(order)).content.decode()
    response = client.post(_cancel(order), {"reason": "間違い"}, follow=True)
    html = response.content.decode()
    messages = html[html.index('class="messages"'):]
    assert 'class="error"' in messages and order.number in messages
    order.refresh_from_db()
    assert order.status == "completed"


def test_staff_of_another_store_cannot_cancel(client, staff, pickups):
    client.force_login(staff["store_staff_b"])
    assert client.post(_cancel(pickups["a"]), {"reason": "x"}).status_code == 404
    pickups["a"].refresh_from_db()
    assert pickups["a"].status == "placed"


def test_hq_without_the_pickup_desk_sees_no_cancel_button(client, staff, pickups):
    client.force_login(staff["hq_marketer"])
    assert f'action="{_cancel(pickups["a"])}"' not in client.get(_detail(pickups["a"])).content.decode()


# --- shipments desk -------------------------------------------------------------------------

def test_shipments_desk_lists_delivery_orders_of_the_warehouse_with_items_and_address(client, staff, shipment,
                                                                                      pickups):
    client.force_login(staff["warehouse_operator"])
    html = client.get(reverse("console:shipments")).content.decode()
    assert shipment.order.number in html
    assert "〒150-0001" in html and "東京都" in html and "神宮前1-2-3" in html
    assert "LS-S" in html
    assert pickups["a"].number not in html  # pickups are the store's business


def test_marking_shipped_with_a_tracking_number_updates_the_row(client, staff, shop, shipment):
    client.force_login(staff["warehouse_operator"])
    url = reverse("console:shipment_ship", kwargs={"pk": shipment.pk})
    response = client.post(url, {"tracking_number": "1234-5678-9012"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="shipment-{shipment.pk}"')
    assert "badge-shipped" in html and "1234-5678-9012" in html
    assert f'action="{url}"' not in html
    shipment.refresh_from_db()
    assert shipment.status == "shipped"
    assert StockLevel.objects.get(variant=shop.small, location=shop.warehouse).on_hand == 19
    assert shipment.order.customer.events.filter(kind="order_shipped").exists()
    assert shipment.order.number not in client.get(reverse("console:shipments")).content.decode()


def test_shipping_without_a_tracking_number_is_refused_in_the_row(client, staff, shipment):
    client.force_login(staff["warehouse_operator"])
    response = client.post(reverse("console:shipment_ship", kwargs={"pk": shipment.pk}), {"tracking_number": ""},
                           HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'class="row-note error"' in html and "badge-reserved" in html
    shipment.refresh_from_db()
    assert shipment.status == "reserved"


def test_shipping_twice_shows_the_transition_error(client, staff, shipment):
    orders.fulfillment_ship(fulfillment=shipment, tracking_number="1")
    client.force_login(staff["warehouse_operator"])
    response = client.post(reverse("console:shipment_ship", kwargs={"pk": shipment.pk}), {"tracking_number": "2"},
                           HTTP_HX_REQUEST="true")
    assert 'class="row-note error"' in response.content.decode()
    assert not OrderEvent.objects.filter(fulfillment=shipment, data__tracking_number="2").exists()


def test_an_operator_of_another_warehouse_neither_sees_nor_ships(client, shop, shipment, django_user_model):
    other = Location.objects.create(code="wh-kansai", name="関西倉庫", kind=LocationKind.WAREHOUSE, ships_orders=True)
    user = django_user_model.objects.create_user("op-kansai@example.jp", "pass-Word-123")
    roles.assign_role(user, roles.WAREHOUSE_OPERATOR, location=other)
    client.force_login(user)
    assert shipment.order.number not in client.get(reverse("console:shipments")).content.decode()
    assert client.get(reverse("console:shipments"), {"location": shop.warehouse.pk}).status_code == 403
    response = client.post(reverse("console:shipment_ship", kwargs={"pk": shipment.pk}), {"tracking_number": "9"})
    assert response.status_code == 403
    shipment.refresh_from_db()
    assert shipment.status == "reserved"


def test_shipments_is_in_the_navigation_of_operators_not_store_staff(client, staff):
    client.force_login(staff["warehouse_operator"])
    assert f'href="{reverse("console:shipments")}"' in client.get(reverse("console:dashboard")).content.decode()
    client.force_login(staff["store_staff"])
    assert f'href="{reverse("console:shipments")}"' not in client.get(reverse("console:dashboard")).content.decode()


def test_shipments_desk_query_count_does_not_grow(client, staff, shop, customer, shipment):
    client.force_login(staff["warehouse_operator"])
    client.get(reverse("console:dashboard"))  # warm per-process caches
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("console:shipments"))
    for _ in range(4):
        place_delivery(shop, customer=customer, sku="LS-L")
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("console:shipments")).content.decode()
    assert html.count('id="shipment-') == 5
    assert len(many) == len(few)
