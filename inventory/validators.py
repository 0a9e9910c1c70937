import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def normalize_barcode(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip().replace(" ", "").replace("-", "")


ZONE_MAX_LENGTH = 30
# What a zone / bin label may not hold: the separators of the bulk form's lines (comma, tab) and
# control characters.
_ZONE_FORBIDDEN = re.compile(r"[,\t\x00-\x1f\x7f]")


def normalize_zone(value: str) -> str:
    """A zone / bin label as stored: NFKC (full-width Ａ－０３ is A-03), spaces collapsed,
    upper case, so a label typed or scanned either way is the same shelf."""
    return " ".join(unicodedata.normalize("NFKC", value or "").split()).upper()


def validate_zone(value: str) -> None:
    if len(value) > ZONE_MAX_LENGTH:
        raise ValidationError(_("A zone / bin has at most %(n)d characters."), code="zone_length",
                              params={"n": ZONE_MAX_LENGTH})
    if _ZONE_FORBIDDEN.search(value):
        raise ValidationError(_("A zone / bin cannot contain a comma or a tab."), code="zone_characters")


def ean13_check_digit(first12: str) -> int:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return (10 - total % 10) % 10


def validate_ean13(value: str) -> None:
    """JAN / EAN-13: thirteen digits whose last one is the GS1 check digit."""
    code = normalize_barcode(value)
    if len(code) != 13 or not code.isdigit():
        raise ValidationError(_("A JAN/EAN-13 barcode has exactly 13 digits."), code="ean13_length")
    if ean13_check_digit(code[:12]) != int(code[12]):
        raise ValidationError(
            _("The check digit of %(code)s is wrong (expected %(digit)s)."),
            code="ean13_check_digit",
            params={"code": code, "digit": ean13_check_digit(code[:12])},
        )


def validate_price(value: int) -> None:
    """At most ``settings.MAX_PRICE`` yen, read when a price is checked (not at import), so the
    console, the API and the admin refuse the same prices as the deployment's setting says."""
    limit = settings.MAX_PRICE
    if value is not None and value > limit:
        raise ValidationError(_("Enter a price of at most ¥%(max)s."), code="price_max",
                              params={"max": f"{limit:,}"})
