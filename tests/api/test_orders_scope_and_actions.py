"""Who sees which orders, and the pickup-desk actions (ready, hand-over, cancel) with scope."""

import pytest
from django.core import mail

from inventory.models import StockLevel

pytestmark = pytest.mark.django_db


def url(order, action=""):
    return f"/api/v1/orders/{order.number}/" + (f"{action}/" if action else "")


def numbers(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["number"] for row in response.json()["results"]}


def test_store_staff_see_only_orders_fulfilled_at_their_store(shop, staff, api, place):
    at_a, at_b = place("shibuya"), place("umeda")
    assert numbers(api(staff["store_staff"]).get("/api/v1/orders/")) == {at_a.number}
    assert numbers(api(staff["store_staff_b"]).get("/api/v1/orders/")) == {at_b.number}
    assert api(staff["store_staff_b"]).get(url(at_a)).status_code == 404
    assert api(staff["store_staff"]).get(url(at_a)).json()["number"] == at_a.number


@pytest.mark.parametrize("who", ["hq_marketer", "administrator"])
def test_hq_and_administrators_see_every_order(shop, staff, api, place, who):
    at_a, at_b = place("shibuya"), place("umeda")
    assert numbers(api(staff[who]).get("/api/v1/orders/")) == {at_a.number, at_b.number}


def test_a_customer_sees_only_their_own_orders(shop, api, place, make_customer):
    hanako_user, hanako = make_customer("hanako@example.jp")
    taro_user, taro = make_customer("taro@example.jp", family_name="佐藤")
    mine, theirs = place(customer=hanako), place(customer=taro)

    client = api(hanako_user)
    assert numbers(client.get("/api/v1/orders/")) == {mine.number}
    assert client.get(url(theirs)).status_code == 404
    assert client.get(url(mine)).status_code == 200


def test_an_account_without_customer_record_or_role_sees_no_orders(shop, staff, api, place):
    place("shibuya")
    assert numbers(api(staff["customer"]).get("/api/v1/orders/")) == set()


def test_orders_filter_by_status_location_and_search(shop, staff, api, place):
    at_a, at_b = place("shibuya", email="aoi@example.jp"), place("umeda")
    client = api(staff["administrator"])
    assert numbers(client.get("/api/v1/orders/", {"location": "umeda"})) == {at_b.number}
    assert numbers(client.get("/api/v1/orders/", {"q": "aoi@example.jp"})) == {at_a.number}
    assert numbers(client.get("/api/v1/orders/", {"status": "ready"})) == set()
    assert numbers(client.get("/api/v1/orders/", {"status": "placed"})) == {at_a.number, at_b.number}
    code = at_a.fulfillments.get().pickup_code
    assert numbers(client.get("/api/v1/orders/", {"q": code})) == {at_a.number}
    assert client.get("/api/v1/orders/", {"status": "bogus"}).status_code == 400


def test_store_staff_mark_ready_then_hand_over_and_stock_leaves_through_the_ledger(
    shop, staff, api, place, make_customer, django_capture_on_commit_callbacks
):
    _user, customer = make_customer()
    order = place("shibuya", customer=customer)
    client = api(staff["store_staff"])

    with django_capture_on_commit_callbacks(execute=True):
        ready = client.post(url(order, "ready"))
    assert ready.status_code == 200, ready.content
    assert ready.json()["status"] == "ready"
    assert ready.json()["fulfillments"][0]["status"] == "ready"
    assert any("hanako@example.jp" in message.to for message in mail.outbox)

    unpaid = client.post(url(order, "hand-over"))  # to be paid at the store: not without the money
    assert unpaid.status_code == 400 and "tenders" in unpaid.json()["errors"]
    assert StockLevel.objects.get(variant=shop.small, location=shop.store_a).reserved == 1
    handed = client.post(url(order, "hand-over"), {"tenders": [{"kind": "card", "amount": order.total,
                                                                "reference": "0042"}]}, format="json")
    assert handed.status_code == 200
    assert (handed.json()["status"], handed.json()["payment_status"]) == ("completed", "paid")
    level = StockLevel.objects.get(variant=shop.small, location=shop.store_a)
    assert (level.on_hand, level.reserved) == (2, 0)


def test_a_transition_that_is_not_allowed_is_409(shop, staff, api, place):
    order = place("shibuya")
    client = api(staff["store_staff"])
    response = client.post(url(order, "hand-over"))  # still reserved: must be ready first
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert response.json()["detail"]


def test_store_b_staff_cannot_act_on_store_a_orders(shop, staff, api, place):
    order = place("shibuya")
    client = api(staff["store_staff_b"])
    for action in ("ready", "hand-over", "cancel"):
        assert client.post(url(order, action)).status_code == 404
    order.refresh_from_db()
    assert order.status == "placed"


def test_staff_who_can_see_but_not_run_the_pickup_desk_get_403(shop, staff, api, place):
    order = place("shibuya")
    response = api(staff["hq_marketer"]).post(url(order, "ready"))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_customers_cannot_run_the_pickup_desk_on_their_own_order(shop, api, place, make_customer):
    user, customer = make_customer()
    order = place(customer=customer)
    assert api(user).post(url(order, "ready")).status_code == 403


def test_cancel_releases_the_reservation_and_a_second_cancel_is_409(shop, staff, api, place):
    order = place("shibuya", quantity=2)
    client = api(staff["store_staff"])
    response = client.post(url(order, "cancel"), {"reason": "customer called"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert StockLevel.objects.get(variant=shop.small, location=shop.store_a).reserved == 0
    again = client.post(url(order, "cancel"), {}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"


def test_cancel_with_a_mistyped_reason_is_400(shop, staff, api, place):
    order = place("shibuya")
    response = api(staff["store_staff"]).post(url(order, "cancel"), {"reason": {"a": 1}}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
