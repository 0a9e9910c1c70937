"""The consumption tax rates are the kernel's (kernel.japan): the catalogue's tax classes, the
order lines' constraint, the invoice and every ※ mark on a page follow them."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from inventory import services as inventory
from inventory.models import TaxClass
from inventory.services import VariantIn
from kernel.japan import REDUCED_TAX_RATE, STANDARD_TAX_RATE, TAX_RATES
from orders import services
from orders.models import OrderLine
from orders.services import FulfillmentIn, LineIn
from orders.tax import summarise

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea(shop):
    product = inventory.product_create(code="green-tea", name="緑茶", tax_class=TaxClass.REDUCED, category="お茶",
                                       variants=[VariantIn(sku="TEA-1", barcode="4901234567900", price=1080)])
    inventory.stock_receive(variant=product.variants.get(), location=shop.store_a, quantity=5, reference="PO-9")
    return product


def test_tax_classes_map_onto_the_kernel_rates(shop, tea):
    assert (TaxClass.STANDARD.rate, TaxClass.REDUCED.rate) == (STANDARD_TAX_RATE, REDUCED_TAX_RATE)
    assert (tea.tax_rate, tea.is_reduced_rate) == (REDUCED_TAX_RATE, True)
    assert (shop.product.tax_rate, shop.product.is_reduced_rate) == (STANDARD_TAX_RATE, False)
    assert str(TaxClass.REDUCED.label) == f"軽減税率{REDUCED_TAX_RATE}%"


def test_an_order_line_keeps_one_of_the_kernel_rates_and_no_other(shop, tea):
    order = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1), LineIn("TEA-1", 1)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"))
    assert {(line.sku, line.tax_rate, line.is_reduced_rate) for line in order.lines.all()} == {
        ("LS-S", STANDARD_TAX_RATE, False), ("TEA-1", REDUCED_TAX_RATE, True)}
    line = order.lines.get(sku="LS-S")
    for rate in TAX_RATES:
        OrderLine.objects.filter(pk=line.pk).update(tax_rate=rate)
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderLine.objects.filter(pk=line.pk).update(tax_rate=max(TAX_RATES) + 1)


def test_a_document_names_the_reduced_rate_of_its_lines():
    assert summarise([(1100, STANDARD_TAX_RATE), (1080, REDUCED_TAX_RATE)]).reduced_rate == REDUCED_TAX_RATE
    assert summarise([(1100, STANDARD_TAX_RATE)]).reduced_rate is None


def test_every_reduced_rate_mark_shows_the_kernel_rate(client, shop, staff, tea, customer_account):
    user, _customer = customer_account
    reduced = f"軽減税率{REDUCED_TAX_RATE}%"
    assert reduced in client.get(reverse("storefront:catalogue")).content.decode()  # product card
    assert f"軽減税率（{REDUCED_TAX_RATE}%）" in client.get(
        reverse("storefront:product", kwargs={"code": tea.code})).content.decode()
    client.force_login(user)
    client.post(reverse("storefront:cart_add"), {"sku": "TEA-1", "quantity": "1"})
    cart = client.get(reverse("storefront:cart")).content.decode()
    assert f"※ {REDUCED_TAX_RATE}%" in cart and f"軽減税率（{REDUCED_TAX_RATE}%）対象商品" in cart
    order = services.order_place(channel=shop.web, customer=_customer, lines=[LineIn("TEA-1", 1)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"))
    receipt = client.get(reverse("storefront:receipt", kwargs={"number": order.number})).content.decode()
    assert f"軽減税率（{REDUCED_TAX_RATE}%）対象商品" in receipt

    client.force_login(staff["hq_marketer"])
    products = client.get(reverse("console:products")).content.decode()
    assert f"{REDUCED_TAX_RATE}% ※" in products and f">{STANDARD_TAX_RATE}%<" in products
    detail = client.get(reverse("console:product_detail", kwargs={"pk": tea.pk})).content.decode()
    assert reduced in detail and "※ 軽減税率" in detail


@pytest.fixture
def customer_account(shop):
    from customers.services import customer_sign_up

    return customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="山田",
                            channel=shop.web)
