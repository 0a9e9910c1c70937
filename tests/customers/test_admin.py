"""The Django admin of the customers and orders domains: a profile changes through
``customer_update_profile`` (the console's and the API's service); orders are read-only."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from customers import services
from customers.errors import CustomerNotDeletable
from customers.models import Customer
from customers.services import customer_sign_up
from kernel.models import AuditEntry
from orders import services as orders
from orders.models import Order
from orders.services import FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(shop):
    _user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="佐藤",
                                       given_name="花子", family_name_kana="サトウ", given_name_kana="ハナコ",
                                       phone="090-1234-5678", channel=shop.web)
    return customer


def _form(customer, **fields) -> dict:
    data = {name: getattr(customer, name) or "" for name in (
        "email", "family_name", "given_name", "family_name_kana", "given_name_kana", "phone", "postal_code", "prefecture",
        "address", "preferred_size")}
    data.update({"favourite_location": "", "consent_records-TOTAL_FORMS": "0",
                 "consent_records-INITIAL_FORMS": "0"})
    data.update(fields)
    return data


def test_a_profile_changed_in_the_admin_follows_the_services_rules(customer, admin_client):
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    response = admin_client.post(url, _form(customer, given_name_kana="はなこ", postal_code="1500001"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert (customer.given_name_kana, customer.postal_code) == ("ハナコ", "150-0001")
    entry = AuditEntry.objects.get(action="customer_update_profile")
    assert entry.changes == {"postal_code": ["", "150-0001"]}  # the stored values compared with the new ones


def test_a_profile_the_services_refuse_shows_form_errors_in_the_admin_not_a_500(customer, admin_client):
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    response = admin_client.post(url, _form(customer, given_name_kana="hanako", postal_code="15"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) >= {"given_name_kana", "postal_code"}
    customer.refresh_from_db()
    assert customer.given_name_kana == "ハナコ" and not AuditEntry.objects.filter(action="customer_update_profile")


def test_staff_add_a_customer_in_the_admin_through_customer_create(shop, admin_client, admin_user, monkeypatch):
    calls = []
    real = services.customer_create
    monkeypatch.setattr(services, "customer_create", lambda **kw: calls.append(kw) or real(**kw))
    response = admin_client.post(reverse("admin:customers_customer_add"), _new_form(
        email=" Taro@Example.JP ", family_name="山田", given_name="太郎", family_name_kana="やまだ",
        given_name_kana="ﾀﾛｳ", postal_code="1500001"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert len(calls) == 1
    created = Customer.objects.get(email="taro@example.jp")
    assert (created.family_name_kana, created.given_name_kana, created.postal_code) == ("ヤマダ", "タロウ", "150-0001")
    entry = AuditEntry.objects.get(action="customer_create")
    assert (entry.actor, entry.object_id) == (admin_user, str(created.pk))


def test_a_customer_without_email_can_be_added_but_not_one_with_a_taken_email(customer, admin_client):
    url = reverse("admin:customers_customer_add")
    assert admin_client.post(url, _new_form(family_name="無名")).status_code == 302
    assert Customer.objects.get(family_name="無名").email is None
    response = admin_client.post(url, _new_form(email="HANAKO@example.jp", family_name="偽物",
                                                family_name_kana="nisemono"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"email", "family_name_kana"}
    assert not Customer.objects.filter(family_name="偽物").exists()
    assert not AuditEntry.objects.filter(action="customer_create", object_repr="偽物").exists()


def test_an_email_changed_in_the_admin_changes_the_login_too(customer, admin_client, admin_user):
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    response = admin_client.post(url, _form(customer, email="Hanako.Sato@Example.jp"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    customer.user.refresh_from_db()
    assert customer.email == customer.user.email == "hanako.sato@example.jp"
    entry = AuditEntry.objects.get(action="customer_email_change")
    assert entry.actor == admin_user
    assert entry.changes == {"email": ["hanako@example.jp", "hanako.sato@example.jp"], "user": customer.user_id}
    login = get_user_model().objects.get_by_natural_key("hanako.sato@example.jp")
    assert login == customer.user and login.check_password("pass-Word-123")


def test_an_email_another_customer_or_account_has_is_refused_with_a_field_error(customer, shop, admin_client):
    customer_sign_up(email="taro@example.jp", password="pass-Word-123", family_name="山田", channel=shop.web)
    get_user_model().objects.create_user("clerk@example.jp", "pass-Word-123")
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    for taken in ("TARO@example.jp", "clerk@example.jp", ""):
        response = admin_client.post(url, _form(customer, email=taken))
        assert response.status_code == 200, taken
        assert "email" in response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert customer.email == customer.user.email == "hanako@example.jp"
    assert not AuditEntry.objects.filter(action="customer_email_change").exists()


def test_a_customer_entered_by_mistake_is_deleted_through_the_service(shop, admin_client, admin_user, monkeypatch):
    mistake = services.customer_create(family_name="間違", email="mistake@example.jp")
    services.consent_set(customer=mistake, channel="email", granted=True, source="admin")
    calls = []
    real = services.customer_delete
    monkeypatch.setattr(services, "customer_delete", lambda **kw: calls.append(kw) or real(**kw))
    url = reverse("admin:customers_customer_delete", args=[mistake.pk])
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert len(calls) == 1 and not Customer.objects.filter(pk=mistake.pk).exists()
    entry = AuditEntry.objects.get(action="customer_delete")
    assert (entry.actor, entry.object_id, entry.object_repr) == (admin_user, str(mistake.pk), f"#{mistake.pk}")
    assert "間違" not in str(entry.changes) and "mistake@" not in str(entry.changes)


def test_a_customer_with_orders_or_an_account_is_not_deleted(shop, customer, admin_client):
    buyer = services.customer_create(family_name="購入")
    orders.order_place(channel=shop.web, customer=buyer, lines=[LineIn(sku="LS-S", quantity=1)],
                       fulfillment=FulfillmentIn(method="pickup", location="shibuya"))
    response = admin_client.post(reverse("admin:customers_customer_delete", args=[buyer.pk]), {"post": "yes"})
    assert response.status_code == 200  # the admin names the orders that keep the customer
    with pytest.raises(CustomerNotDeletable):
        services.customer_delete(customer=buyer)

    response = admin_client.post(reverse("admin:customers_customer_delete", args=[customer.pk]), {"post": "yes"},
                                 follow=True)
    assert response.status_code == 200
    [message] = response.context["messages"]
    assert message.level_tag == "error" and str(message) in {
        "This customer has an account and cannot be deleted here.", "この顧客はアカウントをお持ちのため、ここでは削除できません。"}
    assert Customer.objects.filter(pk__in=[buyer.pk, customer.pk]).count() == 2
    assert not AuditEntry.objects.filter(action="customer_delete").exists()


def _new_form(**fields) -> dict:
    data = dict.fromkeys(("email", "family_name", "given_name", "family_name_kana", "given_name_kana", "phone",
                          "postal_code", "prefecture", "address", "preferred_size", "favourite_location"), "")
    data.update(fields)
    return data


def test_orders_cannot_be_deleted_in_the_admin(shop, admin_client):
    order = orders.order_place(channel=shop.web, lines=[LineIn(sku="LS-S", quantity=1)],
                               fulfillment=FulfillmentIn(method="pickup", location="shibuya"))
    assert admin_client.post(reverse("admin:orders_order_delete", args=[order.pk]), {"post": "yes"}).status_code == 403
    assert Order.objects.filter(pk=order.pk).exists()
