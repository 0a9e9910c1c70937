"""The returns desk in the console: find by return code, take a return, receive a request, the
goodwill refund on the order page, the receipt; store staff act only at their own store."""

import pytest
from django.urls import reverse

from inventory.models import StockMovement
from orders import returns, services
from orders.models import Payment, Return, ReturnMethod, ReturnReason, ReturnStatus, TenderKind
from orders.payments import TenderIn, order_paid, payment_take
from orders.services import ContactIn, FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def sold(shop):
    order = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 2)], fulfillment=FulfillmentIn(
        "pickup", "umeda"), contact=ContactIn(name="山田 花子", email="hanako@example.jp", phone="090-1234-5678"))
    group = order.fulfillments.get()
    services.fulfillment_mark_ready(fulfillment=group)
    payment_take(order=order, tenders=[TenderIn(TenderKind.CARD, order.total, "slip")])
    services.fulfillment_hand_over(fulfillment=group)
    return order


def _form(order, quantity, **extra):
    line = order.lines.get()
    return {f"quantity-{line.pk}": quantity, f"reason-{line.pk}": "size", f"condition-{line.pk}": "as_new",
            f"disposition-{line.pk}": "restock", "refund_method": "original", **extra}


def test_store_staff_take_a_return_of_an_order_sold_at_another_store(client, staff, shop, sold):
    client.force_login(staff["store_staff"])
    page = client.get(reverse("console:returns"), {"q": sold.number})
    assert page.status_code == 200 and sold.number in page.content.decode()
    response = client.post(reverse("console:return_new", args=[sold.number]), _form(sold, 1))
    ret = Return.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("console:return_detail",
                                                                            args=[ret.number])
    assert ret.location == shop.store_a and ret.status == ReturnStatus.REFUNDED
    assert StockMovement.objects.filter(reference=ret.number, location=shop.store_a).exists()
    assert client.get(reverse("console:return_detail", args=[ret.number])).status_code == 200
    for width in ("a4", "80"):
        receipt = client.get(reverse("console:return_receipt", args=[ret.number]), {"width": width})
        assert receipt.status_code == 200 and ret.number in receipt.content.decode()


def test_more_than_sold_shows_the_message_and_changes_nothing(client, staff, sold):
    client.force_login(staff["store_staff"])
    response = client.post(reverse("console:return_new", args=[sold.number]), _form(sold, 3))
    assert response.status_code == 400 and "LS-S" in response.content.decode()
    assert not Return.objects.exists() and order_paid(sold) == sold.total


def test_scanning_a_return_code_opens_the_request_to_receive(client, staff, shop, sold):
    ret = returns.return_request(order=sold, method=ReturnMethod.STORE, location=shop.store_a,
                                 lines=[returns.ReturnLineIn(sold.lines.get().pk, 1, ReturnReason.SIZE)])
    client.force_login(staff["store_staff"])
    found = client.get(reverse("console:returns"), {"q": ret.code.lower()})
    assert found.status_code == 302 and found["Location"] == reverse("console:return_detail", args=[ret.number])
    received = client.post(found["Location"], _form(sold, 1, refund_method="original"))
    assert received.status_code == 302
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.REFUNDED and ret.refund_total == 5500


def test_a_request_named_for_one_store_is_received_at_another_and_then_is_theirs(client, staff, shop, sold):
    ret = returns.return_request(order=sold, method=ReturnMethod.STORE, location=shop.store_b,
                                 lines=[returns.ReturnLineIn(sold.lines.get().pk, 1, ReturnReason.SIZE)])
    client.force_login(staff["store_staff"])  # 渋谷店: neither sold it nor was named
    assert client.get(reverse("console:returns"), {"q": ret.code})["Location"].endswith(f"/{ret.number}/")
    client.post(reverse("console:return_detail", args=[ret.number]), _form(sold, 1))
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.REFUNDED and ret.location == shop.store_a
    assert StockMovement.objects.filter(reference=ret.number, location=shop.store_a).exists()
    # a received return is refunded where it was received: another store's staff see no action
    client.force_login(staff["store_staff_b"])
    assert client.post(reverse("console:return_refund", args=[ret.number]), {"refund_method": "original"}
                       ).status_code in (302, 403, 404)
    assert Payment.objects.filter(order=sold, amount__lt=0).count() == 1


def test_a_store_cannot_receive_for_another_location(client, staff, shop, sold):
    ret = returns.return_request(order=sold, method=ReturnMethod.MAIL,
                                 lines=[returns.ReturnLineIn(sold.lines.get().pk, 1, ReturnReason.SIZE)])
    client.force_login(staff["store_staff"])
    response = client.post(reverse("console:return_detail", args=[ret.number]) + f"?location={shop.store_b.pk}",
                           _form(sold, 1))
    assert response.status_code == 403
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.REQUESTED


def test_goodwill_refund_on_the_order_page_is_capped(client, staff, sold):
    client.force_login(staff["store_staff_b"])
    url = reverse("console:order_refund", args=[sold.number])
    client.post(url, {"amount": sold.total + 1, "method": "original", "reason": "お詫び"})
    assert order_paid(sold) == sold.total
    client.post(url, {"amount": 500, "method": "original", "reason": "お詫び"})
    assert Payment.objects.get(order=sold, amount__lt=0).amount == -500


def test_returns_list_query_count_is_constant(client, staff, shop, sold, django_assert_max_num_queries):
    client.force_login(staff["administrator"])
    for _n in range(2):
        returns.return_request(order=sold, method=ReturnMethod.MAIL,
                               lines=[returns.ReturnLineIn(sold.lines.get().pk, 1, ReturnReason.SIZE)])
    client.get(reverse("console:returns"))
    with django_assert_max_num_queries(16) as few:
        client.get(reverse("console:returns"))
    Return.objects.filter(status=ReturnStatus.REQUESTED).update(status=ReturnStatus.CANCELLED)
    for _n in range(2):
        returns.return_request(order=sold, method=ReturnMethod.MAIL,
                               lines=[returns.ReturnLineIn(sold.lines.get().pk, 1, ReturnReason.SIZE)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("console:returns"))


def test_customer_starts_a_return_and_sees_the_code(client, shop, sold):
    from customers.services import customer_sign_up

    user, customer = customer_sign_up(email="hanako2@example.jp", password="pass-Word-123", family_name="山田",
                                      given_name="花子", phone="090-1234-5678", channel=shop.web)
    type(sold).objects.filter(pk=sold.pk).update(customer=customer)
    client.force_login(user)
    page = client.get(reverse("storefront:return_start", args=[sold.number]))
    assert page.status_code == 200
    line = sold.lines.get()
    response = client.post(reverse("storefront:return_start", args=[sold.number]), {
        f"quantity-{line.pk}": 1, f"reason-{line.pk}": "size", "method": "store", "location": shop.store_b.pk})
    ret = Return.objects.get()
    assert response.status_code == 302
    detail = client.get(reverse("storefront:return", args=[ret.number])).content.decode()
    assert ret.code in detail and "<svg" in detail
    assert client.get(reverse("storefront:return_receipt", args=[ret.number])).status_code == 200


def test_an_order_not_handed_over_offers_no_return_only_a_cancel(client, staff, shop):
    order = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)], fulfillment=FulfillmentIn(
        "pickup", "shibuya"), contact=ContactIn(name="山田 花子", email="hanako@example.jp", phone="090-1234-5678"))
    client.force_login(staff["store_staff"])
    client.cookies["django_language"] = "en"
    page = client.get(reverse("console:order_detail", args=[order.number]))
    assert page.status_code == 200 and "Cancel order" in page.content.decode()
    assert reverse("console:return_new", args=[order.number]) not in page.content.decode()
    form = client.get(reverse("console:return_new", args=[order.number])).content.decode()
    assert "cancel it instead" in form and f'name="quantity-{order.lines.get().pk}"' not in form
    response = client.post(reverse("console:return_new", args=[order.number]), _form(order, 1))
    assert response.status_code == 400 and not Return.objects.exists()
    services.fulfillment_mark_ready(fulfillment=order.fulfillments.get())
    payment_take(order=order, tenders=[TenderIn(TenderKind.CARD, order.total, "slip")])
    services.fulfillment_hand_over(fulfillment=order.fulfillments.get())
    page = client.get(reverse("console:order_detail", args=[order.number])).content.decode()
    assert reverse("console:return_new", args=[order.number]) in page
