"""Customers for staff, and /me/ for a customer's own account."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["store_staff", "hq_marketer", "administrator"])
def test_staff_with_view_customer_search_customers_by_name_or_phone(shop, staff, api, make_customer, who):
    make_customer("hanako@example.jp", family_name="山田")
    make_customer("taro@example.jp", family_name="佐藤")
    client = api(staff[who])
    found = client.get("/api/v1/customers/", {"q": "山田"}).json()["results"]
    assert [c["email"] for c in found] == ["hanako@example.jp"]
    assert client.get("/api/v1/customers/", {"q": "０９０１２３４"}).json()["count"] == 2  # NFKC phone digits
    assert client.get("/api/v1/customers/").json()["count"] == 2


def test_customer_detail_includes_consent_state(shop, staff, api, make_customer):
    _user, customer = make_customer(marketing=True)
    response = api(staff["store_staff"]).get(f"/api/v1/customers/{customer.pk}/")
    assert response.status_code == 200
    assert response.json()["consent"] == {"email": True}
    assert response.json()["family_name"] == "山田"


@pytest.mark.parametrize("who", ["warehouse_operator", "customer"])
def test_users_without_view_customer_get_403(shop, staff, api, make_customer, who):
    _user, customer = make_customer()
    assert api(staff[who]).get("/api/v1/customers/").status_code == 403
    assert api(staff[who]).get(f"/api/v1/customers/{customer.pk}/").status_code == 403


def test_a_customer_cannot_list_customers(shop, api, make_customer):
    user, _customer = make_customer()
    make_customer("taro@example.jp", family_name="佐藤")
    response = api(user).get("/api/v1/customers/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_me_shows_my_profile_consent_and_only_my_orders(shop, api, make_customer, place):
    user, customer = make_customer(marketing=False)
    _other_user, other = make_customer("taro@example.jp", family_name="佐藤")
    mine = place(customer=customer)
    place(customer=other)

    body = api(user).get("/api/v1/me/").json()
    assert body["email"] == "hanako@example.jp"
    assert body["customer"]["consent"] == {"email": False}
    assert [o["number"] for o in body["orders"]] == [mine.number]


def test_me_for_a_staff_account_has_no_customer_and_no_orders(shop, staff, api, place):
    place()
    body = api(staff["store_staff"]).get("/api/v1/me/").json()
    assert body == {"email": "store_staff@example.jp", "display_name": "store_staff", "customer": None,
                    "orders": []}


def test_me_needs_authentication(shop, api):
    assert api().get("/api/v1/me/").status_code == 401
