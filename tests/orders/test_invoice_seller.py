"""The seller a receipt names: INVOICE_SELLER_NAME, else the brand kit's company name (see
tests/storefront/test_receipt_seller.py); the system checks warn while the seller name is a
placeholder or, in production, unset, and while email links point at localhost in production."""

import pytest

from brandkit import services as brandkit
from kernel.checks import check_invoice_seller_name, check_site_url
from orders.selectors import invoice_seller_name

pytestmark = pytest.mark.django_db


def test_the_company_name_follows_the_published_kit_and_the_environment_wins(db, settings):
    settings.INVOICE_SELLER_NAME = ""
    kit = brandkit.brandkit_seed_default()
    draft = brandkit.draft_get_or_create(kit=kit)
    brandkit.draft_update(version=draft, identity={**brandkit.DEFAULT_IDENTITY, "legal_name": "株式会社ミナト"})
    brandkit.version_publish(version=draft)
    assert invoice_seller_name() == "株式会社ミナト"

    settings.INVOICE_SELLER_NAME = "Minato Retail K.K."
    assert invoice_seller_name() == "Minato Retail K.K."


def test_without_a_company_name_the_seller_is_the_brand_name(db, settings):
    settings.INVOICE_SELLER_NAME = ""
    kit = brandkit.brandkit_seed_default()
    draft = brandkit.draft_get_or_create(kit=kit)
    identity = {key: value for key, value in brandkit.DEFAULT_IDENTITY.items() if key != "legal_name"}
    brandkit.draft_update(version=draft, identity=identity)
    brandkit.version_publish(version=draft)

    assert invoice_seller_name() == "ミナト商店"


def test_the_old_placeholder_seller_name_is_a_warning_in_any_mode(settings):
    settings.INVOICE_SELLER_NAME = "株式会社オムニショップ"
    [warning] = check_invoice_seller_name()
    assert warning.id == "omnishop.W001" and not warning.is_serious()


def test_production_warns_until_the_seller_name_is_set(settings):
    settings.INVOICE_SELLER_NAME = ""
    assert check_invoice_seller_name() == []  # dev and test: the brand kit's company name is fine
    settings.MODE = "production"
    [warning] = check_invoice_seller_name()
    assert warning.id == "omnishop.W001"
    settings.INVOICE_SELLER_NAME = "株式会社ミナト商店"
    assert check_invoice_seller_name() == []


@pytest.mark.parametrize("url", ["http://localhost:8000", "http://127.0.0.1:8123/", ""])
def test_production_warns_while_email_links_point_at_this_machine(settings, url):
    settings.SITE_URL = url
    assert check_site_url() == []
    settings.MODE = "production"
    [warning] = check_site_url()
    assert warning.id == "omnishop.W002"
    settings.SITE_URL = "https://shop.example.jp"
    assert check_site_url() == []
