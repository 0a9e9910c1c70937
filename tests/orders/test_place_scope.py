"""The placing rule lives in orders.services: every caller (console, API, tasks) gets it."""

import pytest
from django.core.exceptions import PermissionDenied

from inventory.models import StockLevel
from orders import services
from orders.models import Order
from orders.services import FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db


def test_order_place_refuses_store_staff_acting_for_another_store_and_reserves_nothing(shop, staff):
    with pytest.raises(PermissionDenied):
        services.order_place(channel=shop.pos_a, lines=[LineIn("LS-S", 1)], fulfillment=FulfillmentIn("pickup", "umeda"),
                             acting_user=staff["store_staff"])

    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=shop.small, location=shop.store_b).reserved == 0


def test_a_customer_account_acting_for_itself_is_not_limited_by_the_staff_rule(shop, staff):
    order = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)],
                                 fulfillment=FulfillmentIn("pickup", "umeda"), acting_user=staff["customer"])
    assert order.fulfillments.get().location == shop.store_b
