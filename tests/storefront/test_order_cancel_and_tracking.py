"""The customer's order page (issue 10): cancel an order not prepared yet (a confirmation step, then
the same service as the API), never another's and never once it is ready; the carrier and the
tracking number of a shipped delivery, with the carrier's tracking link."""

import pytest
from django.urls import reverse

from customers.services import customer_sign_up
from inventory.models import StockLevel
from orders import services
from orders.services import FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db

SHIP_TO = {"name": "山田 花子", "postal_code": "150-0001", "prefecture": "13", "city": "渋谷区",
           "line1": "神宮前1-2-3", "phone": "090-1111-2222"}


def pickup(shop, customer):
    return services.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 1)],
                                fulfillment=FulfillmentIn("pickup", "shibuya"))


def reserved(shop) -> int:
    return StockLevel.objects.get(variant=shop.small, location=shop.store_a).reserved


def test_a_customer_cancels_from_their_order_page_after_a_confirmation(customer_client, shop, customer):
    order = pickup(shop, customer)
    page = customer_client.get(reverse("storefront:order", kwargs={"number": order.number})).content.decode()
    cancel_url = reverse("storefront:order_cancel", kwargs={"number": order.number})
    assert cancel_url in page
    confirm = customer_client.get(cancel_url)
    assert confirm.status_code == 200 and 'method="post"' in confirm.content.decode()
    order.refresh_from_db()
    assert order.status == "placed"  # the confirmation page changes nothing
    response = customer_client.post(cancel_url, {"reason": "サイズ違い"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, reserved(shop)) == ("cancelled", 0)
    assert order.events.get(kind="cancel_reason").data["reason"] == "サイズ違い"


def test_a_customer_cannot_cancel_once_ready_and_stock_stays_held(customer_client, shop, customer):
    order = pickup(shop, customer)
    services.fulfillment_mark_ready(fulfillment=order.fulfillments.get())
    page = customer_client.get(reverse("storefront:order", kwargs={"number": order.number})).content.decode()
    cancel_url = reverse("storefront:order_cancel", kwargs={"number": order.number})
    assert cancel_url not in page
    response = customer_client.post(cancel_url, {})
    assert response.status_code == 409
    order.refresh_from_db()
    assert (order.status, reserved(shop)) == ("ready", 1)


def test_another_customers_order_is_not_found(client, shop, customer):
    order = pickup(shop, customer)
    other_user, _other = customer_sign_up(email="other@example.jp", password="pass-Word-123", family_name="田中",
                                          given_name="一郎", channel=shop.web)
    client.force_login(other_user)
    url = reverse("storefront:order_cancel", kwargs={"number": order.number})
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404
    order.refresh_from_db()
    assert (order.status, reserved(shop)) == ("placed", 1)


def test_the_customer_sees_the_carrier_the_tracking_number_and_its_link(customer_client, shop, customer):
    order = services.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 1)],
                                 fulfillment=FulfillmentIn("ship", "wh-kanto", address=SHIP_TO))
    services.fulfillment_ship(fulfillment=order.fulfillments.get(), carrier="japan_post",
                              tracking_number="EJ 123456789 JP")
    html = customer_client.get(reverse("storefront:order", kwargs={"number": order.number})).content.decode()
    assert "EJ123456789JP" in html
    assert "https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1=EJ123456789JP" in html
    assert reverse("storefront:order_cancel", kwargs={"number": order.number}) not in html  # shipped
