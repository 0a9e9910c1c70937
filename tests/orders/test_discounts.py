"""The one discount hook of orders (orders.discounts) as order_place uses it: providers declared on
an AppConfig (tests/discounts_app), discounts spread over lines in whole yen, tax per rate on the
discounted amounts, refused codes and a provider's late refusal leaving nothing, and the delivery fee."""

import pytest
from django.core import mail
from django.utils import timezone

from inventory import services as inventory
from inventory.models import StockLevel, TaxClass
from inventory.services import VariantIn
from orders import services
from orders.discounts import (
    DiscountContext,
    DiscountRefused,
    DiscountResult,
    LineDiscount,
    PricedLine,
    code_normalise,
    codes_normalise,
    discount_providers,
    discount_spread,
    discounts_evaluate,
)
from orders.models import Order, OrderDiscount
from orders.selectors import order_invoice
from orders.services import ContactIn, FulfillmentIn, LineIn
from orders.tasks import order_email_send
from tests.discounts_app import providers as test_providers

pytestmark = pytest.mark.django_db

SHIP_TO = {"name": "山田 太郎", "postal_code": "150-0001", "prefecture": "13", "city": "渋谷区",
           "line1": "神宮前1-2-3", "phone": "090-1111-2222"}


@pytest.fixture
def discounts_app(settings):
    # first: its answers come before the shop's own offers (campaigns) where both speak
    settings.INSTALLED_APPS = ["tests.discounts_app.apps.DiscountsAppConfig", *settings.INSTALLED_APPS]
    settings.LANGUAGE_CODE = "en"  # the messages checked are the English ones
    test_providers.commits.clear()
    yield
    test_providers.commits.clear()


@pytest.fixture
def tea(shop):
    """A reduced-rate (8 %) item whose price makes the spread and the tax round."""
    product = inventory.product_create(code="green-tea", name="緑茶", tax_class=TaxClass.REDUCED, category="お茶",
                                       variants=[VariantIn(sku="TEA-1", barcode="4901234567900", price=1299)])
    variant = product.variants.get()
    for location in (shop.store_a, shop.warehouse):
        inventory.stock_receive(variant=variant, location=location, quantity=5, reference="PO-9")
    return variant


def place(shop, lines, *, codes=(), method="pickup", location="shibuya", channel=None):
    return services.order_place(
        channel=channel or shop.web, lines=lines, codes=codes, contact=ContactIn(email="taro@example.jp"),
        fulfillment=FulfillmentIn(method, location if method == "pickup" else "wh-kanto",
                                  address=SHIP_TO if method == "ship" else {}))


def reserved(shop, variant) -> int:
    return sum(StockLevel.objects.filter(variant=variant).values_list("reserved", flat=True))


def priced(sku: str, amount: int, quantity: int = 1) -> PricedLine:
    return PricedLine(sku=sku, variant_id=1, product_id=1, category="", quantity=quantity,
                      unit_price=amount // quantity, tax_rate=10)


# --- the hook itself ----------------------------------------------------------------------------

def test_codes_are_compared_without_width_case_spaces_or_dashes():
    assert code_normalise(" ｓｕｍｍｅｒ－１０ ") == "SUMMER10"
    assert code_normalise("summer ー 10") == code_normalise("SUMMER-10") == "SUMMER10"
    assert codes_normalise(["ten", "", "TEN", " t-e-n ", "ship free"]) == ("TEN", "SHIPFREE")


def test_a_discount_is_spread_in_whole_yen_by_the_largest_remainder_ties_to_the_earlier_line():
    three = [priced("A", 1000), priced("B", 1000), priced("C", 1000)]
    assert [(d.sku, d.amount) for d in discount_spread(amount=100, lines=three, reason="x")] == [
        ("A", 34), ("B", 33), ("C", 33)]
    # 809 over 2,598 and 5,500: 259.54… and 549.46…: the yen left goes to the larger remainder
    lines = [priced("TEA", 2598, 2), priced("SHIRT", 5500)]
    assert [(d.sku, d.amount) for d in discount_spread(amount=809, lines=lines, reason="x")] == [
        ("TEA", 260), ("SHIRT", 549)]
    assert sum(d.amount for d in discount_spread(amount=10**6, lines=lines, reason="x")) == 8098  # capped


def test_the_merged_result_never_takes_more_off_a_line_than_its_amount_or_more_shipping_than_the_fee():
    class Greedy:
        name = "greedy"

        def evaluate(self, *, lines, context):
            return DiscountResult(line_discounts=[LineDiscount("A", 700, "first"), LineDiscount("A", 700, "second")],
                                  shipping_discount=9999)

    context = DiscountContext(customer_id=None, channel_id=1, channel_kind="web", location_id=None, codes=(),
                              at=timezone.now(), subtotal=1000, shipping_fee=550)
    result = discounts_evaluate(lines=[priced("A", 1000)], context=context, providers=[Greedy()])
    assert [(d.amount, d.reason) for d in result.line_discounts] == [(700, "first"), (300, "second")]
    assert result.shipping_discount == 550 and result.total == 1550


def test_providers_come_from_the_app_configs_that_declare_them(discounts_app):
    # the test app's, then the shop's own offers (campaigns), in INSTALLED_APPS order
    assert [provider.name for provider in discount_providers()] == ["test", "offers"]


def test_a_code_no_provider_knows_is_refused_as_unknown(shop, settings):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(DiscountRefused) as refused:
        place(shop, [LineIn("LS-S", 1)], codes=["ten"])
    assert [(r.code, r.reason) for r in refused.value.refused] == [("TEN", "unknown")]
    assert refused.value.errors == {"codes": ["The code TEN does not exist."]}
    assert not Order.objects.exists()


# --- order_place with discounts ----------------------------------------------------------------

def test_a_percentage_is_spread_over_the_lines_and_tax_is_per_rate_on_the_discounted_amounts(
        shop, tea, discounts_app):
    order = place(shop, [LineIn("TEA-1", 2), LineIn("LS-S", 1)], codes=["ｔｅｎ"])
    tea_line, shirt_line = order.lines.order_by("id")
    # 10 % of 8,098 = 809, spread as above; each line keeps its reason
    assert (tea_line.line_total, tea_line.discount, tea_line.amount, tea_line.discount_reason) == (
        2598, 260, 2338, "10% off")
    assert (shirt_line.line_total, shirt_line.discount, shirt_line.amount) == (5500, 549, 4951)
    assert (order.discount_total, order.shipping_fee, order.total) == (809, 0, 7289)
    # the invoice, by hand: 8 % items 2,338 -> tax 2,338 × 8 / 108 = 173.1… -> 173;
    # 10 % items 4,951 -> 4,951 × 10 / 110 = 450.09… -> 450 (rounded down once per rate)
    invoice = order_invoice(Order.objects.get(pk=order.pk))
    assert [(r.rate, r.total, r.tax) for r in invoice.tax.by_rate] == [(10, 4951, 450), (8, 2338, 173)]
    assert (invoice.tax.total, invoice.subtotal, invoice.discount_total, invoice.savings) == (7289, 8098, 809, 809)
    [applied] = OrderDiscount.objects.filter(order=order)
    assert (applied.provider, applied.offer_id, applied.code, applied.label, applied.amount, applied.campaign_id) == (
        "test", 1, "TEN", "10% off", 809, 7)
    assert test_providers.commits == [(order.number, ("TEN",))]


def test_a_refused_code_places_nothing_even_beside_a_good_one(shop, discounts_app):
    with pytest.raises(DiscountRefused) as refused:
        place(shop, [LineIn("LS-S", 1)], codes=["TEN", "BIG", "NOPE"])
    assert [(r.code, r.reason) for r in refused.value.refused] == [("BIG", "min_spend"), ("NOPE", "unknown")]
    assert refused.value.errors["codes"] == ["Spend 20,000 yen to use BIG.", "The code NOPE does not exist."]
    assert not Order.objects.exists() and not OrderDiscount.objects.exists()
    assert reserved(shop, shop.small) == 0 and test_providers.commits == []


def test_a_provider_refusing_at_commit_rolls_back_the_whole_order_and_its_stock_reservation(shop, discounts_app):
    with pytest.raises(DiscountRefused) as refused:
        place(shop, [LineIn("LS-S", 2)], codes=["RACE"])
    assert [(r.code, r.reason) for r in refused.value.refused] == [("RACE", "exhausted")]
    assert len(test_providers.commits) == 1  # the order rows existed when it was asked
    assert not Order.objects.exists() and not OrderDiscount.objects.exists()
    assert reserved(shop, shop.small) == 0


def test_a_code_for_the_till_applies_on_a_pos_order_and_is_refused_on_the_web(shop, discounts_app):
    order = place(shop, [LineIn("LS-S", 1)], codes=["till"], channel=shop.pos_a)
    assert (order.discount_total, order.total, order.lines.get().discount_reason) == (300, 5200, "Store coupon")
    with pytest.raises(DiscountRefused) as refused:
        place(shop, [LineIn("LS-S", 1)], codes=["till"])
    assert refused.value.refused[0].reason == "wrong_channel"


# --- the delivery fee ---------------------------------------------------------------------------

def test_delivery_costs_the_fee_under_the_threshold_and_nothing_from_it_and_pickup_is_free(shop, tea, settings):
    settings.SHIPPING_FEE_YEN, settings.SHIPPING_FREE_OVER_YEN = 550, 5000
    cheap = place(shop, [LineIn("TEA-1", 1)], method="ship")
    assert (cheap.shipping_fee, cheap.shipping_discount, cheap.total) == (550, 0, 1299 + 550)
    # the fee is standard-rated on the invoice: 10 % 550 -> 50; 8 % 1,299 -> 96
    invoice = order_invoice(Order.objects.get(pk=cheap.pk))
    assert [(r.rate, r.total, r.tax) for r in invoice.tax.by_rate] == [(10, 550, 50), (8, 1299, 96)]
    assert place(shop, [LineIn("LS-S", 1)], method="ship").shipping_fee == 0  # 5,500 >= 5,000
    assert place(shop, [LineIn("TEA-1", 1)]).shipping_fee == 0  # pickup


def test_a_free_shipping_offer_takes_the_fee_off(shop, tea, discounts_app):
    order = place(shop, [LineIn("TEA-1", 1)], method="ship", codes=["shipfree"])
    assert (order.shipping_fee, order.shipping_discount, order.total) == (550, 550, 1299)
    invoice = order_invoice(Order.objects.get(pk=order.pk))
    assert [(r.rate, r.total) for r in invoice.tax.by_rate] == [(8, 1299)]
    assert OrderDiscount.objects.get(order=order).free_shipping


# --- the documents --------------------------------------------------------------------------------

def test_the_confirmation_email_shows_each_discounted_line_with_its_reason_and_the_discount_total(
        shop, tea, discounts_app, settings):
    settings.LANGUAGE_CODE = "en"
    order = place(shop, [LineIn("TEA-1", 2), LineIn("LS-S", 1)], codes=["TEN"], method="ship")
    mail.outbox.clear()
    assert order_email_send(order.pk, "confirmation")
    [message] = mail.outbox
    assert "Discount: 10% off  −¥260" in message.body and "Discount: 10% off  −¥549" in message.body
    assert "Discount total: −¥809" in message.body and "Total (tax incl.): ¥7,289" in message.body
    html = message.alternatives[0][0]
    assert "10% off" in html and "−¥809" in html
