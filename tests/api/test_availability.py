"""GET /api/v1/products/{code}/availability/: the product page's per-store stock levels, public."""

import pytest
from django.urls import reverse

from inventory import services
from inventory.models import StockPolicy
from kernel.models import Location, LocationKind

pytestmark = pytest.mark.django_db

URL = "/api/v1/products/linen-shirt/availability/"


def by_code(body: dict) -> dict:
    return {row["code"]: row for row in body["locations"]}


def test_anyone_can_read_the_levels_per_store_without_unit_counts(shop, api):
    response = api().get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["product"] == "linen-shirt"
    shibuya = by_code(body)["shibuya"]
    assert {k: shibuya[k] for k in ("code", "name", "kind", "offers_pickup", "availability")} == {
        "code": "shibuya", "name": "渋谷店", "kind": "store", "offers_pickup": True, "availability": "in_stock"}
    assert [(v["sku"], v["availability"]) for v in shibuya["variants"]] == [("LS-S", "in_stock"),
                                                                            ("LS-L", "in_stock")]
    assert by_code(body)["umeda"]["availability"] == "few_left"  # 2 units each
    text = response.content.decode()
    for secret in ("on_hand", "reserved", "safety", "quantity", "available\""):
        assert secret not in text


def test_warehouses_and_inactive_locations_are_not_listed(shop, api):
    Location.objects.filter(code="umeda").update(is_active=False)
    assert set(by_code(api().get(URL).json())) == {"shibuya"}  # not the warehouse, not the locker


def test_a_store_without_pickup_is_listed_with_offers_pickup_false(shop, api):
    services.location_create(code="popup", name="表参道ポップアップ", kind=LocationKind.POPUP)
    popup = by_code(api().get(URL).json())["popup"]
    assert (popup["kind"], popup["offers_pickup"], popup["availability"]) == ("popup", False, "out_of_stock")


def test_the_sku_parameter_narrows_to_one_variant(shop, api):
    services.stock_adjust(variant=shop.large, location=shop.store_a, quantity=-2, note="破損")  # L: 1 left
    shibuya = by_code(api().get(URL, {"sku": "LS-L"}).json())["shibuya"]
    assert [v["sku"] for v in shibuya["variants"]] == ["LS-L"]
    assert shibuya["availability"] == "few_left"


def test_an_unknown_sku_is_400(shop, api):
    response = api().get(URL, {"sku": "NOPE"})
    assert response.status_code == 400
    assert "sku" in response.json()["errors"]


def test_products_that_can_be_ordered_without_stock_say_so(shop, api):
    services.product_update(product=shop.product, stock_policy=StockPolicy.PREORDER)
    services.stock_adjust(variant=shop.small, location=shop.store_b, quantity=-2, note="破損")
    umeda = by_code(api().get(URL, {"sku": "LS-S"}).json())["umeda"]
    assert umeda["availability"] == "to_order"


def test_unpublished_products_are_404(shop, api):
    services.product_update(product=shop.product, is_active=False)
    assert api().get(URL).status_code == 404


def set_available(shop, units: int) -> None:
    """Shibuya holds 3 of size S; move it to ``units`` through the stock services."""
    if units < 3:
        services.stock_adjust(variant=shop.small, location=shop.store_a, quantity=units - 3, note="棚卸")
    elif units > 3:
        services.stock_receive(variant=shop.small, location=shop.store_a, quantity=units - 3)


@pytest.mark.parametrize("units", [0, 1, 2, 3, 9])
def test_levels_are_the_ones_the_product_page_shows(shop, api, client, units):
    """Same thresholds as the storefront: at each boundary the API says what the product page says."""
    set_available(shop, units)
    api_row = by_code(api().get(URL, {"sku": "LS-S"}).json())["shibuya"]
    page = client.get(reverse("storefront:product", kwargs={"code": "linen-shirt"}), {"sku": "LS-S"})
    [storefront_row] = [row for row in page.context["store_stock"] if row.location.code == "shibuya"]
    assert api_row["availability_label"] == str(storefront_row.label)


def test_query_count_is_the_same_for_few_and_many_locations_and_variants(shop, api, django_assert_num_queries):
    client = api()
    client.get(URL)  # warm per-process caches
    with django_assert_num_queries(4):  # product, its variants, the locations, their stock levels
        client.get(URL)
    for index in range(30):
        store = services.location_create(code=f"store-{index}", name=f"店舗{index}", kind=LocationKind.STORE,
                                         prefecture="13", offers_pickup=True)
        services.stock_receive(variant=shop.small, location=store, quantity=index + 1)
    for index in range(4):
        services.variant_add(product=shop.product, sku=f"LS-{index}", barcode=_jan(index), price=5500)
    with django_assert_num_queries(4):
        response = client.get(URL)
    assert len(response.json()["locations"]) == 32
    assert len(response.json()["locations"][0]["variants"]) == 6


def test_anonymous_callers_are_throttled(shop, staff, api, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"public_catalogue": "2/minute"}}
    client = api()
    assert [client.get(URL).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/api/v1/products/").status_code == 429  # the catalogue reads share the budget
    assert api(staff["hq_marketer"]).get(URL).status_code == 200  # signed-in callers are not throttled here


def test_the_endpoint_is_documented_as_public_in_the_schema(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/products/{code}/availability/"]["get"]
    assert {} in operation["security"]  # no authentication needed
    assert set(operation["responses"]) >= {"200", "400", "404", "429"}
    assert any(p["name"] == "sku" for p in operation["parameters"])
    components = schema["components"]["schemas"]
    location = components["LocationAvailability"]["properties"]
    assert set(location) >= {"code", "name", "kind", "offers_pickup", "availability", "variants"}
    kind = location["kind"]["$ref"].rsplit("/", 1)[1]
    assert components[kind]["enum"] == ["warehouse", "store", "popup", "locker"]  # the reference resolves


def _jan(index: int) -> str:
    body = f"45900000{index:04d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)

