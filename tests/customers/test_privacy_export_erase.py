"""Privacy: the export holds everything we keep; erasure anonymises the person and keeps orders,
tax figures and the stock ledger; both are audited; customers only reach their own data."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from customers import privacy, profile
from customers.errors import CustomerErased
from customers.models import ConsentRecord, Customer, CustomerEvent, Identity
from customers.services import consent_set, customer_create, customer_sign_up, staff_event_record
from inventory.models import StockMovement
from kernel.models import AuditEntry, DomainEvent
from orders import services as orders
from orders.cart import cart_add
from orders.models import Order, OrderLine
from orders.services import ContactIn, FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db

ADDRESS = {"label": "自宅", "name": "山田 花子", "postal_code": "150-0001", "prefecture": "13", "city": "渋谷区",
           "line1": "神宮前1-2-3"}


@pytest.fixture
def hanako(shop, staff):
    user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="山田",
                                      given_name="花子", family_name_kana="ヤマダ", phone="090-1234-5678",
                                      email_marketing=True)
    profile.address_add(customer=customer, acting_user=user, **ADDRESS)
    Identity.objects.create(customer=customer, kind="line", value="U1234", source="line-login")
    consent_set(customer=customer, channel="sms", granted=True, source="pos")
    staff_event_record(customer=customer, kind="staff_note", note="花子さん、電話 090-1234-5678 で相談",
                       interaction="phone", acting_user=staff["store_staff"])
    CustomerEvent.objects.create(customer=customer, kind="product_viewed", occurred_at="2026-11-01T10:00:00+09:00",
                                 data={"code": "LS", "name": "リネンシャツ", "ip": "203.0.113.9",
                                       "user_agent": "Mozilla/5.0", "query": "花子 シャツ"})
    order = orders.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 2)],
                               fulfillment=FulfillmentIn("pickup", "shibuya"),
                               contact=ContactIn(email="hanako@example.jp", name="山田 花子", phone="090-1234-5678"))
    cart_add(customer=customer, variant=shop.large, quantity=1, channel=shop.web)
    return user, customer, order


def test_export_contains_everything_we_hold(hanako):
    user, customer, order = hanako
    data = json.loads(privacy.customer_data_export(customer=customer, acting_user=user, via="storefront"))
    assert data["profile"]["family_name"] == "山田" and data["account"]["email"] == "hanako@example.jp"
    assert data["addresses"][0]["postal_code"] == "150-0001"
    assert {(i["kind"], i["value"]) for i in data["identities"]} == {
        ("email", "hanako@example.jp"), ("phone", "09012345678"), ("line", "U1234")}
    assert {(h["channel"], h["granted"]) for h in data["consent"]["history"]} == {("email", True), ("sms", True)}
    assert data["consent"]["current"]["marketing"] == {"email": True, "sms": True}
    kinds = {e["kind"] for e in data["events"]}
    assert {"signed_up", "staff_note", "product_viewed", "order_placed", "cart_added"} <= kinds
    exported = data["orders"][0]
    assert exported["number"] == order.number and exported["lines"][0]["quantity"] == 2
    assert exported["lines"][0]["tax_rate"] == 10 and exported["total"] == order.total
    assert data["cart"]["lines"][0]["sku"] == "LS-L"
    entry = AuditEntry.objects.get(action="customer_data_export")
    assert entry.actor == user and entry.changes["via"] == "storefront" and entry.changes["orders"] == 1


def test_erasure_anonymises_the_person_and_keeps_orders_tax_and_stock(hanako, staff):
    user, customer, order = hanako
    lines_before = list(OrderLine.objects.filter(order=order).values_list("sku", "quantity", "unit_price",
                                                                          "tax_rate", "line_total"))
    ledger_before = StockMovement.objects.count()
    consent_rows_before = ConsentRecord.objects.filter(customer=customer).count()
    privacy.customer_erase(customer=customer, acting_user=staff["administrator"], via="console",
                           reason="phone call")
    customer.refresh_from_db()
    assert customer.erased_at and customer.email is None and customer.phone == "" and customer.given_name == ""
    assert "山田" not in customer.family_name and "ヤマダ" not in customer.search_text
    assert not customer.addresses.exists() and not customer.identities.exists()
    assert not Customer.objects.filter(pk=customer.pk, cart__isnull=False).exists()
    order.refresh_from_db()
    assert order.customer_id == customer.pk and order.total > 0
    assert (order.name, order.email, order.phone, order.search_text) == ("", "", "", "")
    assert list(OrderLine.objects.filter(order=order).values_list("sku", "quantity", "unit_price", "tax_rate",
                                                                  "line_total")) == lines_before
    assert StockMovement.objects.count() == ledger_before
    user.refresh_from_db()
    assert not user.is_active and not user.has_usable_password() and user.email.endswith("@erased.invalid")
    # the email is free again
    customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="山田")
    for event in CustomerEvent.objects.filter(customer=customer):
        assert not {"ip", "user_agent", "query", "note", "staff"} & set(event.data)
    viewed = CustomerEvent.objects.get(customer=customer, kind="product_viewed")
    assert viewed.data == {"code": "LS", "name": "リネンシャツ"}
    # consent: the ledger stays; every granted purpose is withdrawn
    rows = ConsentRecord.objects.filter(customer=customer)
    assert rows.count() == consent_rows_before + 2
    assert set(rows.filter(source="erasure").values_list("channel", "granted")) == {("email", False),
                                                                                   ("sms", False)}
    # the audit trail keeps who did what, not the old values
    assert not AuditEntry.objects.filter(object_type="customers.customer", object_id=str(customer.pk),
                                         changes__has_key="phone").exists()
    erase = AuditEntry.objects.get(action="customer_erase")
    assert erase.actor == staff["administrator"] and erase.changes["via"] == "console"
    assert "山田" not in json.dumps(erase.changes, ensure_ascii=False) and erase.object_repr == f"#{customer.pk}"
    assert DomainEvent.objects.filter(type="customers.customer_erased").exists()
    with pytest.raises(CustomerErased):
        privacy.customer_erase(customer=customer, acting_user=None, via="api")
    with pytest.raises(CustomerErased):
        privacy.customer_data_export(customer=customer, acting_user=None, via="api")


def test_close_my_account_needs_the_password(client, hanako):
    user, customer, _order = hanako
    client.force_login(user)
    assert client.get(reverse("storefront:account_privacy")).status_code == 200
    response = client.post(reverse("storefront:account_close"), {"password": "wrong", "confirm": "on"})
    assert response.status_code == 400 and "password" in response.context["close_form"].errors
    customer.refresh_from_db()
    assert customer.erased_at is None
    response = client.post(reverse("storefront:account_close"), {"password": "pass-Word-123", "confirm": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("storefront:account_closed")
    customer.refresh_from_db()
    assert customer.erased_at is not None
    assert client.get(reverse("storefront:account_profile")).status_code == 302  # signed out


def test_download_my_data_is_a_post_with_only_my_data(client, hanako):
    user, customer, _order = hanako
    other_user, _other = customer_sign_up(email="taro@example.jp", password="pass-Word-123", family_name="佐藤")
    client.force_login(other_user)
    assert client.get(reverse("storefront:account_data_download")).status_code == 405
    response = client.post(reverse("storefront:account_data_download"))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["profile"]["family_name"] == "佐藤" and data["orders"] == []
    assert "hanako" not in response.content.decode()


def test_staff_privacy_requests_in_the_console(client, hanako, staff):
    _user, customer, _order = hanako
    client.force_login(staff["hq_marketer"])
    assert client.get(reverse("console:customer_privacy", args=[customer.pk])).status_code == 403
    client.force_login(staff["administrator"])
    assert client.get(reverse("console:customer_privacy", args=[customer.pk])).status_code == 200
    response = client.post(reverse("console:customer_privacy_export", args=[customer.pk]))
    assert response.status_code == 200 and json.loads(response.content)["customer_id"] == customer.pk
    response = client.post(reverse("console:customer_privacy_erase", args=[customer.pk]),
                           {"reason": "電話 2026-11-30", "confirm_id": customer.pk + 1})
    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.erased_at is None
    response = client.post(reverse("console:customer_privacy_erase", args=[customer.pk]),
                           {"reason": "電話 2026-11-30", "confirm_id": customer.pk})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.erased_at is not None
    assert set(AuditEntry.objects.filter(action__in=["customer_data_export", "customer_erase"]).values_list(
        "action", "actor")) == {("customer_erase", staff["administrator"].pk),
                                ("customer_data_export", staff["administrator"].pk)}


def test_api_export_and_erase(client, hanako, staff):
    _user, customer, order = hanako
    client.force_login(staff["hq_marketer"])
    assert client.post(f"/api/v1/customers/{customer.pk}/export/").status_code == 403
    client.force_login(staff["administrator"])
    response = client.post(f"/api/v1/customers/{customer.pk}/export/")
    assert response.status_code == 200 and response.json()["orders"][0]["number"] == order.number
    bad = client.post(f"/api/v1/customers/{customer.pk}/erase/", {"reason": "x", "confirm": 0},
                      content_type="application/json")
    assert bad.status_code == 400 and "confirm" in bad.json()["errors"]
    response = client.post(f"/api/v1/customers/{customer.pk}/erase/", {"reason": "mail", "confirm": customer.pk},
                           content_type="application/json")
    assert response.status_code == 200 and response.json()["erased_at"]
    again = client.post(f"/api/v1/customers/{customer.pk}/erase/", {"reason": "mail", "confirm": customer.pk},
                        content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "customer_erased"
    assert Order.objects.get(pk=order.pk).email == ""


def test_erased_customers_cannot_sign_in(client, hanako):
    user, customer, _order = hanako
    privacy.customer_erase(customer=customer, acting_user=user, via="storefront")
    response = client.post(reverse("storefront:login"), {"username": "hanako@example.jp",
                                                          "password": "pass-Word-123"})
    assert response.status_code == 200  # the form again
    assert get_user_model().objects.filter(pk=user.pk, is_active=False).exists()


def test_erasure_scrubs_what_a_merge_kept_and_an_erased_record_cannot_be_merged(hanako, staff):
    from customers import merge
    from customers.errors import MergeCustomerErased
    from customers.models import CustomerMerge

    user, customer, order = hanako
    twin = customer_create(family_name="山田", given_name="花子", email="hanako.pos@example.jp", phone="03-1111-2222")
    record = merge.customer_merge(survivor=customer, merged=twin, acting_user=staff["hq_marketer"], reason="電話で確認")
    assert record.merged_snapshot["email"] == "hanako.pos@example.jp"
    privacy.customer_erase(customer=customer, acting_user=staff["administrator"], via="console", reason="phone")
    record.refresh_from_db()
    assert record.merged_snapshot == {"erased": True} and record.merged_name == "" and record.reason == ""
    assert "hanako.pos@example.jp" not in str(CustomerMerge.objects.values_list("merged_snapshot", flat=True))
    other = customer_create(family_name="佐藤", email="sato@example.jp")
    with pytest.raises(MergeCustomerErased):
        merge.customer_merge(survivor=customer, merged=other, acting_user=staff["hq_marketer"])
    with pytest.raises(MergeCustomerErased):
        merge.customer_merge(survivor=other, merged=customer, acting_user=staff["hq_marketer"])
