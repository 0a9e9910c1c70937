"""Dashboard figures from real data, order pages and the single customer view."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from customers.models import EventKind
from kernel.models import ChannelKind
from orders import services as orders
from orders.models import Order
from tests.builders import CASH_AT_DESK

from .conftest import place_pickup


def test_dashboard_counts_todays_sales_by_channel_and_skips_cancelled(client, staff, shop, pickups):
    cancelled = place_pickup(shop, location=shop.store_a, channel=shop.pos_a)
    orders.order_cancel(order=cancelled)
    yesterday = place_pickup(shop, location=shop.store_a)
    Order.objects.filter(pk=yesterday.pk).update(created_at=timezone.now() - timedelta(days=2))
    client.force_login(staff["hq_marketer"])
    response = client.get(reverse("console:dashboard"))
    assert response.context["sales"] == [
        {"channel": shop.web.name, "kind": "web", "kind_label": ChannelKind.WEB.label, "orders": 2, "amount": 11000},
    ]
    assert response.context["sales_total"] == 11000


def test_dashboard_pickups_per_store_split_reserved_and_ready(client, staff, shop, pickups):
    orders.fulfillment_mark_ready(fulfillment=pickups["b"].fulfillments.get())
    client.force_login(staff["administrator"])
    rows = {row["code"]: (row["reserved"], row["ready"]) for row in client.get(reverse("console:dashboard"))
            .context["pickups"]}
    assert rows == {"shibuya": (1, 0), "umeda": (0, 1)}


def test_dashboard_is_scoped_for_store_staff(client, staff, shop, pickups):
    client.force_login(staff["store_staff"])
    context = client.get(reverse("console:dashboard")).context
    tiles = {tile.key: tile.value for tile in context["tiles"]}
    assert tiles["pickups_to_prepare"] == 1 and "pickups" not in context  # their own store's, as a tile
    assert sum(row["orders"] for row in context["sales"]) == 1
    assert {level.location for level in context["low_stock"]} <= {shop.store_a}


def test_order_detail_shows_lines_tax_per_rate_and_events(client, staff, pickups):
    order = pickups["a"]
    orders.fulfillment_mark_ready(fulfillment=order.fulfillments.get(), acting_user=staff["store_staff"])
    client.force_login(staff["store_staff"])
    response = client.get(reverse("console:order_detail", kwargs={"number": order.number}))
    assert response.context["tax"].by_rate[0].rate == 10
    assert response.context["tax"].by_rate[0].tax == 500
    assert [row["event"].kind for row in response.context["events"]] == ["placed", "ready"]
    assert reverse("console:customer_detail", kwargs={"pk": order.customer_id}) in response.content.decode()


def test_orders_list_filters_by_status_with_htmx(client, staff, pickups):
    orders.fulfillment_mark_ready(fulfillment=pickups["b"].fulfillments.get())
    client.force_login(staff["hq_marketer"])
    response = client.get(reverse("console:orders"), {"status": "ready"}, HTTP_HX_REQUEST="true",
                          HTTP_HX_TARGET="results")
    assert [o.number for o in response.context["page"]] == [pickups["b"].number]


def test_customer_lookup_by_kana_phone_and_email(client, staff, customer):
    client.force_login(staff["store_staff"])
    for query in ["さとう", "サトウ", "佐藤 花子", "09012345678", "hanako@example.jp"]:
        response = client.get(reverse("console:customers"), {"q": query}, HTTP_HX_REQUEST="true",
                              HTTP_HX_TARGET="results")
        assert [c.pk for c in response.context["customers"]] == [customer.pk], query


def test_customer_page_shows_consent_and_the_timeline_of_the_pickup_flow(client, staff, shop, customer, pickups):
    fulfillment = pickups["a"].fulfillments.get()
    orders.fulfillment_mark_ready(fulfillment=fulfillment)
    orders.fulfillment_hand_over(fulfillment=fulfillment, tenders=CASH_AT_DESK)
    client.force_login(staff["store_staff"])
    response = client.get(reverse("console:customer_detail", kwargs={"pk": customer.pk}))
    kinds = [item["event"].kind for item in response.context["timeline"]]
    assert kinds[:3] == [EventKind.PICKUP_COMPLETED, EventKind.ORDER_READY, EventKind.ORDER_PLACED]
    assert EventKind.SIGNED_UP in kinds
    pickup = response.context["timeline"][0]
    assert pickup["icon"] == "store" and pickup["event"].location == shop.store_a
    known = [cell for row in response.context["consent_rows"] for cell in row["cells"] if cell["known"]]
    assert [(cell["channel"], cell["purpose"], cell["granted"]) for cell in known] == [("email", "marketing", True)]
    assert len(response.context["consent_ledger"]) == 1
    html = response.content.decode()
    assert pickups["a"].number in html and shop.store_a.name in html
