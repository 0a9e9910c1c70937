"""The delivery fee of an order.

Home delivery (``FulfillmentMethod.SHIP``) costs ``settings.SHIPPING_FEE_YEN`` (yen, tax
included, at the standard rate: shipping is a standard-rated service even with food in the
parcel), free when the goods come to ``settings.SHIPPING_FREE_OVER_YEN`` or more before
discounts; a pickup at a store is free. A free-shipping offer takes the fee off through the
discount hook (``Order.shipping_discount``); the fee itself is what the order would have cost.

The threshold compares the goods' amount *before* discounts: the fee is known before the
offers are evaluated (they may take it off), so a coupon never makes a free delivery paid.
"""

import re
import unicodedata
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kernel.japan import STANDARD_TAX_RATE

from .models import Carrier, FulfillmentMethod

# The consumption tax rate the delivery fee is charged at.
SHIPPING_TAX_RATE = STANDARD_TAX_RATE


def shipping_fee(*, method: str, subtotal: int) -> int:
    """The fee (yen, tax incl.) of fulfilling goods worth ``subtotal`` (before discounts) by ``method``."""
    if method != FulfillmentMethod.SHIP:
        return 0
    if subtotal >= settings.SHIPPING_FREE_OVER_YEN:
        return 0
    return settings.SHIPPING_FEE_YEN


# --- carriers and tracking numbers ---------------------------------------------------------

# The separators people and scanners put in a slip number: spaces and every dash an IME gives.
_TRACKING_SEPARATORS = str.maketrans("", "", " \t-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70")

# What a carrier's slip number looks like, after ``tracking_number_normalise``, where it is
# simple: Yamato's 送り状番号 and Sagawa's お問い合せ送り状No. are 12 digits; Japan Post's
# domestic parcels (ゆうパック, ゆうパケット...) 11 to 13 digits, its international items two
# letters, nine digits and two letters (EJ123456789JP). Another carrier: up to 40 letters and digits.
TRACKING_PATTERNS = {
    Carrier.YAMATO: re.compile(r"[0-9]{12}"),
    Carrier.SAGAWA: re.compile(r"[0-9]{12}"),
    Carrier.JAPAN_POST: re.compile(r"[0-9]{11,13}|[A-Z]{2}[0-9]{9}[A-Z]{2}"),
    Carrier.OTHER: re.compile(r"[0-9A-Z]{1,40}"),
}

TRACKING_EXAMPLES = {
    Carrier.YAMATO: "1234-5678-9012",
    Carrier.SAGAWA: "1234-5678-9012",
    Carrier.JAPAN_POST: "1234-5678-9012",
    Carrier.OTHER: "AB12345678",
}

# The carriers' public tracking pages, the number filled in.
TRACKING_URLS = {
    Carrier.YAMATO: "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number00=1&number01={number}",
    Carrier.SAGAWA: "https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo={number}",
    Carrier.JAPAN_POST: "https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1={number}",
}


def tracking_number_normalise(value: str) -> str:
    """A slip number as typed or scanned -> as stored: NFKC (full-width digits), upper case,
    without spaces or dashes."""
    return unicodedata.normalize("NFKC", str(value or "")).upper().translate(_TRACKING_SEPARATORS)


def tracking_number_clean(*, carrier: str, tracking_number: str) -> str:
    """The normalised number, or ValidationError naming the field (``carrier`` or
    ``tracking_number``) with what the carrier's numbers look like."""
    if carrier not in Carrier.values:
        raise ValidationError({"carrier": [_("Choose the carrier.")]})
    number = tracking_number_normalise(tracking_number)
    if not number:
        raise ValidationError({"tracking_number": [_("Enter the tracking number from the delivery slip.")]})
    if not TRACKING_PATTERNS[carrier].fullmatch(number):
        if carrier == Carrier.OTHER:
            message = _("A tracking number is made of letters and digits, at most 40.")
        else:
            message = _("This is not a tracking number of %(carrier)s (for example %(example)s).") % {
                "carrier": Carrier(carrier).label, "example": TRACKING_EXAMPLES[carrier]}
        raise ValidationError({"tracking_number": [message]})
    return number


def tracking_url(carrier: str, tracking_number: str) -> str:
    template = TRACKING_URLS.get(carrier)
    if not template or not tracking_number:
        return ""
    return template.format(number=quote(tracking_number))
