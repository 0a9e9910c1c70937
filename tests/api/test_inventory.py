"""Products, variants, locations, stock levels and stock receipts over the API."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from inventory import services
from inventory.models import Product, StockLevel, StockMovement
from inventory.selectors import ledger_balance

pytestmark = pytest.mark.django_db


def photo() -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (800, 600), (200, 120, 40)).save(buffer, format="JPEG")
    return SimpleUploadedFile("shirt.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_product_detail_has_nested_variants_and_absolute_image_urls(shop, staff, api):
    services.product_image_add(product=shop.product, upload=photo())
    response = api(staff["store_staff"]).get("/api/v1/products/linen-shirt/")
    assert response.status_code == 200
    body = response.json()
    assert [v["sku"] for v in body["variants"]] == ["LS-S", "LS-L"]
    assert body["variants"][0]["barcode"] == "4901234567894"
    assert body["tax_rate"] == 10
    [image] = body["images"]
    assert image["thumbnail"].startswith("http://testserver/media/products/")
    assert image["large"].endswith(".webp")


def test_unpublished_products_are_hidden_from_customers_but_not_from_catalogue_staff(shop, staff, api,
                                                                                      make_customer):
    services.product_create(code="hidden", name="Hidden", is_active=False,
                            variants=[services.VariantIn(sku="H-1", barcode="4912345678904", price=100)])
    user, _customer = make_customer()
    codes = {p["code"] for p in api(user).get("/api/v1/products/").json()["results"]}
    assert codes == {"linen-shirt"}
    assert api(user).get("/api/v1/products/hidden/").status_code == 404
    codes = {p["code"] for p in api(staff["hq_marketer"]).get("/api/v1/products/").json()["results"]}
    assert codes == {"linen-shirt", "hidden"}


def test_anyone_may_read_the_published_catalogue_as_on_the_storefront(shop, api):
    services.product_create(code="hidden", name="Hidden", is_active=False,
                            variants=[services.VariantIn(sku="H-1", barcode="4912345678904", price=100)])
    client = api()
    assert {p["code"] for p in client.get("/api/v1/products/").json()["results"]} == {"linen-shirt"}
    assert [v["sku"] for v in client.get("/api/v1/products/linen-shirt/").json()["variants"]] == ["LS-S", "LS-L"]
    assert client.get("/api/v1/products/hidden/").status_code == 404
    assert {v["sku"] for v in client.get("/api/v1/variants/").json()["results"]} == {"LS-S", "LS-L"}
    assert client.get("/api/v1/variants/LS-S/").json()["price"] == 5500
    assert client.get("/api/v1/variants/H-1/").status_code == 404


def test_anonymous_callers_still_cannot_change_the_catalogue_or_read_stock_counts(shop, api):
    client = api()
    body = {"code": "c", "name": "c", "variants": [{"sku": "C", "barcode": "4912345678904", "price": 1}]}
    assert client.post("/api/v1/products/", body, format="json").status_code == 401
    assert client.patch("/api/v1/products/linen-shirt/", {"name": "x"}, format="json").status_code == 401
    assert client.post("/api/v1/products/linen-shirt/variants/", body["variants"][0], format="json").status_code == 401
    assert client.get("/api/v1/stock-levels/").status_code == 401
    assert client.get("/api/v1/locations/").status_code == 401
    assert Product.objects.get().name == "リネンシャツ"


def test_products_search_by_q(shop, staff, api):
    client = api(staff["hq_marketer"])
    assert client.get("/api/v1/products/", {"q": "リネン"}).json()["count"] == 1
    assert client.get("/api/v1/products/", {"q": "LS-S"}).json()["count"] == 1  # exact SKU
    assert client.get("/api/v1/products/", {"q": "zzz"}).json()["count"] == 0


def test_catalogue_staff_create_a_product_with_variants(shop, staff, api):
    body = {"code": "wool-coat", "name": "ウールコート", "category": "コート", "tax_class": "standard",
            "variants": [{"sku": "WC-M", "barcode": "4912345678904", "price": 29800, "size": "M"}]}
    response = api(staff["hq_marketer"]).post("/api/v1/products/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["variants"][0]["sku"] == "WC-M"
    assert Product.objects.get(code="wool-coat").variants.count() == 1


def test_bad_barcode_and_duplicate_sku_name_the_variant_field(shop, staff, api):
    body = {"code": "wool-coat", "name": "ウールコート",
            "variants": [{"sku": "WC-M", "barcode": "4912345678905", "price": 100},
                         {"sku": "WC-M", "barcode": "4912345678904", "price": 100}]}
    response = api(staff["hq_marketer"]).post("/api/v1/products/", body, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "variants.0.barcode" in errors
    assert "variants.1.sku" in errors
    assert not Product.objects.filter(code="wool-coat").exists()


def test_product_with_wrong_types_is_400(shop, staff, api):
    response = api(staff["hq_marketer"]).post("/api/v1/products/", {"code": "x", "name": "x", "variants": "x"},
                                              format="json")
    assert response.status_code == 400
    assert "variants" in response.json()["errors"]


def test_store_staff_cannot_create_products(shop, staff, api):
    body = {"code": "c", "name": "c", "variants": [{"sku": "C", "barcode": "4912345678904", "price": 1}]}
    assert api(staff["store_staff"]).post("/api/v1/products/", body, format="json").status_code == 403


def test_variants_filter_by_sku_barcode_and_product(shop, staff, api):
    client = api(staff["store_staff"])
    assert [v["sku"] for v in client.get("/api/v1/variants/", {"sku": "LS-L"}).json()["results"]] == ["LS-L"]
    assert [v["sku"] for v in client.get("/api/v1/variants/", {"barcode": "4901234567894"}).json()["results"]] == [
        "LS-S"]
    assert client.get("/api/v1/variants/", {"product": "linen-shirt"}).json()["count"] == 2
    assert client.get("/api/v1/variants/LS-S/").json()["product"] == "linen-shirt"


def test_locations_filter_by_kind_and_pickup(shop, staff, api):
    client = api(staff["store_staff"])
    stores = client.get("/api/v1/locations/", {"kind": "store"}).json()["results"]
    assert {loc["code"] for loc in stores} == {"shibuya", "umeda"}
    pickup = client.get("/api/v1/locations/", {"offers_pickup": "false"}).json()["results"]
    assert {loc["code"] for loc in pickup} == {"wh-kanto", "locker-shinjuku"}


def test_stock_levels_are_scoped_to_the_users_location(shop, staff, api):
    def locations(user, **params):
        response = api(user).get("/api/v1/stock-levels/", params)
        assert response.status_code == 200
        return {row["location"] for row in response.json()["results"]}

    assert locations(staff["store_staff"]) == {"shibuya"}
    assert locations(staff["store_staff_b"]) == {"umeda"}
    assert locations(staff["warehouse_operator"]) == {"wh-kanto"}
    assert locations(staff["hq_marketer"]) == {"shibuya", "umeda", "wh-kanto"}
    assert locations(staff["store_staff_b"], location="shibuya") == set()
    other = StockLevel.objects.get(variant=shop.small, location=shop.store_a)
    assert api(staff["store_staff_b"]).get(f"/api/v1/stock-levels/{other.pk}/").status_code == 404


def test_stock_levels_compute_available_and_filter_low(shop, staff, api, place):
    place("umeda", quantity=1)  # umeda holds 2 of LS-S: now 1 available
    client = api(staff["administrator"])
    rows = client.get("/api/v1/stock-levels/", {"sku": "LS-S", "location": "umeda"}).json()["results"]
    assert [(r["on_hand"], r["reserved"], r["available"]) for r in rows] == [(2, 1, 1)]
    low = client.get("/api/v1/stock-levels/", {"low": "true"}).json()["results"]
    assert {(r["location"], r["sku"]) for r in low} == {("umeda", "LS-S"), ("umeda", "LS-L")}


def test_customers_and_accounts_without_role_cannot_read_stock_levels(shop, staff, api):
    assert api(staff["customer"]).get("/api/v1/stock-levels/").status_code == 403


def test_warehouse_operator_receives_stock_at_their_warehouse(shop, staff, api):
    body = {"sku": "LS-S", "location": "wh-kanto", "quantity": 12, "reference": "PO-9"}
    response = api(staff["warehouse_operator"]).post("/api/v1/stock-receipts/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["quantity"] == 12
    assert ledger_balance(variant=shop.small, location=shop.warehouse) == 32
    assert StockLevel.objects.get(variant=shop.small, location=shop.warehouse).on_hand == 32


def test_receipts_are_idempotent_with_a_key(shop, staff, api):
    body = {"sku": "LS-S", "location": "wh-kanto", "quantity": 5}
    client = api(staff["warehouse_operator"])
    for _ in range(2):
        assert client.post("/api/v1/stock-receipts/", body, format="json", HTTP_IDEMPOTENCY_KEY="r1").status_code == 201
    assert StockLevel.objects.get(variant=shop.small, location=shop.warehouse).on_hand == 25


def test_receiving_at_another_location_is_403_and_books_nothing(shop, staff, api):
    body = {"sku": "LS-S", "location": "shibuya", "quantity": 1}
    response = api(staff["warehouse_operator"]).post("/api/v1/stock-receipts/", body, format="json")
    assert response.status_code == 403
    assert ledger_balance(variant=shop.small, location=shop.store_a) == 3
    assert not StockMovement.objects.filter(location=shop.store_a, acting_user=staff["warehouse_operator"]).exists()


def test_store_staff_receive_at_their_store_only_and_marketers_not_at_all(shop, staff, api):
    body = {"sku": "LS-S", "location": "shibuya", "quantity": 1}
    assert api(staff["store_staff"]).post("/api/v1/stock-receipts/", body, format="json").status_code == 201
    other = {"sku": "LS-S", "location": "umeda", "quantity": 1}
    assert api(staff["store_staff"]).post("/api/v1/stock-receipts/", other, format="json").status_code in (403, 404)
    assert api(staff["hq_marketer"]).post("/api/v1/stock-receipts/", body, format="json").status_code == 403


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"sku": "NOPE", "location": "wh-kanto", "quantity": 1}, "sku"),
        ({"sku": "LS-S", "location": "nowhere", "quantity": 1}, "location"),
        ({"sku": "LS-S", "location": "wh-kanto", "quantity": 0}, "quantity"),
        ({"sku": "LS-S", "location": "wh-kanto", "quantity": "many"}, "quantity"),
        ({"sku": ["LS-S"], "location": "wh-kanto", "quantity": 1}, "sku"),
    ],
)
def test_bad_receipts_are_400_with_field_errors(shop, staff, api, body, path):
    response = api(staff["administrator"]).post("/api/v1/stock-receipts/", body, format="json")
    assert response.status_code == 400
    assert path in response.json()["errors"]
