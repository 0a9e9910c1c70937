"""The delivery fee of an order.

Home delivery (``FulfillmentMethod.SHIP``) costs ``settings.SHIPPING_FEE_YEN`` (yen, tax
included, at the standard rate: shipping is a standard-rated service even with food in the
parcel), free when the goods come to ``settings.SHIPPING_FREE_OVER_YEN`` or more before
discounts; a pickup at a store is free. A free-shipping offer takes the fee off through the
discount hook (``Order.shipping_discount``); the fee itself is what the order would have cost.

The threshold compares the goods' amount *before* discounts: the fee is known before the
offers are evaluated (they may take it off), so a coupon never makes a free delivery paid.
"""

from django.conf import settings

from kernel.japan import STANDARD_TAX_RATE

from .models import FulfillmentMethod

# The consumption tax rate the delivery fee is charged at.
SHIPPING_TAX_RATE = STANDARD_TAX_RATE


def shipping_fee(*, method: str, subtotal: int) -> int:
    """The fee (yen, tax incl.) of fulfilling goods worth ``subtotal`` (before discounts) by ``method``."""
    if method != FulfillmentMethod.SHIP:
        return 0
    if subtotal >= settings.SHIPPING_FREE_OVER_YEN:
        return 0
    return settings.SHIPPING_FEE_YEN
