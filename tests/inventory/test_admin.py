"""The Django admin of the inventory domain goes through the inventory services."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from inventory import services
from kernel.models import Channel, ChannelKind, Location

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
