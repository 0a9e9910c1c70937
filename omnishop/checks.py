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
