"""The Django admin of the inventory domain goes through the inventory services."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from inventory import services
from inventory.errors import VariantInUse
from inventory.models import Product, Variant
from kernel.models import AuditEntry, Channel, ChannelKind, Location

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, db):
    user = get_user_model().objects.create_superuser("root@example.jp", "pass-Word-123")
    client.force_login(user)
    return client


def location_form(**fields) -> dict:
    return {"code": "kobe", "name": "神戸店", "kind": "store", "prefecture": "28", "postal_code": "",
            "address": "", "phone": "", "opening_hours": "", "offers_pickup": "on", "is_active": "on", **fields}


def test_a_store_added_in_the_admin_gets_its_pos_channel_and_a_warehouse_none(superuser_client):
    url = reverse("admin:omnishop_location_add")
    response = superuser_client.post(url, location_form())
    assert response.status_code == 302
    assert response.url == reverse("admin:omnishop_location_changelist")
    store = Location.objects.get(code="kobe")
    channel = Channel.objects.get(code="pos-kobe")
    assert (channel.kind, channel.location) == (ChannelKind.POS, store)

    assert superuser_client.post(url, location_form(code="wh-kansai", name="関西倉庫", kind="warehouse")).status_code == 302
    assert Location.objects.filter(code="wh-kansai").exists()
    assert not Channel.objects.filter(location__code="wh-kansai").exists()


def test_the_product_admin_offers_no_photo_upload_but_links_to_the_console(shop, superuser_client):
    services.product_image_add(product=shop.product, upload=_photo())
    response = superuser_client.get(reverse("admin:inventory_product_change", args=[shop.product.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="images-__prefix__-original"' not in html  # no "add another photo" row
    assert 'name="images-0-original"' not in html  # an existing photo's file cannot be swapped
    assert reverse("console:product_edit", kwargs={"code": "linen-shirt"}) in html
    assert shop.product.images.get().thumbnail.url in html  # the photo is shown, read-only


def _photo():
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (120, 90), (40, 90, 160)).save(buffer, format="PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def _product_form(product, **fields) -> dict:
    """The admin's change form for ``product`` as it is, with ``fields`` changed."""
    data = {"name": product.name, "category": product.category, "tax_class": product.tax_class,
            "stock_policy": product.stock_policy, "is_active": "on" if product.is_active else "",
            "variants-TOTAL_FORMS": "0", "variants-INITIAL_FORMS": "0",
            "images-TOTAL_FORMS": "0", "images-INITIAL_FORMS": "0"}
    variants = list(product.variants.order_by("position", "id"))
    data.update({"variants-TOTAL_FORMS": str(len(variants)), "variants-INITIAL_FORMS": str(len(variants))})
    for index, variant in enumerate(variants):
        data.update({f"variants-{index}-id": variant.pk, f"variants-{index}-product": product.pk,
                     f"variants-{index}-size": variant.size, f"variants-{index}-color": variant.color,
                     f"variants-{index}-barcode": variant.barcode, f"variants-{index}-price": variant.price,
                     f"variants-{index}-position": variant.position})
    data.update(fields)
    return data


def test_an_admin_post_cannot_change_a_product_code_nor_put_in_copy_the_brand_kit_refuses(shop, superuser_client):
    from brandkit.services import brandkit_seed_default

    brandkit_seed_default()
    url = reverse("admin:inventory_product_change", args=[shop.product.pk])
    response = superuser_client.post(url, _product_form(shop.product, code="renamed", description="激安の麻シャツ",
                                                        name="リネンシャツ（長袖）"))
    assert response.status_code == 302
    shop.product.refresh_from_db()
    assert (shop.product.code, shop.product.description) == ("linen-shirt", "")
    assert shop.product.name == "リネンシャツ（長袖）"  # what the admin may change, through product_update


def test_the_product_admin_saves_through_the_catalogue_services(shop, superuser_client, monkeypatch):
    calls = []
    for name in ("product_update", "variant_update"):
        real = getattr(services, name)
        monkeypatch.setattr(services, name, lambda real=real, name=name, **kw: calls.append(name) or real(**kw))
    url = reverse("admin:inventory_product_change", args=[shop.product.pk])
    response = superuser_client.post(url, _product_form(shop.product, is_active="", **{
        "variants-1-price": "6050", "variants-1-sku": "HACKED"}))
    assert response.status_code == 302
    assert calls == ["product_update", "variant_update"]
    shop.large.refresh_from_db()
    assert (shop.large.price, shop.large.sku) == (6050, "LS-L")
    assert not Product.objects.get(pk=shop.product.pk).is_active


def test_products_are_created_in_the_console_not_the_admin(shop, superuser_client):
    assert superuser_client.get(reverse("admin:inventory_product_add")).status_code == 403
    html = superuser_client.get(reverse("admin:inventory_product_changelist")).content.decode()
    assert reverse("admin:inventory_product_add") not in html


def test_a_product_without_history_is_deleted_through_the_service(shop, superuser_client, monkeypatch):
    product = services.product_create(code="mistake", name="間違い", variants=[
        services.VariantIn(sku="MS-1", barcode="4912345678904", price=100)])
    calls = []
    real = services.product_delete
    monkeypatch.setattr(services, "product_delete", lambda **kw: calls.append(kw["product"].code) or real(**kw))
    url = reverse("admin:inventory_product_delete", args=[product.pk])
    assert superuser_client.post(url, {"post": "yes"}).status_code == 302
    assert calls == ["mistake"] and not Product.objects.filter(code="mistake").exists()


def test_an_edited_location_keeps_its_code_and_a_new_store_gets_its_pos_channel(shop, superuser_client):
    url = reverse("admin:omnishop_location_change", args=[shop.locker.pk])
    response = superuser_client.post(url, location_form(code="renamed", name="新宿ポップアップ", kind="popup",
                                                        prefecture="13"))
    assert response.status_code == 302
    shop.locker.refresh_from_db()
    assert (shop.locker.code, shop.locker.name, shop.locker.kind) == ("locker-shinjuku", "新宿ポップアップ", "popup")
    assert Channel.objects.get(code="pos-locker-shinjuku").location == shop.locker


def _variant_without_history(shop):
    return services.variant_add(product=shop.product, sku="LS-XL", barcode="4900000000023", price=5500, size="XL")


def test_a_variant_ticked_for_deletion_in_the_inline_is_deleted_through_the_service(shop, superuser_client,
                                                                                   monkeypatch):
    mistake = _variant_without_history(shop)
    calls = []
    real = services.variant_delete
    monkeypatch.setattr(services, "variant_delete", lambda **kw: calls.append(kw["variant"].sku) or real(**kw))
    url = reverse("admin:inventory_product_change", args=[shop.product.pk])
    response = superuser_client.post(url, _product_form(shop.product, **{"variants-2-DELETE": "on",
                                                                         "variants-0-price": "5800"}))
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    assert calls == ["LS-XL"]
    assert list(shop.product.variants.values_list("sku", flat=True).order_by("position")) == ["LS-S", "LS-L"]
    assert Variant.objects.get(sku="LS-S").price == 5800  # the other rows still save
    entry = AuditEntry.objects.get(action="variant_delete")
    assert entry.actor.email == "root@example.jp" and entry.changes["sku"] == "LS-XL"
    assert entry.object_id == str(shop.product.pk) and not Variant.objects.filter(pk=mistake.pk).exists()


def test_a_variant_with_stock_history_is_not_deleted_and_the_admin_says_why(shop, superuser_client):
    url = reverse("admin:inventory_product_change", args=[shop.product.pk])
    response = superuser_client.post(url, _product_form(shop.product, **{"variants-0-DELETE": "on"}))
    assert response.status_code == 200  # the form again, with the reason; no 500
    assert "LS-S" in response.content.decode() and response.context["errors"]
    assert Variant.objects.filter(sku="LS-S").exists()
    assert not AuditEntry.objects.filter(action="variant_delete").exists()


def test_a_refusal_by_the_service_itself_is_a_message_not_a_500(shop, superuser_client, monkeypatch):
    _variant_without_history(shop)

    def refuse(**kw):
        raise VariantInUse(kw["variant"].sku)

    monkeypatch.setattr(services, "variant_delete", refuse)  # e.g. a sale in between
    url = reverse("admin:inventory_product_change", args=[shop.product.pk])
    response = superuser_client.post(url, _product_form(shop.product, **{"variants-2-DELETE": "on"}), follow=True)
    assert response.status_code == 200
    assert any("LS-XL" in str(message) for message in response.context["messages"])
    assert Variant.objects.filter(sku="LS-XL").exists()


def test_variant_delete_refuses_a_variant_with_stock_movements(shop):
    with pytest.raises(VariantInUse):
        services.variant_delete(variant=shop.small)  # received stock
    found = _variant_without_history(shop)
    services.stock_adjust(variant=found, location=shop.store_a, quantity=1, note="found")
    with pytest.raises(VariantInUse):
        services.variant_delete(variant=found)
    assert Variant.objects.filter(sku__in=["LS-S", "LS-XL"]).count() == 2
