"""Editing the catalogue over the API: photos, product details with the brand kit's check of
the description, and new variants. Each calls the same service as the console."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from brandkit.models import LintCheck
from brandkit.services import brandkit_seed_default
from inventory.models import Product, ProductImage, Variant
from inventory.services import MAX_IMAGE_BYTES

pytestmark = pytest.mark.django_db

PRODUCT = "/api/v1/products/linen-shirt/"


@pytest.fixture
def kit(db):
    return brandkit_seed_default()


def upload(name: str = "shirt.jpg", size=(900, 600), mode: str = "RGB", fmt: str = "JPEG",
           content: bytes | None = None) -> SimpleUploadedFile:
    if content is None:
        buffer = BytesIO()
        Image.new(mode, size).save(buffer, format=fmt)
        content = buffer.getvalue()
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


# --- photos ---------------------------------------------------------------------------------

def test_catalogue_staff_upload_a_photo_and_get_its_rendition_urls(shop, staff, api):
    response = api(staff["hq_marketer"]).post(f"{PRODUCT}images/", {"image": upload(), "alt": "白いシャツ"},
                                              format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["thumbnail"].startswith("http://testserver/media/") and body["thumbnail"].endswith(".webp")
    assert body["large"].endswith(".webp") and body["original"].endswith(".jpg")
    assert (body["width"], body["height"], body["alt"]) == (900, 600, "白いシャツ")
    image = ProductImage.objects.get(product=shop.product)
    assert image.thumbnail.name and image.large.name
    assert api(staff["hq_marketer"]).get(PRODUCT).json()["images"][0]["large"] == body["large"]


def test_the_alt_text_defaults_to_the_product_name(shop, staff, api):
    response = api(staff["hq_marketer"]).post(f"{PRODUCT}images/", {"image": upload()}, format="multipart")
    assert response.status_code == 201
    assert response.json()["alt"] == "リネンシャツ"


@pytest.mark.parametrize(
    "file",
    [
        pytest.param(lambda: upload("notes.jpg", content=b"this is not an image"), id="not-an-image"),
        pytest.param(lambda: upload("huge.jpg", content=b"\0" * (MAX_IMAGE_BYTES + 1)), id="too-large"),
        pytest.param(lambda: upload("bomb.png", size=(8000, 6000), mode="1", fmt="PNG"), id="decompression-bomb"),
    ],
)
def test_bad_photo_files_are_400_on_image_and_nothing_is_stored(shop, staff, api, file):
    response = api(staff["hq_marketer"]).post(f"{PRODUCT}images/", {"image": file()}, format="multipart")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == ["image"]
    assert not ProductImage.objects.exists()


def test_a_photo_upload_without_a_file_is_400(shop, staff, api):
    response = api(staff["hq_marketer"]).post(f"{PRODUCT}images/", {"alt": "x"}, format="multipart")
    assert response.status_code == 400
    assert "image" in response.json()["errors"]


def test_store_staff_and_customers_cannot_upload_photos_and_unknown_products_are_404(shop, staff, api):
    assert api(staff["store_staff"]).post(f"{PRODUCT}images/", {"image": upload()},
                                          format="multipart").status_code == 403
    assert api(staff["customer"]).post(f"{PRODUCT}images/", {"image": upload()},
                                       format="multipart").status_code == 403
    assert api(staff["hq_marketer"]).post("/api/v1/products/nope/images/", {"image": upload()},
                                          format="multipart").status_code == 404
    assert not ProductImage.objects.exists()


# --- details and the brand kit ----------------------------------------------------------------

def test_patch_changes_only_the_fields_sent(shop, staff, api, kit):
    response = api(staff["hq_marketer"]).patch(PRODUCT, {"name": "リネンシャツ（長袖）", "tax_class": "reduced",
                                                         "is_active": False}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["name"], body["tax_rate"], body["is_active"], body["lint"]) == ("リネンシャツ（長袖）", 8, False, [])
    product = Product.objects.get(pk=shop.product.pk)
    assert (product.name, product.tax_class, product.is_active, product.category) == (
        "リネンシャツ（長袖）", "reduced", False, "シャツ")


def test_brand_kit_warnings_on_the_description_come_back_in_lint_and_the_change_is_saved(shop, staff, api, kit):
    response = api(staff["hq_marketer"]).patch(PRODUCT, {"description": "お客にやさしい麻のシャツ。"}, format="json")
    assert response.status_code == 200, response.json()
    lint = response.json()["lint"]
    assert lint and {v["severity"] for v in lint} <= {"warning", "info"}
    assert any(v["suggestion"] == "お客様" for v in lint)
    assert Product.objects.get(pk=shop.product.pk).description == "お客にやさしい麻のシャツ。"
    assert LintCheck.objects.filter(source="product-api").exists()


def test_a_brand_kit_error_in_the_description_is_400_and_nothing_changes(shop, staff, api, kit):
    response = api(staff["hq_marketer"]).patch(PRODUCT, {"description": "激安の麻シャツ", "name": "新しい名前"},
                                               format="json")
    assert response.status_code == 400
    [message] = response.json()["errors"]["description"]
    assert "「激安」は使わない" in message  # the kit's own message for its banned term
    product = Product.objects.get(pk=shop.product.pk)
    assert (product.description, product.name) == ("", "リネンシャツ")


def test_creating_a_product_runs_the_same_brand_kit_check(shop, staff, api, kit):
    body = {"code": "wool-coat", "name": "ウールコート", "description": "激安コート",
            "variants": [{"sku": "WC-M", "barcode": "4912345678904", "price": 29800, "size": "M"}]}
    response = api(staff["hq_marketer"]).post("/api/v1/products/", body, format="json")
    assert response.status_code == 400
    assert "description" in response.json()["errors"]
    assert not Product.objects.filter(code="wool-coat").exists()
    body["description"] = "お客にやさしいコート。"
    response = api(staff["hq_marketer"]).post("/api/v1/products/", body, format="json")
    assert response.status_code == 201
    assert response.json()["lint"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "other-code"}, "code"),
        ({"variants": []}, "variants"),
        ({"name": ""}, "name"),
        ({"tax_class": "luxury"}, "tax_class"),
        ({"is_active": "maybe"}, "is_active"),
        ({"name": "x" * 201}, "name"),
        ({}, "non_field_errors"),
    ],
)
def test_bad_patches_are_400_with_the_field_named(shop, staff, api, body, field):
    response = api(staff["hq_marketer"]).patch(PRODUCT, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert Product.objects.get(pk=shop.product.pk).name == "リネンシャツ"


def test_patch_is_for_catalogue_staff_only_and_unknown_products_are_404(shop, staff, api):
    assert api(staff["store_staff"]).patch(PRODUCT, {"name": "x"}, format="json").status_code == 403
    assert api(staff["customer"]).patch(PRODUCT, {"name": "x"}, format="json").status_code == 403
    assert api(staff["hq_marketer"]).patch("/api/v1/products/nope/", {"name": "x"}, format="json").status_code == 404
    assert api(staff["hq_marketer"]).put(PRODUCT, {"name": "x"}, format="json").status_code in (403, 405)
    assert Product.objects.get(pk=shop.product.pk).name == "リネンシャツ"


# --- variants ---------------------------------------------------------------------------------

def test_catalogue_staff_add_a_variant_after_the_existing_ones(shop, staff, api):
    body = {"sku": "LS-M", "barcode": "4901234567870", "price": 5500, "size": "M"}
    response = api(staff["hq_marketer"]).post(f"{PRODUCT}variants/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {"sku": "LS-M", "product": "linen-shirt", "size": "M", "color": "", "barcode":
                               "4901234567870", "price": 5500, "currency": "JPY"}
    sizes = [v["size"] for v in api(staff["hq_marketer"]).get(PRODUCT).json()["variants"]]
    assert sizes == ["S", "L", "M"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sku": "LS-M", "barcode": "4901234567871", "price": 5500}, "barcode"),  # wrong check digit
        ({"sku": "LS-S", "barcode": "4901234567870", "price": 5500}, "sku"),  # taken
        ({"sku": "LS-M", "barcode": "4901234567894", "price": 5500}, "barcode"),  # taken
        ({"sku": "LS-M", "barcode": "4901234567870", "price": -1}, "price"),
        ({"sku": "LS-M", "barcode": "4901234567870", "price": "cheap"}, "price"),
        ({"barcode": "4901234567870", "price": 5500}, "sku"),
    ],
)
def test_bad_variants_are_400_with_the_field_named(shop, staff, api, body, field):
    response = api(staff["hq_marketer"]).post(f"{PRODUCT}variants/", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert shop.product.variants.count() == 2


def test_adding_variants_is_for_catalogue_staff_only_and_unknown_products_are_404(shop, staff, api):
    body = {"sku": "LS-M", "barcode": "4901234567870", "price": 5500}
    assert api(staff["store_staff"]).post(f"{PRODUCT}variants/", body, format="json").status_code == 403
    assert api(staff["hq_marketer"]).post("/api/v1/products/nope/variants/", body,
                                          format="json").status_code == 404
    assert not Variant.objects.filter(sku="LS-M").exists()


def test_a_repeated_variant_request_with_the_same_key_adds_one_variant(shop, staff, api):
    client = api(staff["hq_marketer"])
    body = {"sku": "LS-M", "barcode": "4901234567870", "price": 5500}
    first = client.post(f"{PRODUCT}variants/", body, format="json", HTTP_IDEMPOTENCY_KEY="v-1")
    second = client.post(f"{PRODUCT}variants/", body, format="json", HTTP_IDEMPOTENCY_KEY="v-1")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second["Idempotent-Replayed"] == "true"
    assert Variant.objects.filter(sku="LS-M").count() == 1
