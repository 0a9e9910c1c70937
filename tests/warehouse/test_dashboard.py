import pytest
from django.urls import reverse
from django.utils import timezone

from inventory import counts, receiving, transfers
from inventory.documents import LineIn

pytestmark = pytest.mark.django_db


def test_the_warehouse_dashboard_shows_the_warehouses_day_not_sales_and_pickups(client, shop, staff):
    receiving.purchase_order_create(location=shop.warehouse, supplier_name="東洋繊維", lines=[LineIn(shop.small, 3)],
                                    expected_on=timezone.localdate())
    receiving.purchase_order_create(location=shop.warehouse, supplier_name="来月", lines=[LineIn(shop.small, 3)],
                                    expected_on=timezone.localdate() + timezone.timedelta(days=30))
    approved = transfers.transfer_request(source=shop.warehouse, destination=shop.store_a,
                                          lines=[LineIn(shop.small, 1)])
    transfers.transfer_approve(transfer=approved)
    shipped = transfers.transfer_request(source=shop.warehouse, destination=shop.store_b,
                                         lines=[LineIn(shop.large, 1)])
    transfers.transfer_approve(transfer=shipped)
    transfers.transfer_ship(transfer=shipped)
    count = counts.count_start(location=shop.warehouse)
    counts.count_submit(count=count, acting_user=staff["warehouse_operator"])
    client.force_login(staff["warehouse_operator"])
    response = client.get(reverse("console:dashboard"))
    day = response.context["day"]
    assert (day.expected_count, day.transit.to_ship, day.transit.outgoing, day.counts_to_approve_count) == (1, 1, 1, 1)
    assert "sales" not in response.context
    html = response.content.decode()
    assert count.number in html and "東洋繊維" in html and "来月" not in html

    client.force_login(staff["store_staff_b"])  # the store sees the transfer coming
    context = client.get(reverse("console:dashboard")).context
    assert {t.key: t.value for t in context["tiles"]}["transfers_to_receive"] == 1 and "sales" in context
