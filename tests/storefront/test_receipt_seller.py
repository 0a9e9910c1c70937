"""The receipt names the business the page footer names (issue 6: the demo's receipt said
株式会社オムニショップ under a 株式会社ミナト商店 footer)."""

import pytest
from django.urls import reverse

from brandkit import services as brandkit
from orders import services
from orders.services import FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db


def test_the_demo_receipt_names_the_company_of_the_brand_kit_and_its_footer(shop, customer, customer_client,
                                                                            settings):
    settings.INVOICE_SELLER_NAME = ""  # not set in the environment
    brandkit.brandkit_seed_default()
    order = services.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 1)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"))
    html = customer_client.get(reverse("storefront:receipt", args=[order.number])).content.decode()

    seller = html.split('class="invoice__seller-name">', 1)[1].split("<", 1)[0]
    assert seller == "株式会社ミナト商店"
    footer = html.split('class="sf-footer__legal">', 1)[1].split("<", 1)[0]
    assert footer.startswith(seller)
    assert "株式会社オムニショップ" not in html
