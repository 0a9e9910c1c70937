"""The product services own the whole business action: the brand kit's check of the copy runs
inside ``product_create``/``product_update`` whoever calls them, and a new product's first photo
is part of the same all-or-nothing creation."""

from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from brandkit.models import LintCheck
from brandkit.services import brandkit_seed_default
from inventory import services
from inventory.models import Product, ProductImage, Variant
from inventory.services import VariantIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def kit(db):
    return brandkit_seed_default()


def _variants(prefix="WC"):
    return [VariantIn(sku=f"{prefix}-M", barcode="4912345678904", price=29800, size="M")]


def _png() -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (600, 400), (31, 78, 121)).save(buffer, format="PNG")
    return SimpleUploadedFile("coat.png", buffer.getvalue(), content_type="image/png")


def test_product_create_refuses_a_description_with_a_brand_kit_error_whoever_calls(shop, kit):
    with pytest.raises(ValidationError) as exc:
        services.product_create(code="wool-coat", name="ウールコート", description="激安コート", variants=_variants())
    assert "「激安」は使わない" in " ".join(exc.value.message_dict["description"])
    assert not Product.objects.filter(code="wool-coat").exists()


def test_a_brand_kit_error_is_reported_with_the_other_field_errors(shop, kit):
    with pytest.raises(ValidationError) as exc:
        services.product_create(code="linen-shirt", name="", description="激安コート",
                                variants=[VariantIn(sku="LS-S", barcode="123", price=100)])
    assert {"description", "code", "name", "variants.0.sku", "variants.0.barcode"} <= set(exc.value.message_dict)


def test_product_create_returns_the_brand_kit_warnings_and_logs_the_check_under_its_source(shop, kit):
    product = services.product_create(code="wool-coat", name="ウールコート", description="お客にやさしいコート。",
                                      variants=_variants(), lint_source="import")
    assert any(v.suggestion == "お客様" for v in product.lint_warnings)
    assert Product.objects.get(code="wool-coat").description == "お客にやさしいコート。"
    assert LintCheck.objects.filter(source="import").count() == 1


def test_product_update_checks_a_new_description_and_changes_nothing_on_an_error(shop, kit):
    with pytest.raises(ValidationError) as exc:
        services.product_update(product=shop.product, name="新しい名前", description="激安の麻シャツ")
    assert set(exc.value.message_dict) == {"description"}
    stored = Product.objects.get(pk=shop.product.pk)
    assert (stored.name, stored.description) == ("リネンシャツ", "")
    assert (shop.product.name, shop.product.description) == ("リネンシャツ", "")  # the caller's copy too

    product = services.product_update(product=shop.product, description="お客にやさしい麻のシャツ。")
    assert any(v.suggestion == "お客様" for v in product.lint_warnings)
    assert services.product_update(product=shop.product, name="リネンシャツ（長袖）").lint_warnings == []


def test_a_new_product_and_its_first_photo_are_created_together(shop):
    product = services.product_create(code="wool-coat", name="ウールコート", variants=_variants(), photo=_png())
    image = product.images.get()
    assert image.thumbnail and image.large


def test_a_bad_first_photo_leaves_no_product_behind(shop):
    bad = SimpleUploadedFile("coat.png", b"not an image", content_type="image/png")
    with pytest.raises(ValidationError) as exc:
        services.product_create(code="wool-coat", name="ウールコート", variants=_variants(), photo=bad)
    assert "image" in exc.value.message_dict
    assert not Product.objects.filter(code="wool-coat").exists()
    assert not Variant.objects.filter(sku="WC-M").exists() and not ProductImage.objects.exists()
