"""The order confirmation email is a complete qualified simplified invoice (適格簡易請求書), in
both its text and HTML parts; the registration number it carries is checked at start-up."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.core.checks import run_checks

from inventory import services as inventory
from inventory.services import VariantIn
from kernel.checks import check_invoice_registration_number
from orders import services
from orders.models import Order
from orders.services import ContactIn, FulfillmentIn, LineIn
from orders.tasks import order_email_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed_rate_order(shop, settings):
    """A shirt at 10 % and two packs of tea at the reduced 8 %, ordered at 01:30 on 1 April in Tokyo
    (still 31 March in UTC)."""
    settings.LANGUAGE_CODE = "en"
    settings.INVOICE_SELLER_NAME = "Minato Retail K.K."
    settings.INVOICE_REGISTRATION_NUMBER = "T9876543210987"
    tea = inventory.product_create(code="green-tea", name="Green tea", tax_class="reduced",
                                   variants=[VariantIn(sku="TEA-1", barcode="4901234567900", price=1080)])
    inventory.stock_receive(variant=tea.variants.get(), location=shop.store_a, quantity=5, reference="PO-9")
    order = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1), LineIn("TEA-1", 2)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"),
                                 contact=ContactIn(email="taro@example.jp", name="Taro Yamada"))
    Order.objects.filter(pk=order.pk).update(created_at=datetime(2025, 3, 31, 16, 30, tzinfo=UTC))
    mail.outbox.clear()
    assert order_email_send(order.pk, "confirmation") is True
    [message] = mail.outbox
    return message


def html_of(message) -> str:
    return next(body for body, mime in message.alternatives if mime == "text/html")


def test_text_part_has_the_shop_date_items_marked_and_totals_and_tax_per_rate(mixed_rate_order):
    text = mixed_rate_order.body
    assert "Date: 2025/04/01" in text  # the shop's calendar day (Asia/Tokyo), not UTC's 31 March
    assert "- ※ Green tea × 2  ¥2,160" in text
    assert "- リネンシャツ S × 1  ¥5,500" in text  # standard rate: no mark
    assert "10% items ¥5,500 (tax ¥500)" in text
    assert "8% items ¥2,160 (tax ¥160)" in text
    assert "※ reduced tax rate (8%) item" in text
    assert "Minato Retail K.K." in text and "Registration number: T9876543210987" in text


def test_html_part_is_a_brand_styled_invoice_table_with_date_and_per_rate_rows(mixed_rate_order):
    html = html_of(mixed_rate_order)
    assert "<pre" not in html
    assert "background:#1F4E79" in html  # the brand kit's primary colour: the email base is kept
    assert '<td class="invoice-date" style="padding:2px 0">2025/04/01</td>' in html
    rows = html.split('<tr class="tax-rate">')[1:]
    assert len(rows) == 2
    assert "10% items" in rows[0] and "¥5,500" in rows[0] and "¥500" in rows[0]
    assert "8% items ※" in rows[1] and "¥2,160" in rows[1] and "¥160" in rows[1]
    assert "※</span> Green tea" in html
    assert "Minato Retail K.K." in html and "T9876543210987" in html


@pytest.mark.parametrize("number", ["T1234567890123", "T9876543210987"])
def test_a_well_formed_registration_number_passes_the_system_check(settings, number):
    settings.INVOICE_REGISTRATION_NUMBER = number
    assert check_invoice_registration_number() == []


@pytest.mark.parametrize("number", ["", "1234567890123", "T123456789012", "T12345678901234", "t1234567890123",
                                    "T123456789012X", "T１２３４５６７８９０１２３", "T1234567890123\n", None])
def test_a_malformed_registration_number_is_a_system_check_error(settings, number):
    settings.INVOICE_REGISTRATION_NUMBER = number
    [error] = [message for message in run_checks() if message.id == "omnishop.E001"]
    assert error.is_serious()
