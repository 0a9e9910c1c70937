"""The console dashboard per role (kernel.dashboard tiles from every app): each role sees the tiles
of what it acts on, each linking to where it acts, and none that is always zero for it; the
page's queries do not grow with the data."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import CampaignStatus
from inventory import transfers
from inventory.documents import LineIn as DocLine
from orders import services as orders
from orders.models import Fulfillment
from tests.campaigns.tracking_world import make_campaign
from tests.console.conftest import place_delivery, place_pickup

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    """The small shop with stock enough for a few rounds of orders and transfers."""
    from tests.builders import build_shop

    return build_shop(stock_a=20, stock_b=20)

STORE_TILES = {"pickups_to_prepare", "pickups_ready", "aisle_pickups", "returns_to_process", "transfers_to_receive"}
WAREHOUSE_TILES = {"orders_to_ship", "transfers_to_receive", "transfers_to_ship", "receipts_expected", "counts_due"}
HQ_TILES = {"sales_week", "campaigns_running", "campaigns_to_approve", "journeys_running", "back_in_stock_waiting"}


def _tiles(client, user) -> dict:
    client.force_login(user)
    response = client.get(reverse("console:dashboard"))
    assert response.status_code == 200
    return {tile.key: tile for tile in response.context["tiles"]}, response


def _world(shop, customer, n: int = 1):
    for _ in range(n):
        place_pickup(shop, location=shop.store_a, customer=customer)
        place_delivery(shop, customer=customer)
        transfer = transfers.transfer_request(source=shop.warehouse, destination=shop.store_a,
                                              lines=[DocLine(shop.small, 1)])
        transfers.transfer_approve(transfer=transfer)
        transfers.transfer_ship(transfer=transfer)
        make_campaign("冬のセール", status=CampaignStatus.SENDING)
        make_campaign("春のセール", status=CampaignStatus.PENDING_APPROVAL)


def test_store_staff_see_pickups_returns_transfers_and_aisle_not_hq_tiles(client, shop, staff, customer):
    _world(shop, customer)
    ready = place_pickup(shop, location=shop.store_a, customer=customer)
    fulfillment = ready.fulfillments.get()
    orders.fulfillment_mark_ready(fulfillment=fulfillment)
    Fulfillment.objects.filter(pk=fulfillment.pk).update(ready_at=timezone.now() - timedelta(days=30))
    tiles, response = _tiles(client, staff["store_staff"])
    assert set(tiles) == STORE_TILES
    assert tiles["pickups_to_prepare"].value == 1 and tiles["pickups_ready"].value == 1
    assert tiles["pickups_ready"].tone == "danger"  # one past the hold: call or cancel
    assert tiles["transfers_to_receive"].value == 1
    assert tiles["pickups_to_prepare"].url == reverse("console:pickup_desk") + "?status=reserved"
    html = response.content.decode()
    assert 'data-tile="returns_to_process"' in html and f'href="{reverse("console:returns")}?status=requested"' in html
    assert "sales" in response.context and "pickups" not in response.context
    transfers.transfer_request(source=shop.store_a, destination=shop.store_b, lines=[DocLine(shop.small, 1)])
    tiles, _response = _tiles(client, staff["store_staff"])  # a store ships a transfer now and then: shown then
    assert tiles["transfers_to_ship"].value == 1 and "status=requested" in tiles["transfers_to_ship"].url


def test_the_warehouse_sees_what_to_pack_receive_and_count_no_sales(client, shop, staff, customer):
    _world(shop, customer)
    tiles, response = _tiles(client, staff["warehouse_operator"])
    assert set(tiles) == WAREHOUSE_TILES
    assert tiles["orders_to_ship"].value == 1 and tiles["orders_to_ship"].url == reverse("console:shipments")
    assert tiles["counts_due"].url == reverse("console:counts")
    assert "sales" not in response.context
    assert "Sales" not in response.content.decode() or "売上" not in response.content.decode()


def test_hq_sees_sales_against_the_week_before_and_campaigns_not_store_work(client, shop, staff, customer):
    _world(shop, customer)
    tiles, response = _tiles(client, staff["hq_marketer"])
    assert set(tiles) == HQ_TILES
    assert tiles["campaigns_running"].value == 1 and tiles["campaigns_to_approve"].value == 1
    assert tiles["campaigns_to_approve"].url == reverse("console:campaigns") + "?status=pending"
    assert tiles["sales_week"].value > 0 and tiles["sales_week"].url == reverse("console:report_sales")
    assert "pickups" not in response.context and "low_stock" not in response.context


def test_an_administrator_sees_hq_tiles_with_pickups_per_store_and_low_stock(client, shop, staff, customer):
    _world(shop, customer)
    tiles, response = _tiles(client, staff["administrator"])
    assert set(tiles) == HQ_TILES
    assert "pickups" in response.context and "low_stock" in response.context


def test_a_journeys_app_can_add_its_tile(client, shop, staff, monkeypatch):
    from kernel import dashboard

    def journeys(*, user, here=None):
        return [dashboard.Tile("journeys_running", "Journeys running", 3, "/console/journeys/")] if here is None \
            else []

    monkeypatch.setattr(dashboard, "tile_functions", lambda: (journeys,))
    tiles, _response = _tiles(client, staff["hq_marketer"])
    assert set(tiles) == {"journeys_running"}


@pytest.mark.parametrize("role", ["store_staff", "warehouse_operator", "hq_marketer", "administrator"])
def test_each_dashboard_reads_a_constant_number_of_queries(client, shop, staff, customer, role):
    client.force_login(staff[role])
    url = reverse("console:dashboard")
    client.get(url)  # warm the per-process caches
    _world(shop, customer)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _world(shop, customer, n=3)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
