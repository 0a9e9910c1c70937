import pytest
from django.utils import timezone
from django_q.models import Schedule

from inventory.models import StockLevel
from orders import services
from orders.models import OrderStatus
from orders.services import FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db


def test_uncollected_pickups_are_cancelled_after_the_hold_and_stock_is_released(shop):
    order = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"))
    group = services.fulfillment_mark_ready(fulfillment=order.fulfillments.get())
    later = timezone.now() + timezone.timedelta(days=8)
    assert services.pickups_expire_overdue(now=timezone.now(), hold_days=7) == []
    assert services.pickups_expire_overdue(now=later, hold_days=7) == [order.number]
    assert services.pickups_expire_overdue(now=later, hold_days=7) == []
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert StockLevel.objects.get(variant=shop.small, location=group.location).reserved == 0


def test_the_expiry_job_is_scheduled_after_migrate(db):
    assert Schedule.objects.filter(func="orders.tasks.pickups_expire").count() == 1
