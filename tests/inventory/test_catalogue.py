from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from inventory import services
from inventory.models import Product, ProductImage
from inventory.selectors import catalogue, product_availability
from inventory.services import VariantIn

pytestmark = pytest.mark.django_db


def jpeg(width=1600, height=1200) -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (width, height), "#3a6ea5").save(buffer, format="JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_product_with_two_sizes_and_a_photo_gets_renditions(shop):
    product = services.product_create(
        code="tee", name="オーガニックTシャツ",
        variants=[VariantIn(sku="TEE-M", barcode="4900000000016", price=3300, size="M"),
                  VariantIn(sku="TEE-L", barcode="4900000000023", price=3300, size="L")],
    )
    image = services.product_image_add(product=product, upload=jpeg())
    assert product.variants.count() == 2
    with Image.open(image.thumbnail.path) as thumb:
        assert thumb.format == "WEBP" and thumb.width == 480
    with Image.open(image.large.path) as large:
        assert large.width == 1200
    assert (image.width, image.height) == (1600, 1200)


def test_bad_variants_report_every_field_and_save_nothing(shop):
    with pytest.raises(ValidationError) as exc:
        services.product_create(
            code="bad", name="Bad",
            variants=[VariantIn(sku="B-1", barcode="4900000000014", price=100),
                      VariantIn(sku="B-1", barcode="123", price=100)],
        )
    errors = exc.value.message_dict
    assert "variants.0.barcode" in errors and "variants.1.barcode" in errors and "variants.1.sku" in errors
    assert not Product.objects.filter(code="bad").exists()


def test_a_file_that_is_not_an_image_is_refused(shop):
    upload = SimpleUploadedFile("photo.jpg", b"not an image at all", content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        services.product_image_add(product=shop.product, upload=upload)
    assert "image" in exc.value.message_dict
    assert not ProductImage.objects.exists()


def test_a_decompression_bomb_is_refused(shop):
    buffer = BytesIO()
    Image.new("1", (10000, 10000)).save(buffer, format="PNG")
    upload = SimpleUploadedFile("bomb.png", buffer.getvalue(), content_type="image/png")
    with pytest.raises(ValidationError):
        services.product_image_add(product=shop.product, upload=upload)


@pytest.mark.parametrize("query", ["リネン", "りねん", "ﾘﾈﾝ", "LINEN-SHIRT", "ls-s"])
def test_catalogue_search_ignores_width_and_kana_kind(shop, query):
    assert list(catalogue(query=query)) == [shop.product]


def test_availability_per_store_in_one_query(shop, django_assert_num_queries):
    product = Product.objects.prefetch_related("variants").get(pk=shop.product.pk)
    list(product.variants.all())
    with django_assert_num_queries(1):
        rows = product_availability(product=product, locations=[shop.store_a, shop.store_b])
    assert [row.by_location[shop.store_a.id] for row in rows] == [3, 3]
    assert rows[0].total == 5
