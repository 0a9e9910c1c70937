"""Editing a product in the console: details, a new variant, more photos, and the brand
kit's remarks on the description (errors block saving, warnings do not)."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from brandkit.models import LintCheck
from brandkit.services import brandkit_seed_default
from inventory import services as inventory
from inventory.models import Product
from inventory.validators import ean13_check_digit


@pytest.fixture
def kit(db):
    return brandkit_seed_default()


@pytest.fixture
def hq(client, staff):
    client.force_login(staff["hq_marketer"])
    return client


def _url(shop):
    return reverse("console:product_edit", kwargs={"code": shop.product.code})


def _details(**overrides):
    data = {"form": "details", "name": "リネンシャツ", "category": "シャツ", "tax_class": "standard",
            "stock_policy": "normal", "is_active": "on", "description": ""}
    data.update(overrides)
    return data


def _png() -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (900, 600), (31, 78, 121)).save(buffer, format="PNG")
    return SimpleUploadedFile("blue.png", buffer.getvalue(), content_type="image/png")


def test_product_detail_links_to_the_edit_page_for_catalogue_managers(hq, shop):
    html = hq.get(reverse("console:product_detail", kwargs={"pk": shop.product.pk})).content.decode()
    assert f'href="{_url(shop)}"' in html


def test_saving_details_changes_name_category_tax_class_and_publishing(hq, shop, kit):
    response = hq.post(_url(shop), _details(name="リネンシャツ（長袖）", category="トップス", tax_class="reduced",
                                            is_active="", description="麻100%の定番シャツ。"))
    assert response.status_code == 302
    product = Product.objects.get(pk=shop.product.pk)
    assert (product.name, product.category, product.tax_class, product.is_active) == (
        "リネンシャツ（長袖）", "トップス", "reduced", False)
    assert product.description == "麻100%の定番シャツ。"
    assert "リネンシャツ（長袖）" in hq.get(_url(shop)).content.decode()


def test_an_empty_name_is_a_field_error_and_nothing_changes(hq, shop):
    response = hq.post(_url(shop), _details(name=""))
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert Product.objects.get(pk=shop.product.pk).name == "リネンシャツ"


def test_brand_kit_warnings_do_not_block_saving_and_show_next_to_the_description(hq, shop, kit):
    response = hq.post(_url(shop), _details(description="お客にやさしい麻のシャツ。"), follow=True)
    assert response.status_code == 200
    assert Product.objects.get(pk=shop.product.pk).description == "お客にやさしい麻のシャツ。"
    html = response.content.decode()
    lint = html[html.index('id="description-lint"'):]
    assert 'class="bk-warning"' in lint and "お客様" in lint  # the suggested term
    assert LintCheck.objects.filter(source="product-edit").exists()


def test_a_brand_kit_error_blocks_saving_with_a_field_error(hq, shop, kit):
    response = hq.post(_url(shop), _details(description="激安の麻シャツ"))
    assert response.status_code == 400
    assert "description" in response.context["form"].errors
    html = response.content.decode()
    assert 'class="bk-error"' in html
    assert Product.objects.get(pk=shop.product.pk).description == ""


def test_live_lint_returns_the_check_my_copy_results_for_the_description(hq, kit):
    response = hq.get(reverse("console:product_lint"), {"description": "最強のシャツ"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<mark class="bk-error"' in html and "最強" in html
    assert "<html" not in html
    clean = hq.get(reverse("console:product_lint"), {"description": "麻のシャツです。"}).content.decode()
    assert "bk-error" not in clean and "bk-warning" not in clean


def test_description_box_asks_for_the_live_check_as_you_type(hq, shop):
    html = hq.get(_url(shop)).content.decode()
    assert f'hx-get="{reverse("console:product_lint")}"' in html
    assert 'hx-target="#description-lint"' in html


def test_creating_a_product_with_brand_warnings_lands_on_the_edit_page(hq, kit):
    response = hq.post(reverse("console:product_create"), {
        "name": "ウールマフラー", "code": "wool-muffler", "category": "小物", "description": "お客に人気。",
        "tax_class": "standard", "is_active": "on",
        "variants-TOTAL_FORMS": "3", "variants-INITIAL_FORMS": "0", "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "30", "variants-0-sku": "WM-F", "variants-0-barcode": "4901234567801",
        "variants-0-price": "3300", "variants-0-size": "F",
    })
    assert response.status_code == 302
    assert response["Location"] == reverse("console:product_edit", kwargs={"code": "wool-muffler"})


def test_creating_a_product_with_a_brand_error_is_refused(hq, kit):
    response = hq.post(reverse("console:product_create"), {
        "name": "ウールマフラー", "code": "wool-muffler", "category": "小物", "description": "日本一あたたかい",
        "tax_class": "standard", "is_active": "on",
        "variants-TOTAL_FORMS": "3", "variants-INITIAL_FORMS": "0", "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "30", "variants-0-sku": "WM-F", "variants-0-barcode": "4901234567801",
        "variants-0-price": "3300",
    })
    assert response.status_code == 400
    assert "description" in response.context["form"].errors
    assert not Product.objects.filter(code="wool-muffler").exists()


def test_adding_a_variant_puts_it_after_the_others(hq, shop):
    response = hq.post(_url(shop), {"form": "variant", "variant-size": "XL", "variant-color": "生成り",
                                    "variant-sku": "LS-XL", "variant-barcode": "4901234567801",
                                    "variant-price": "6050"})
    assert response.status_code == 302
    variants = list(shop.product.variants.order_by("position"))
    assert [v.sku for v in variants] == ["LS-S", "LS-L", "LS-XL"]
    assert (variants[-1].color, variants[-1].price) == ("生成り", 6050)
    assert "LS-XL" in hq.get(_url(shop)).content.decode()


def test_a_variant_with_a_wrong_check_digit_is_refused(hq, shop):
    response = hq.post(_url(shop), {"form": "variant", "variant-sku": "LS-XL", "variant-barcode": "4901234567802",
                                    "variant-price": "6050"})
    assert response.status_code == 400
    assert "barcode" in response.context["variant_form"].errors
    assert 'field-invalid' in response.content.decode()
    assert shop.product.variants.count() == 2


def test_a_variant_reusing_an_sku_or_jan_is_refused(hq, shop):
    response = hq.post(_url(shop), {"form": "variant", "variant-sku": "LS-S", "variant-barcode": "4901234567894",
                                    "variant-price": "6050"})
    assert response.status_code == 400
    errors = response.context["variant_form"].errors
    assert "sku" in errors and "barcode" in errors
    assert shop.product.variants.count() == 2


def test_adding_a_photo_makes_renditions(hq, shop):
    response = hq.post(_url(shop), {"form": "photo", "photo-photo": _png(), "photo-alt": "青いシャツ"})
    assert response.status_code == 302
    image = shop.product.images.get()
    assert image.thumbnail and image.large and image.alt == "青いシャツ"
    hq.post(_url(shop), {"form": "photo", "photo-photo": _png()})
    assert list(shop.product.images.order_by("position").values_list("position", flat=True)) == [0, 1]


def test_a_file_that_is_not_an_image_is_refused(hq, shop):
    fake = SimpleUploadedFile("notes.png", b"not an image", content_type="image/png")
    response = hq.post(_url(shop), {"form": "photo", "photo-photo": fake})
    assert response.status_code == 400
    assert "photo" in response.context["photo_form"].errors
    assert not shop.product.images.exists()


def test_store_staff_cannot_edit_a_product(client, staff, shop):
    client.force_login(staff["store_staff"])
    response = client.post(_url(shop), _details(name="書き換え"))
    assert response.status_code == 403
    assert Product.objects.get(pk=shop.product.pk).name == "リネンシャツ"


def test_product_update_refuses_fields_it_does_not_own(shop):
    with pytest.raises(ValueError):
        inventory.product_update(product=shop.product, code="renamed")


def test_edit_page_query_count_does_not_grow_with_variants_and_photos(hq, shop, kit, django_assert_max_num_queries):
    hq.get(_url(shop))  # warm-up: theme, content types, compiled kit
    with CaptureQueriesContext(connection) as few:
        hq.get(_url(shop))
    for i, digits in enumerate(["490123456780", "490123456781", "490123456782"]):
        inventory.variant_add(product=shop.product, sku=f"LS-X{i}", barcode=digits + str(ean13_check_digit(digits)),
                              price=5500, size=f"X{i}")
    inventory.product_image_add(product=shop.product, upload=_png())
    with django_assert_max_num_queries(len(few)):
        hq.get(_url(shop))


def test_a_variant_priced_beyond_the_maximum_is_a_field_error(hq, shop):
    response = hq.post(_url(shop), {"form": "variant", "variant-sku": "LS-XL", "variant-barcode": "4901234567801",
                                    "variant-price": str(10**18)})
    assert response.status_code == 400
    assert "price" in response.context["variant_form"].errors
    assert shop.product.variants.count() == 2
