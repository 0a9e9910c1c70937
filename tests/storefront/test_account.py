import pytest
from django.urls import reverse

from customers.models import ConsentRecord, ConsentRequest, Customer
from customers.selectors import consent_state
from customers.services import customer_sign_up
from orders import services
from orders.services import FulfillmentIn, LineIn

from .conftest import make_product

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "Taro@Example.jp", "password1": "kiri-Tanpo-987", "password2": "kiri-Tanpo-987",
    "family_name": "佐藤", "given_name": "太郎", "family_name_kana": "さとう", "given_name_kana": "ﾀﾛｳ",
    "phone": "０９０-１１１１-２２２２",
}


def test_signup_with_consent_asks_for_confirmation_by_email_and_logs_in(shop, client, mailoutbox,
                                                                        django_capture_on_commit_callbacks):
    """Email marketing ticked on the storefront is a double opt-in: nothing is granted until the
    customer follows the link in the confirmation email."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("storefront:signup"), {**SIGNUP, "email_marketing": "on"},
                               HTTP_USER_AGENT="Mozilla/5.0 test")
    assert response.status_code == 302 and response["Location"] == reverse("storefront:account")
    customer = Customer.objects.get(email="taro@example.jp")
    assert (customer.family_name_kana, customer.given_name_kana) == ("サトウ", "タロウ")
    assert not ConsentRecord.objects.filter(customer=customer).exists()
    request = ConsentRequest.objects.get(customer=customer)
    assert (request.channel, request.purpose, request.source, request.source_detail) == (
        "email", "marketing", "storefront", "storefront-signup")
    assert (request.ip_address, request.user_agent) == ("127.0.0.1", "Mozilla/5.0 test")
    assert [m.to for m in mailoutbox] == [["taro@example.jp"]]
    assert client.get(reverse("storefront:account")).context["customer"] == customer


def test_signup_without_ticking_the_box_records_no_consent(shop, client):
    client.post(reverse("storefront:signup"), SIGNUP)
    customer = Customer.objects.get(email="taro@example.jp")
    assert consent_state(customer=customer) == {"email": False}
    page = client.get(reverse("storefront:signup"))
    assert page.status_code == 302  # already logged in


def test_signup_form_starts_with_the_marketing_box_unticked(client, db):
    html = client.get(reverse("storefront:signup")).content.decode()
    assert 'name="email_marketing"' in html
    assert "checked" not in html.split('name="email_marketing"')[1].split(">")[0]


@pytest.mark.parametrize("change, field", [
    ({"password2": "other-Pass-123"}, "password2"),
    ({"password1": "12345678", "password2": "12345678"}, "password1"),
    ({"family_name_kana": "Sato"}, "family_name_kana"),
    ({"phone": "12"}, "phone"),
])
def test_signup_shows_field_errors(client, db, change, field):
    response = client.post(reverse("storefront:signup"), {**SIGNUP, **change})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Customer.objects.exists()


def test_login_page_logs_in_by_email_and_follows_next(shop, customer, client):
    response = client.post(reverse("storefront:login") + "?next=/checkout/",
                           {"username": "hanako@example.jp", "password": "pass-Word-123", "next": "/checkout/"})
    assert response.status_code == 302 and response["Location"] == "/checkout/"


def test_logout_is_a_post(customer_client):
    assert customer_client.post(reverse("storefront:logout")).status_code == 302
    assert customer_client.get(reverse("storefront:account")).status_code == 302


def test_consent_toggle_records_storefront_source_and_the_grid_is_shown(shop, customer, customer_client):
    """The older one-toggle form shape still works (an SMS opt-in is granted at once)."""
    customer_client.post(reverse("storefront:consent"), {"channel": "sms", "granted": "1"})
    assert consent_state(customer=customer) == {"email": False, "sms": True}
    latest = customer.consent_records.order_by("-id").first()
    assert (latest.source, latest.acting_user) == ("storefront", customer.user)
    response = customer_client.get(reverse("storefront:account"))
    rows = {row["channel"]: row for row in response.context["consent_rows"]}
    assert [cell["granted"] for cell in rows["sms"]["cells"]] == [True, False, False]
    html = response.content.decode()
    assert 'id="consent-grid"' in html and 'value="sms:marketing" checked' in html


def test_account_lists_the_customers_orders_with_status(shop, customer, customer_client):
    order = services.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 1)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"))
    response = customer_client.get(reverse("storefront:account"))
    assert list(response.context["orders"]) == [order]
    assert "badge--placed" in response.content.decode()


def other_customers_order(shop):
    _user, other = customer_sign_up(email="jiro@example.jp", password="pass-Word-123", family_name="鈴木")
    return services.order_place(channel=shop.web, customer=other, lines=[LineIn("LS-S", 1)],
                                fulfillment=FulfillmentIn("pickup", "shibuya"))


def test_a_customer_cannot_see_another_customers_order_or_receipt(shop, customer_client):
    order = other_customers_order(shop)
    assert customer_client.get(reverse("storefront:order", args=[order.number])).status_code == 404
    assert customer_client.get(reverse("storefront:receipt", args=[order.number])).status_code == 404


def test_order_page_shows_the_pickup_code_once_ready(shop, customer, customer_client):
    order = services.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 1)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"))
    group = order.fulfillments.get()
    url = reverse("storefront:order", args=[order.number])
    assert group.pickup_code not in customer_client.get(url).content.decode()
    services.fulfillment_mark_ready(fulfillment=group)
    response = customer_client.get(url)
    html = response.content.decode()
    assert group.pickup_code in html and "pickup-pass__code" in html and "渋谷店" in html
    assert [step["done"] for step in response.context["timeline"]] == [True, True, False]


def test_receipt_shows_tax_per_rate_marks_reduced_items_and_the_registration_number(shop, customer, customer_client,
                                                                                     settings):
    settings.INVOICE_REGISTRATION_NUMBER = "T9876543210987"
    make_product(7, tax_class="reduced", price=1080, stock=[(shop.store_a, 5)])
    order = services.order_place(channel=shop.web, customer=customer,
                                 lines=[LineIn("LS-S", 1), LineIn("IT-7-M", 2)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"))
    response = customer_client.get(reverse("storefront:receipt", args=[order.number]))
    invoice = response.context["invoice"]
    assert [(r.rate, r.total, r.tax) for r in invoice.tax.by_rate] == [(10, 5500, 500), (8, 2160, 160)]
    html = response.content.decode()
    assert "T9876543210987" in html and settings.INVOICE_SELLER_NAME in html
    assert "¥500" in html and "¥160" in html and "¥7,660" in html
    reduced_row = html.split("アイテム7")[0].rsplit("<tr>", 1)[1]
    assert "※" in reduced_row
    linen_row = html.split("リネンシャツ")[-2].rsplit("<tr>", 1)[1]
    assert "※" not in linen_row
