"""Each service publishes its domain event (kernel.events) in its own transaction."""

import pytest
from django.utils import timezone

from customers.services import consent_set, customer_sign_up
from inventory import services as inventory
from kernel.models import DomainEvent
from orders import services
from orders.services import FulfillmentIn, LineIn
from tests.builders import CASH_AT_DESK

pytestmark = pytest.mark.django_db

SHIP_TO = {"name": "山田 太郎", "postal_code": "150-0001", "prefecture": "13", "city": "渋谷区",
           "line1": "神宮前1-2-3", "phone": "090-1111-2222"}


def published(after: int = 0) -> list[tuple[str, str]]:
    return list(DomainEvent.objects.filter(id__gt=after).values_list("type", "subject"))


def last_id() -> int:
    return DomainEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_the_pickup_flow_publishes_placed_ready_and_picked_up(shop, staff):
    start = last_id()
    order = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"))
    group = services.fulfillment_mark_ready(fulfillment=order.fulfillments.get(), acting_user=staff["store_staff"])
    services.fulfillment_hand_over(fulfillment=group, acting_user=staff["store_staff"], tenders=CASH_AT_DESK)
    subject = f"order:{order.number}"
    assert published(start) == [("orders.order_placed", subject), ("orders.fulfillment_ready", subject),
                                ("orders.picked_up", subject)]
    placed, ready, _picked = DomainEvent.objects.filter(id__gt=start)
    assert placed.payload == {"order_id": order.pk, "number": order.number, "channel": shop.web.code,
                              "customer_id": None, "total": 5500, "currency": "JPY", "method": "pickup",
                              "location_id": shop.store_a.pk, "lines": 1}
    assert ready.payload["from_status"] == "reserved" and ready.payload["to_status"] == "ready"
    assert ready.actor == staff["store_staff"]


def test_shipping_publishes_shipped(shop):
    order = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)],
                                 fulfillment=FulfillmentIn("ship", "wh-kanto", address=SHIP_TO))
    start = last_id()
    services.fulfillment_ship(fulfillment=order.fulfillments.get(), tracking_number="1234")
    assert published(start) == [("orders.shipped", f"order:{order.number}")]


def test_a_failed_order_publishes_nothing(shop):
    start = last_id()
    with pytest.raises(Exception):  # noqa: B017 - OutOfStock, whichever error: nothing published
        services.order_place(channel=shop.web, lines=[LineIn("LS-S", 99)],
                             fulfillment=FulfillmentIn("pickup", "shibuya"))
    assert published(start) == []


def test_cancelling_the_last_units_publishes_cancelled_and_stock_available_again():
    from tests.builders import build_shop

    shop = build_shop(stock_a=1)
    order = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"))
    start = last_id()
    services.order_cancel(order=order, reason="changed my mind")
    assert published(start) == [("orders.fulfillment_cancelled", f"order:{order.number}"),
                                ("inventory.stock_available", "sku:LS-S")]
    event = DomainEvent.objects.get(type="inventory.stock_available", id__gt=start)
    assert event.payload == {"variant_id": shop.small.pk, "sku": "LS-S", "location_id": shop.store_a.pk,
                             "location": "shibuya", "available": 1}


def test_an_uncollected_pickup_publishes_pickup_expired(shop):
    order = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"))
    services.fulfillment_mark_ready(fulfillment=order.fulfillments.get())
    start = last_id()
    services.pickups_expire_overdue(now=timezone.now() + timezone.timedelta(days=30), hold_days=7)
    assert ("orders.pickup_expired", f"order:{order.number}") in published(start)


def test_stock_available_is_published_only_when_available_goes_from_zero_to_more(shop):
    start = last_id()
    inventory.stock_receive(variant=shop.small, location=shop.locker, quantity=2)
    inventory.stock_receive(variant=shop.small, location=shop.locker, quantity=1)  # 2 -> 3: nothing
    inventory.stock_adjust(variant=shop.small, location=shop.locker, quantity=-3, note="damaged")
    inventory.stock_adjust(variant=shop.small, location=shop.locker, quantity=1, note="found")
    assert published(start) == [("inventory.stock_available", "sku:LS-S")] * 2
    assert [e.payload["available"] for e in DomainEvent.objects.filter(id__gt=start)] == [2, 1]


def test_sign_up_and_consent_changes_publish(shop):
    start = last_id()
    user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="佐藤",
                                      email_marketing=True, channel=shop.web)
    consent_set(customer=customer, channel="email", granted=False, source="preferences")
    subject = f"customer:{customer.pk}"
    assert published(start) == [("customers.signed_up", subject), ("customers.consent_changed", subject),
                                ("customers.consent_changed", subject)]
    signed_up, granted, withdrawn = DomainEvent.objects.filter(id__gt=start)
    assert signed_up.payload == {"customer_id": customer.pk, "user_id": user.pk, "channel": shop.web.code,
                                 "source": "storefront-signup"}
    assert granted.payload["granted"] is True and withdrawn.payload["granted"] is False
