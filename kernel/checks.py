"""System checks of the project's own settings (run by ``manage.py check`` and at start-up)."""

import re

from django.conf import settings
from django.core import checks

# 適格請求書発行事業者登録番号: "T" and 13 ASCII digits (\d would also accept full-width digits).
REGISTRATION_NUMBER = re.compile(r"T[0-9]{13}")


def check_invoice_registration_number(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Receipts and order emails are qualified (simplified) invoices: they must carry a
    well-formed invoice issuer registration number."""
    value = getattr(settings, "INVOICE_REGISTRATION_NUMBER", "")
    if isinstance(value, str) and REGISTRATION_NUMBER.fullmatch(value):
        return []
    return [checks.Error(
        f"INVOICE_REGISTRATION_NUMBER must be 'T' followed by 13 digits (got {value!r}).",
        hint="Set the INVOICE_REGISTRATION_NUMBER environment variable to the seller's qualified invoice "
             "issuer registration number, e.g. T1234567890123.",
        id="omnishop.E001",
    )]


# The seller name the settings carried as their default until issue 6: a placeholder, not a business.
PLACEHOLDER_SELLER_NAME = "株式会社オムニショップ"


def check_invoice_seller_name(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Receipts name the seller (qualified invoice): warn while that name is a placeholder, and in
    production while it is not set beside the registration number it belongs to."""
    value = getattr(settings, "INVOICE_SELLER_NAME", "")
    hint = ("Set the INVOICE_SELLER_NAME environment variable to the registered name of the business that "
            "holds INVOICE_REGISTRATION_NUMBER, e.g. 株式会社ミナト商店.")
    if value == PLACEHOLDER_SELLER_NAME:
        return [checks.Warning(f"INVOICE_SELLER_NAME is still the placeholder {value!r}: receipts would name "
                               "a business that does not exist.", hint=hint, id="omnishop.W001")]
    if not value and settings.MODE == "production":
        return [checks.Warning("INVOICE_SELLER_NAME is not set: receipts and order confirmations name the "
                               "seller from the brand kit's company name, which HQ edits in the console.",
                               hint=hint, id="omnishop.W001")]
    return []


def check_site_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """In production, links in customer emails must not point at this machine."""
    from urllib.parse import urlsplit

    host = urlsplit(getattr(settings, "SITE_URL", "")).hostname or ""
    if settings.MODE == "production" and host in {"", "localhost", "127.0.0.1", "::1"}:
        return [checks.Warning(
            f"SITE_URL is {settings.SITE_URL!r}: links in customer emails would point at this machine.",
            hint="Set the SITE_URL environment variable to the shop's public address, e.g. https://shop.example.jp.",
            id="omnishop.W002",
        )]
    return []
