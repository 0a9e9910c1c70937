"""Creating products, receiving stock and the stock pages in the console."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from inventory.models import Product, ProductImage, StockLevel, Variant


def _photo(name="shirt.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (900, 600), (200, 120, 80)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _payload(**overrides):
    data = {
        "name": "ウールコート", "code": "wool-coat", "category": "アウター", "description": "", "tax_class": "standard",
        "is_active": "on",
        "variants-TOTAL_FORMS": "3", "variants-INITIAL_FORMS": "0", "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "30",
        "variants-0-size": "M", "variants-0-sku": "WC-M", "variants-0-barcode": "4912345678904",
        "variants-0-price": "29700",
        "variants-1-size": "L", "variants-1-sku": "WC-L", "variants-1-barcode": "4912345678911",
        "variants-1-price": "29700",
    }
    data.update(overrides)
    return data


def test_hq_creates_a_product_with_two_variants_and_a_photo(client, staff, shop):
    client.force_login(staff["hq_marketer"])
    response = client.post(reverse("console:product_create"), {**_payload(), "photo": _photo()})
    product = Product.objects.get(code="wool-coat")
    assert response.status_code == 302
    assert response["Location"] == reverse("console:product_detail", kwargs={"pk": product.pk})
    assert list(product.variants.values_list("sku", "size", "price")) == [("WC-M", "M", 29700), ("WC-L", "L", 29700)]
    image = product.images.get()
    assert image.thumbnail.name.endswith(".webp") and image.large.name.endswith(".webp")


def test_the_new_product_form_has_at_least_two_variant_rows(client, staff):
    client.force_login(staff["hq_marketer"])
    response = client.get(reverse("console:product_create"))
    assert len(response.context["formset"].forms) >= 2


def test_wrong_check_digit_is_a_field_error_in_the_page_language(client, staff, shop):
    client.force_login(staff["hq_marketer"])
    client.cookies["django_language"] = "en"
    response = client.post(reverse("console:product_create"), _payload(**{"variants-1-barcode": "4912345678912"}))
    assert response.status_code == 400
    assert response.context["formset"].forms[1].errors["barcode"]
    assert "The check digit of 4912345678912 is wrong" in response.content.decode()
    assert not Product.objects.filter(code="wool-coat").exists()


def test_check_digit_error_is_japanese_by_default(client, staff, shop):
    client.force_login(staff["hq_marketer"])
    response = client.post(reverse("console:product_create"), _payload(**{"variants-1-barcode": "4912345678912"}))
    assert response.status_code == 400
    assert response.context["formset"].forms[1].errors["barcode"]
    assert response.headers["Content-Language"] == "ja"
    assert "チェックディジット" in response.content.decode()


def test_a_bad_photo_is_a_field_error_and_nothing_is_saved(client, staff, shop):
    client.force_login(staff["hq_marketer"])
    bad = SimpleUploadedFile("notes.jpg", b"this is not an image", content_type="image/jpeg")
    response = client.post(reverse("console:product_create"), {**_payload(), "photo": bad})
    assert response.status_code == 400
    assert response.context["form"].errors["photo"]
    assert not Product.objects.filter(code="wool-coat").exists()
    assert not Variant.objects.filter(sku__startswith="WC-").exists()
    assert ProductImage.objects.count() == 0


def test_a_sku_already_in_use_is_reported_on_its_row(client, staff, shop):
    client.force_login(staff["hq_marketer"])
    response = client.post(reverse("console:product_create"), _payload(**{"variants-1-sku": "LS-S"}))
    assert response.status_code == 400
    assert response.context["formset"].forms[1].errors["sku"]
    assert not Product.objects.filter(code="wool-coat").exists()


def test_operator_receives_stock_by_barcode_at_their_warehouse(client, staff, shop):
    client.force_login(staff["warehouse_operator"])
    before = StockLevel.objects.get(variant=shop.small, location=shop.warehouse).on_hand
    response = client.post(reverse("console:stock_receive"), {
        "location": shop.warehouse.pk, "code": "４９０１２３４５６７８９４", "quantity": "12", "reference": "PO-77"})
    assert response.status_code == 302
    assert StockLevel.objects.get(variant=shop.small, location=shop.warehouse).on_hand == before + 12
    movement = shop.small.movements.get(reference="PO-77")
    assert (movement.quantity, movement.acting_user) == (12, staff["warehouse_operator"])


def test_receiving_an_unknown_code_or_zero_quantity_is_refused(client, staff, shop):
    client.force_login(staff["warehouse_operator"])
    response = client.post(reverse("console:stock_receive"), {
        "location": shop.warehouse.pk, "code": "NOPE", "quantity": "0"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"code", "quantity"}


def test_stock_filters_by_search_and_low_only(client, staff, shop):
    client.force_login(staff["administrator"])
    response = client.get(reverse("console:stock"), {"q": "LS-L", "low": "1"}, HTTP_HX_REQUEST="true",
                          HTTP_HX_TARGET="results")
    rows = list(response.context["page"])
    assert rows and all(r.variant.sku == "LS-L" and r.available_qty <= 2 for r in rows)
    assert {r.location for r in rows} == {shop.store_b}
    assert response.content.decode().lstrip().startswith('<div id="results"')


def test_scoped_stock_page_shows_only_the_own_location(client, staff, shop):
    client.force_login(staff["store_staff"])
    response = client.get(reverse("console:stock"))
    assert {level.location for level in response.context["page"]} == {shop.store_a}


def test_products_search_as_you_type(client, staff, shop):
    client.force_login(staff["hq_marketer"])
    response = client.get(reverse("console:products"), {"q": "りねん"}, HTTP_HX_REQUEST="true",
                          HTTP_HX_TARGET="results")
    assert [p.code for p in response.context["page"]] == ["linen-shirt"]
    response = client.get(reverse("console:products"), {"q": "coat"})
    assert list(response.context["page"]) == []


def test_a_price_beyond_the_maximum_is_an_error_on_its_row_and_nothing_is_saved(client, staff, shop):
    client.force_login(staff["hq_marketer"])
    client.cookies["django_language"] = "en"
    response = client.post(reverse("console:product_create"), _payload(**{"variants-1-price": str(10**18)}))
    assert response.status_code == 400
    assert response.context["formset"].forms[1].errors["price"]
    assert "at most ¥10,000,000" in response.content.decode()
    assert not Product.objects.filter(code="wool-coat").exists()
