"""Returns, refunds and store credit through the API: the same services, 400 on bad input."""

import pytest

from orders import services
from orders.models import Payment, Register, RegisterSession, Return, TenderKind
from orders.payments import TenderIn, order_paid, payment_take
from orders.services import FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def sold(shop, make_customer):
    _user, customer = make_customer()
    order = services.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 2)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"))
    group = order.fulfillments.get()
    services.fulfillment_mark_ready(fulfillment=group)
    payment_take(order=order, tenders=[TenderIn(TenderKind.CASH, order.total)])
    services.fulfillment_hand_over(fulfillment=group)
    return order


def test_customer_requests_staff_receive_as_store_credit(api, staff, sold, make_customer):
    customer_user = sold.customer.user
    line = sold.lines.get()
    mine = api(customer_user).post("/api/v1/me/returns/", {
        "order": sold.number, "method": "store", "location": "shibuya",
        "lines": [{"order_line": line.pk, "quantity": 1, "reason": "size"}]}, format="json")
    assert mine.status_code == 201, mine.json()
    number, code = mine.json()["number"], mine.json()["code"]
    desk = api(staff["store_staff"])
    assert desk.get("/api/v1/returns/", {"code": code}).json()["results"][0]["number"] == number
    received = desk.post(f"/api/v1/returns/{number}/receive/", {
        "location": "shibuya", "refund_method": "store_credit",
        "lines": [{"order_line": line.pk, "quantity": 1, "reason": "size", "condition": "as_new",
                   "disposition": "restock"}]}, format="json")
    assert received.status_code == 200 and received.json()["status"] == "refunded"
    assert api(customer_user).get("/api/v1/me/store-credit/").json()["balance"] == 5500
    assert desk.get(f"/api/v1/store-credit/{sold.customer_id}/").json()["balance"] == 5500


def _till(location) -> int:
    register = Register.objects.create(location=location, code="1", name="レジ1")
    return RegisterSession.objects.create(register=register, opening_float=10000).pk


def test_refund_above_what_was_paid_is_400_and_changes_nothing(api, staff, sold, shop):
    desk = api(staff["store_staff"])
    till = _till(shop.store_a)
    response = desk.post("/api/v1/refunds/", {"order": sold.number, "amount": sold.total + 1,
                                              "reason": "goodwill"}, format="json")
    assert response.status_code == 400 and "amount" in response.json()["errors"]
    assert order_paid(sold) == sold.total
    body = {"order": sold.number, "amount": 1000, "reason": "goodwill"}
    no_till = desk.post("/api/v1/refunds/", body, format="json")
    assert no_till.status_code == 400 and "register" in no_till.json()["errors"]  # cash leaves a drawer
    ok = desk.post("/api/v1/refunds/", {**body, "register_session": till}, format="json",
                   HTTP_IDEMPOTENCY_KEY="r-1")
    again = desk.post("/api/v1/refunds/", {**body, "register_session": till}, format="json",
                      HTTP_IDEMPOTENCY_KEY="r-1")
    assert ok.status_code == again.status_code == 201 and Payment.objects.filter(amount__lt=0).count() == 1


def test_desk_return_with_too_many_units_is_400(api, staff, sold):
    response = api(staff["store_staff"]).post("/api/v1/returns/", {
        "order": sold.number, "location": "shibuya", "refund_method": "original",
        "lines": [{"order_line": sold.lines.get().pk, "quantity": 3, "reason": "size", "condition": "as_new",
                   "disposition": "restock"}]}, format="json")
    assert response.status_code == 400 and "lines.0.quantity" in response.json()["errors"]
    assert not Return.objects.exists()


def test_staff_cannot_take_a_return_at_another_store(api, staff, sold):
    response = api(staff["store_staff_b"]).post("/api/v1/returns/", {
        "order": sold.number, "location": "shibuya", "refund_method": "original",
        "lines": [{"order_line": sold.lines.get().pk, "quantity": 1, "reason": "size", "condition": "as_new",
                   "disposition": "restock"}]}, format="json")
    assert response.status_code in (400, 403) and not Return.objects.exists()


def test_any_store_takes_back_an_order_sold_elsewhere(api, staff, sold, shop):
    response = api(staff["store_staff_b"]).post("/api/v1/returns/", {
        "order": sold.number, "location": "umeda", "refund_method": "original", "register_session": _till(shop.store_b),
        "lines": [{"order_line": sold.lines.get().pk, "quantity": 1, "reason": "size", "condition": "opened",
                   "disposition": "to_warehouse"}]}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["location"] == "umeda" and response.json()["refund_total"] == 5500
