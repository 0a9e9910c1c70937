"""Issue 10, "Pick lists (batched across orders) ... printable": where items sit (zone / bin), set one
at a time or in bulk in the console and through the API, and the pick list grouped and walked by
zone, then bin and SKU, with the units of every order."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from inventory import services as inventory
from inventory.errors import ZonesInvalid
from inventory.models import StockLevel
from inventory.services import VariantIn, ZoneIn
from kernel.models import AuditEntry
from orders import selectors
from orders import services as orders
from orders.services import FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db

SHIP_TO = {"name": "山田 太郎", "postal_code": "150-0001", "prefecture": "13", "city": "渋谷区",
           "line1": "神宮前1-2-3", "phone": "090-1111-2222"}


def zones(location) -> dict[str, str]:
    return dict(StockLevel.objects.filter(location=location).values_list("variant__sku", "zone"))


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def tees(shop):
    """A second product with two sizes in stock at the warehouse."""
    product = inventory.product_create(code="tee", name="コットンTシャツ", variants=[
        VariantIn(sku="TS-1", barcode="4901234567900", price=2500, size="M"),
        VariantIn(sku="TS-2", barcode="4901234567917", price=2500, size="L")])
    for variant in product.variants.all():
        inventory.stock_receive(variant=variant, location=shop.warehouse, quantity=10, reference="PO-2")
    return product


def ship(shop, *lines):
    return orders.order_place(channel=shop.web, lines=[LineIn(sku, quantity) for sku, quantity in lines],
                              fulfillment=FulfillmentIn("ship", shop.warehouse.code, address=SHIP_TO))


# --- the service ---------------------------------------------------------------------------------

def test_zones_are_set_by_sku_or_scanned_barcode_normalised_and_audited(shop, staff, tees):
    operator = staff["warehouse_operator"]
    levels = inventory.stock_zones_set(location=shop.warehouse, acting_user=operator, rows=[
        ZoneIn("LS-S", "ａ－０３"), ZoneIn("4901234567887", " b-12 "), ZoneIn("TS-1", "A-03")])
    assert [level.zone for level in levels] == ["A-03", "B-12", "A-03"]
    assert zones(shop.warehouse) == {"LS-S": "A-03", "LS-L": "B-12", "TS-1": "A-03", "TS-2": ""}
    entries = AuditEntry.objects.filter(action="stock_zones_set")
    assert sorted(e.changes["zone"][1] for e in entries) == ["A-03", "A-03", "B-12"]
    # an item with no stock at the store yet gets its (empty) row, ready for the first receipt
    inventory.stock_zones_set(location=shop.store_a, rows=[ZoneIn("TS-2", "R-1")])
    level = StockLevel.objects.get(location=shop.store_a, variant__sku="TS-2")
    assert (level.zone, level.on_hand, level.reserved) == ("R-1", 0, 0)
    # an empty zone clears it; setting the same zone again writes no audit entry
    inventory.stock_zones_set(location=shop.warehouse, rows=[ZoneIn("LS-S", ""), ZoneIn("LS-L", "B-12")])
    assert zones(shop.warehouse)["LS-S"] == ""
    assert AuditEntry.objects.filter(action="stock_zones_set").count() == 5  # 3, the store's new row, the clear


def test_a_bulk_entry_with_bad_rows_names_every_one_and_changes_nothing(shop, tees):
    inventory.stock_zones_set(location=shop.warehouse, rows=[ZoneIn("LS-S", "A-01")])
    before = zones(shop.warehouse)
    with pytest.raises(ZonesInvalid) as caught:
        inventory.stock_zones_set(location=shop.warehouse, rows=[
            ZoneIn("LS-S", "C-01"),          # fine on its own
            ZoneIn("NOPE-9", "C-02"),        # unknown
            ZoneIn("TS-1", "X" * 31),        # too long
            ZoneIn("", "C-03"),              # no code
            ZoneIn("TS-2", "C,04"),          # a separator inside
            ZoneIn("LS-S", "C-09"),          # the same item again with another zone
        ])
    assert [(e.row, e.field) for e in caught.value.errors] == [(1, "code"), (2, "zone"), (3, "code"), (4, "zone"),
                                                               (5, "code")]
    assert "line 1" in caught.value.errors[-1].message
    assert zones(shop.warehouse) == before
    # the same item twice with the same zone is fine
    inventory.stock_zones_set(location=shop.warehouse, rows=[ZoneIn("TS-1", "d-1"), ZoneIn("4901234567900", "D-1")])
    assert zones(shop.warehouse)["TS-1"] == "D-1"


def test_setting_zones_takes_a_fixed_number_of_queries(shop, tees, django_assert_num_queries):
    rows = [ZoneIn("LS-S", "A-1"), ZoneIn("LS-L", "A-2")]
    inventory.stock_zones_set(location=shop.warehouse, rows=rows)
    with django_assert_num_queries(6) as few:  # savepoint, variants, levels, update, audit, release
        inventory.stock_zones_set(location=shop.warehouse, rows=[ZoneIn("LS-S", "B-1"), ZoneIn("LS-L", "B-2")])
    with django_assert_num_queries(len(few.captured_queries)):
        inventory.stock_zones_set(location=shop.warehouse, rows=[
            ZoneIn("LS-S", "C-1"), ZoneIn("LS-L", "C-2"), ZoneIn("TS-1", "C-3"), ZoneIn("TS-2", "C-4")])


# --- the console ---------------------------------------------------------------------------------

def test_an_operator_sets_zones_in_bulk_from_pasted_lines_and_one_at_a_time(client, shop, staff, tees):
    client.force_login(staff["warehouse_operator"])
    url = reverse("console:stock_zones")
    page = client.get(url)
    assert page.status_code == 200 and page.context["location"] == shop.warehouse
    text = "sku,zone\nLS-S, A-10\n\n4901234567887\tB-1\nTS-1 A-2\n"
    response = client.post(url, {"location": shop.warehouse.pk, "lines": text})
    assert response.status_code == 302
    assert zones(shop.warehouse) == {"LS-S": "A-10", "LS-L": "B-1", "TS-1": "A-2", "TS-2": ""}
    response = client.post(url, {"location": shop.warehouse.pk, "action": "one", "code": "TS-2", "zone": "c-5"},
                           follow=True)
    assert zones(shop.warehouse)["TS-2"] == "C-5" and "TS-2 is now in C-5" in response.content.decode()


def test_a_bad_bulk_entry_lists_every_bad_line_keeps_the_text_and_changes_nothing(client, shop, staff, tees):
    client.force_login(staff["warehouse_operator"])
    text = "LS-S,A-1\nNOPE,A-2\nTS-1," + "Z" * 31 + "\nNOPE2," + "Z" * 31 + "\n"
    response = client.post(reverse("console:stock_zones"), {"location": shop.warehouse.pk, "lines": text})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Line 2: No item has the SKU or barcode NOPE." in html and "Line 3: A zone / bin has at most 30" in html
    assert "3 lines need correcting; no zone was changed." in html  # lines, not errors (line 4 has two)
    assert "Line 4: No item has the SKU or barcode NOPE2." in html and "NOPE,A-2" in html  # the text is kept
    assert set(zones(shop.warehouse).values()) == {""}


def test_zones_are_set_only_within_the_staff_scope_and_role(client, shop, staff, tees):
    url = reverse("console:stock_zones")
    client.force_login(staff["store_staff"])  # store A's staff: their store yes, the warehouse no
    assert client.post(url, {"location": shop.store_a.pk, "lines": "LS-S,S-1"}).status_code == 302
    assert client.post(url, {"location": shop.warehouse.pk, "lines": "LS-S,S-1"}).status_code == 403
    assert zones(shop.store_a)["LS-S"] == "S-1" and zones(shop.warehouse)["LS-S"] == ""
    client.force_login(staff["hq_marketer"])  # sees stock, does not arrange shelves
    assert client.get(url).status_code == 403


def test_the_api_sets_zones_all_or_nothing(shop, staff, tees):
    operator = as_user(staff["warehouse_operator"])
    body = {"location": "wh-kanto", "rows": [{"code": "LS-S", "zone": "a-1"}, {"code": "4901234567917", "zone": "B-3"}]}
    response = operator.post("/api/v1/stock-zones/", body, format="json")
    assert response.status_code == 200, response.data
    assert [(row["sku"], row["zone"]) for row in response.data] == [("LS-S", "A-1"), ("TS-2", "B-3")]
    bad = {"location": "wh-kanto", "rows": [{"code": "LS-L", "zone": "C-1"}, {"code": "NOPE", "zone": "C-2"}]}
    response = operator.post("/api/v1/stock-zones/", bad, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["rows.1.code"]
    assert zones(shop.warehouse)["LS-L"] == ""
    store = as_user(staff["store_staff"])
    assert store.post("/api/v1/stock-zones/", body, format="json").status_code == 403
    assert as_user(staff["hq_marketer"]).post("/api/v1/stock-zones/", body, format="json").status_code == 403
    levels = operator.get("/api/v1/stock-levels/", {"location": "wh-kanto", "sku": "LS-S"}).json()
    assert levels["results"][0]["zone"] == "A-1"


def test_the_schema_describes_the_zones_endpoint(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert "post" in schema["paths"]["/api/v1/stock-zones/"]
    assert {"StockZonesRequest", "ZoneRowRequest", "PickZone"} <= set(schema["components"]["schemas"])


# --- the pick list -------------------------------------------------------------------------------

def test_the_pick_list_walks_the_zones_then_bins_then_skus_with_every_orders_units(shop, staff, tees,
                                                                                   django_assert_num_queries):
    inventory.stock_zones_set(location=shop.warehouse, rows=[
        ZoneIn("LS-S", "A-10"), ZoneIn("TS-1", "A-2"), ZoneIn("LS-L", "B-1")])  # TS-2: no zone
    first = ship(shop, ("LS-S", 1))
    second = ship(shop, ("TS-2", 3), ("LS-S", 2), ("LS-L", 1), ("TS-1", 1))
    with django_assert_num_queries(2):
        picks = selectors.pick_list(location=shop.warehouse)
    assert [(zone.name, [row.sku for row in zone.rows]) for zone in picks.zones] == [
        ("A", ["TS-1", "LS-S"]), ("B", ["LS-L"]), ("", ["TS-2"])]
    ls_s = picks.zones[0].rows[1]
    assert (ls_s.zone, ls_s.quantity, ls_s.per_order) == ("A-10", 3, {first.number: 1, second.number: 2})
    assert [zone.units for zone in picks.zones] == [4, 1, 3] and picks.units == 8
    # a bigger batch still takes two queries
    for _ in range(3):
        ship(shop, ("TS-1", 1), ("TS-2", 1))
    with django_assert_num_queries(2):
        assert selectors.pick_list(location=shop.warehouse).units == 14


def test_the_printable_pick_list_and_its_api_show_the_zones(client, shop, staff, tees):
    inventory.stock_zones_set(location=shop.warehouse, rows=[ZoneIn("LS-S", "A-10"), ZoneIn("LS-L", "B-1")])
    order = ship(shop, ("LS-L", 1), ("LS-S", 2), ("TS-1", 1))
    client.force_login(staff["warehouse_operator"])
    html = client.get(reverse("console:pick_list")).content.decode()
    assert html.index("Zone A") < html.index("Zone B") < html.index("No zone set")
    assert f"{order.number} <b>×2</b>" in html and "data-print" in html
    picks = as_user(staff["warehouse_operator"]).get("/api/v1/orders/pick-list/", {"location": "wh-kanto"}).json()
    assert [zone["name"] for zone in picks["zones"]] == ["A", "B", ""]
    assert picks["zones"][0]["rows"][0]["per_order"] == {order.number: 2}
    assert [row["sku"] for row in picks["rows"]] == ["LS-S", "LS-L", "TS-1"]
