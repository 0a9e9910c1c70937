import pytest
from django.urls import reverse

from customers.models import CustomerEvent, EventKind
from inventory.models import Reservation, StockLevel
from orders import services
from orders.models import FulfillmentMethod, Order
from orders.services import FulfillmentIn, LineIn

from .conftest import cart_of, put_in_cart

pytestmark = pytest.mark.django_db

CHECKOUT = "/checkout/"


def reserved(variant, location) -> int:
    return StockLevel.objects.get(variant=variant, location=location).reserved




def test_checkout_requires_login(shop, client):
    response = client.get(reverse("storefront:checkout"))
    assert response.status_code == 302
    assert response["Location"] == "/account/login/?next=/checkout/"


def test_add_to_cart_records_event_and_htmx_updates_the_cart_count(shop, customer, customer_client):
    response = customer_client.post(reverse("storefront:cart_add"), {"sku": "LS-S", "quantity": "2"},
                                    headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="cart-count"' in html and 'hx-swap-oob="true"' in html
    assert cart_of(customer_client) == {"LS-S": 2}
    assert CustomerEvent.objects.filter(customer=customer, kind=EventKind.CART_ADDED, subject="sku:LS-S").exists()


def test_add_to_cart_without_javascript_redirects_to_the_cart(shop, client):
    response = client.post(reverse("storefront:cart_add"), {"sku": "LS-L", "quantity": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("storefront:cart")
    page = client.get(reverse("storefront:cart")).content.decode()
    assert "リネンシャツ" in page and "¥5,500" in page


def test_the_product_page_records_no_view_itself(shop, customer, customer_client):
    """Product views are measured by the events script with the visitor's analytics consent
    (tests/customers/test_tracking_*), never by the page: no beacon, no event from the GET."""
    page = customer_client.get(reverse("storefront:product", kwargs={"code": "linen-shirt"})).content.decode()
    assert "/viewed/" not in page
    assert not CustomerEvent.objects.filter(customer=customer, kind=EventKind.PRODUCT_VIEWED).exists()


def test_product_page_shows_availability_per_pickup_store(shop, client):
    services.order_place(channel=shop.web, lines=[LineIn("LS-L", 1)], fulfillment=FulfillmentIn("pickup", "umeda"))
    response = client.get(reverse("storefront:product", kwargs={"code": "linen-shirt"}), {"sku": "LS-L"})
    rows = {row.location.code: row.status for row in response.context["store_stock"]}
    assert rows == {"shibuya": "in", "umeda": "low"}  # 3 left at 渋谷, 2 - 1 = 1 at 梅田
    html = response.content.decode()
    assert "¥5,500" in html and "locker-shinjuku" not in html


@pytest.mark.parametrize("quantity", ["0", "-1", "100", "abc"])
def test_bad_quantities_are_rejected_when_adding(shop, client, quantity):
    client.post(reverse("storefront:cart_add"), {"sku": "LS-S", "quantity": quantity})
    assert cart_of(client) == {}


@pytest.mark.parametrize("quantity", ["0", "100"])
def test_bad_quantities_are_rejected_when_editing_the_cart(shop, client, quantity):
    put_in_cart(client, {"LS-S": 2})
    response = client.post(reverse("storefront:cart"), {"sku": "LS-S", "quantity": quantity, "action": "update"})
    assert response.status_code == 422
    assert cart_of(client) == {"LS-S": 2}
    assert "errorlist" in response.content.decode()


def test_cart_quantity_change_by_htmx_rerenders_the_cart_with_totals(shop, client):
    put_in_cart(client, {"LS-S": 1})
    response = client.post(reverse("storefront:cart"), {"sku": "LS-S", "quantity": "3", "action": "update"},
                           headers={"HX-Request": "true"})
    html = response.content.decode()
    assert cart_of(client) == {"LS-S": 3}
    assert "¥16,500" in html and "¥1,500" in html  # total and the 10 % tax in it
    assert "<html" not in html


def test_checkout_reserves_at_the_chosen_store_and_empties_the_cart(shop, customer, customer_client):
    customer_client.post(reverse("storefront:cart_add"), {"sku": "LS-S", "quantity": "2"})
    response = customer_client.post(CHECKOUT, {"method": "pickup", "location": "umeda"})
    order = Order.objects.get(customer=customer)
    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    group = order.fulfillments.get()
    assert group.method == FulfillmentMethod.PICKUP and group.location == shop.store_b
    assert reserved(shop.small, shop.store_b) == 2
    assert reserved(shop.small, shop.store_a) == 0
    assert order.channel == shop.web
    assert cart_of(customer_client) == {}


def test_checkout_lists_which_stores_have_every_item(shop, customer_client):
    put_in_cart(customer_client, {"LS-S": 3})
    response = customer_client.get(CHECKOUT)
    options = {option.location.code: option.has_everything for option in response.context["options"]}
    assert options == {"shibuya": True, "umeda": False}


def test_stock_gone_between_cart_and_checkout_names_the_item_and_reserves_nothing(shop, customer, customer_client):
    customer_client.post(reverse("storefront:cart_add"), {"sku": "LS-S", "quantity": "2"})
    services.order_place(channel=shop.web, lines=[LineIn("LS-S", 2)], fulfillment=FulfillmentIn("pickup", "shibuya"))
    response = customer_client.post(CHECKOUT, {"method": "pickup", "location": "shibuya"})
    assert response.status_code == 422
    message = response.context["stock_problem"]
    assert "リネンシャツ S" in message and "1" in message
    assert message in response.content.decode()
    assert not Order.objects.filter(customer=customer).exists()
    assert reserved(shop.small, shop.store_a) == 2  # only the other buyer's units
    assert Reservation.objects.filter(location=shop.store_a).count() == 1
    assert cart_of(customer_client) == {"LS-S": 2}


def test_pickup_at_a_location_without_pickup_is_refused(shop, customer, customer_client):
    put_in_cart(customer_client, {"LS-S": 1})
    response = customer_client.post(CHECKOUT, {"method": "pickup", "location": "locker-shinjuku"})
    assert response.status_code == 422
    assert response.context["form"].errors["location"]
    assert not Order.objects.filter(customer=customer).exists()
    assert not Reservation.objects.exists()


def test_unknown_sku_in_a_stale_cart_is_named_and_nothing_is_ordered(shop, customer, customer_client):
    put_in_cart(customer_client, {"LS-S": 1, "GONE-1": 1})
    response = customer_client.post(CHECKOUT, {"method": "pickup", "location": "shibuya"})
    assert response.status_code == 422
    errors = response.context["form"].non_field_errors()
    assert any("GONE-1" in error for error in errors)
    assert not Order.objects.exists() and not Reservation.objects.exists()


def test_tampered_quantity_in_the_session_is_rejected_at_checkout(shop, customer_client):
    put_in_cart(customer_client, {"LS-S": 150})
    response = customer_client.post(CHECKOUT, {"method": "pickup", "location": "shibuya"})
    assert response.status_code == 422
    assert not Order.objects.exists()


def test_delivery_needs_a_valid_japanese_address(shop, customer, customer_client):
    put_in_cart(customer_client, {"LS-L": 1})
    address = {"method": "ship", "address-name": "山田 花子", "address-postal_code": "12-34",
               "address-prefecture": "13", "address-city": "渋谷区", "address-line1": "神南1-2-3",
               "address-phone": "090-1234-5678"}
    response = customer_client.post(CHECKOUT, address)
    assert response.status_code == 422
    assert response.context["address_form"].errors["postal_code"]
    assert not Order.objects.exists()

    address["address-postal_code"] = "１５０−００４１"  # full-width digits are fine
    response = customer_client.post(CHECKOUT, address)
    order = Order.objects.get(customer=customer)
    group = order.fulfillments.get()
    assert group.method == FulfillmentMethod.SHIP and group.location == shop.warehouse
    assert group.address["postal_code"] == "150-0041"
    assert reserved(shop.large, shop.warehouse) == 1


def test_a_profile_phone_saved_before_validation_does_not_block_the_checkout(shop, customer, customer_client):
    from customers.models import Customer

    Customer.objects.filter(pk=customer.pk).update(phone="03-1234-5678 内線12")  # legacy row, never validated
    customer_client.post(reverse("storefront:cart_add"), {"sku": "LS-S", "quantity": "1"})
    response = customer_client.post(CHECKOUT, {"method": "pickup", "location": "shibuya"})
    order = Order.objects.get(customer=customer)
    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    assert order.phone == "03-1234-5678 内線12"  # kept as the customer gave it, for the pickup desk's lookup
