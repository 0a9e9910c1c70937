"""The till page in the console: scanning (JAN, full-width, SKU), the line list as an htmx
partial with constant queries, completing a sale once, receipts, and store scope."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory import services as inventory
from inventory.models import StockLevel
from inventory.services import VariantIn
from orders.models import Order, Payment, Register, RegisterSession, TillSale

pytestmark = pytest.mark.django_db


def jan(number: int) -> str:
    body = f"45{number:010d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


@pytest.fixture
def register(shop):
    register = Register.objects.create(location=shop.store_a, code="1", name="レジ1")
    RegisterSession.objects.create(register=register, opening_float=10000)
    return register


@pytest.fixture
def five(shop):
    """Five more items with stock at store A."""
    product = inventory.product_create(code="socks", name="ソックス", variants=[
        VariantIn(sku=f"SO-{k}", barcode=jan(k), price=990 + k) for k in range(5)])
    for variant in product.variants.all():
        inventory.stock_receive(variant=variant, location=shop.store_a, quantity=5)
    return [jan(k) for k in range(5)]


def scan(client, register, code):
    return client.post(reverse("console:till_scan", kwargs={"register": register.pk}), {"code": code},
                       HTTP_HX_REQUEST="true", HTTP_HX_TARGET="ticket")


def test_scanning_a_jan_full_width_or_a_sku_adds_lines_and_an_unknown_code_says_so(client, staff, shop, register):
    client.force_login(staff["store_staff"])
    response = scan(client, register, "４９０１２３４５６７８９４")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="ticket"') and "console-sidebar" not in html
    assert [row["line"].sku for row in response.context["rows"]] == ["LS-S"]
    response = scan(client, register, "2*ls-l")
    assert [(row["line"].sku, row["line"].quantity) for row in response.context["rows"]] == [("LS-S", 1), ("LS-L", 2)]
    assert response.context["total"] == 16500
    response = scan(client, register, "4900000000000")
    assert "4900000000000" in response.context["scan_error"] and 'role="alert"' in response.content.decode()
    assert len(response.context["rows"]) == 2


def test_the_till_page_and_the_line_partial_take_the_same_queries_for_1_and_5_lines(client, staff, shop, register,
                                                                                      five):
    client.force_login(staff["store_staff"])
    page = reverse("console:till_register", kwargs={"register": register.pk})
    scan(client, register, five[0])
    client.get(page)  # warm the caches
    with CaptureQueriesContext(connection) as one_page:
        client.get(page)
    with CaptureQueriesContext(connection) as one_scan:
        scan(client, register, five[0])
    for code in five[1:]:
        scan(client, register, code)
    with CaptureQueriesContext(connection) as five_page:
        response = client.get(page)
    assert len(response.context["rows"]) == 5
    with CaptureQueriesContext(connection) as five_scan:
        response = scan(client, register, five[4])
    assert len(response.context["rows"]) == 5
    assert len(five_page) == len(one_page)
    assert len(five_scan) == len(one_scan)


def test_completing_the_sale_sells_once_and_shows_the_change(client, staff, shop, register):
    client.force_login(staff["store_staff"])
    scan(client, register, "LS-S")
    url = reverse("console:till_complete", kwargs={"register": register.pk})
    short = client.post(url, {"cash": "1000"}, HTTP_HX_REQUEST="true")
    assert short.status_code == 200 and short.context["tender_form"].errors
    assert not Order.objects.exists() and not Payment.objects.exists()
    done = client.post(url, {"cash": "10000"}, HTTP_HX_REQUEST="true")
    sale = TillSale.objects.get()
    assert done["HX-Redirect"].startswith(reverse("console:till_receipt", kwargs={"number": sale.order.number}))
    again = client.post(url, {"cash": "10000"}, HTTP_HX_REQUEST="true")  # a second tap: the sale is done
    assert again.status_code == 200 and TillSale.objects.count() == 1
    assert StockLevel.objects.get(variant=shop.small, location=shop.store_a).on_hand == 2
    receipt = client.get(reverse("console:till_receipt", kwargs={"number": sale.order.number}) + "?done=1")
    html = receipt.content.decode()
    assert receipt.context["receipt"].change == 4500 and "receipt-reprint" not in html and "receipt--80" in html
    client.post(reverse("console:till_receipt_reprint", kwargs={"number": sale.order.number}))
    html = client.get(reverse("console:till_receipt", kwargs={"number": sale.order.number}) + "?width=58"
                      ).content.decode()
    assert "receipt-reprint" in html and "再発行" in html and "receipt--58" in html


def test_store_b_staff_cannot_use_store_a_registers_or_receipts(client, staff, shop, register):
    client.force_login(staff["store_staff"])
    scan(client, register, "LS-S")
    client.post(reverse("console:till_complete", kwargs={"register": register.pk}), {"cash": "10000"})
    number = TillSale.objects.get().order.number
    client.force_login(staff["store_staff_b"])
    assert client.get(reverse("console:till_register", kwargs={"register": register.pk})).status_code == 403
    assert scan(client, register, "LS-S").status_code == 403
    assert client.get(reverse("console:till_receipt", kwargs={"number": number})).status_code == 404
    assert client.post(reverse("console:till_void", kwargs={"number": number}), {"reason": "x"}).status_code == 404
    assert client.get(reverse("console:till"), {"location": shop.store_a.pk}).status_code == 403
    assert not TillSale.objects.filter(voided_at__isnull=False).exists()


def test_the_member_qr_from_the_account_page_attaches_the_customer_at_the_till(client, staff, shop, register,
                                                                              customer):
    from customers.models import Identity

    client.force_login(customer.user)
    assert 'class="segno"' not in client.get(reverse("storefront:account")).content.decode()
    client.post(reverse("storefront:account_member_card"))
    client.post(reverse("storefront:account_member_card"))  # asking again keeps the one card
    card = Identity.objects.get(customer=customer, kind="loyalty_card")
    page = client.get(reverse("storefront:account")).content.decode()
    assert 'class="segno"' in page and card.value in page
    client.force_login(staff["store_staff"])
    response = client.post(reverse("console:till_customer", kwargs={"register": register.pk}),
                           {"q": card.value}, HTTP_HX_REQUEST="true")
    assert response.context["customer"] == customer
    response = client.post(reverse("console:till_customer", kwargs={"register": register.pk}),
                           {"q": "サトウ"}, HTTP_HX_REQUEST="true")  # by name in kana: one match, attached
    assert response.context["customer"] == customer
