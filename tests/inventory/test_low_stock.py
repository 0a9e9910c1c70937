""""Low stock" is one threshold (inventory.models.LOW_STOCK_THRESHOLD) for the dashboard, the
console's stock page and the API's ``low`` filter."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from inventory import selectors
from inventory.models import LOW_STOCK_THRESHOLD, StockLevel
from tests.builders import build_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    """Store B holds exactly the threshold of each size, store A one more, the warehouse plenty."""
    return build_shop(stock_a=LOW_STOCK_THRESHOLD + 1, stock_b=LOW_STOCK_THRESHOLD,
                      stock_warehouse=LOW_STOCK_THRESHOLD + 10)


def test_the_selector_and_the_queryset_default_to_the_threshold(shop):
    assert {level.location for level in selectors.low_stock()} == {shop.store_b}
    assert {level.location for level in StockLevel.objects.low()} == {shop.store_b}


def test_the_dashboard_the_stock_page_and_the_api_agree_on_what_is_low(client, shop, staff):
    client.force_login(staff["administrator"])
    dashboard = client.get(reverse("console:dashboard")).context["low_stock"]
    assert {level.location for level in dashboard} == {shop.store_b}

    page = client.get(reverse("console:stock"), {"low": "1"})
    assert {level.location for level in page.context["page"]} == {shop.store_b}
    assert page.context["threshold"] == LOW_STOCK_THRESHOLD

    api = APIClient()
    api.force_authenticate(user=staff["administrator"])
    low = api.get("/api/v1/stock-levels/", {"low": "true"}).json()["results"]
    assert {row["location"] for row in low} == {shop.store_b.code}
    rest = api.get("/api/v1/stock-levels/", {"low": "false"}).json()["results"]
    assert {row["location"] for row in rest} == {shop.store_a.code, shop.warehouse.code}
