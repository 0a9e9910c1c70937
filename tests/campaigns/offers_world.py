"""Offers test data, built through the services (campaigns.offers, inventory, customers)."""

from datetime import timedelta

from django.utils import timezone

from campaigns import offers
from orders.discounts import DiscountContext, PricedLine


def line(sku: str = "LS-S", *, quantity: int = 1, unit_price: int = 5500, category: str = "シャツ",
         variant_id: int = 1, product_id: int = 1) -> PricedLine:
    return PricedLine(sku=sku, variant_id=variant_id, product_id=product_id, category=category,
                      quantity=quantity, unit_price=unit_price, tax_rate=10)


def context(*, lines=(), codes=(), channel=None, customer=None, shipping_fee: int = 0, at=None,
            kind: str | None = None) -> DiscountContext:
    return DiscountContext(
        customer_id=customer.pk if customer is not None else None, channel_id=channel.pk,
        channel_kind=kind or channel.kind, location_id=channel.location_id, codes=tuple(codes),
        at=at or timezone.now(), subtotal=sum(item.amount for item in lines), shipping_fee=shipping_fee)


def make_offer(user, **fields):
    fields.setdefault("name", "春の10%オフ")
    fields.setdefault("kind", "percent")
    fields.setdefault("value", 10)
    return offers.offer_create(acting_user=user, **fields)


def shared(offer, code: str = "SPRING10", user=None, **fields):
    return offers.code_create_shared(offer=offer, code=code, acting_user=user, **fields)


def one_single_use_code(offer, user=None) -> str:
    batch = offers.codes_generate(offer=offer, count=1, acting_user=user)
    offers.code_batch_fill(batch.pk)
    return batch.codes.get().code


def week_ago():
    return timezone.now() - timedelta(days=7)
