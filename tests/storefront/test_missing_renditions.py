"""A product photo without its WebP renditions (saved around ``product_image_add``, as the
Django admin once allowed) must not break the storefront: a neutral box takes its place."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.models import ProductImage

from .conftest import photo, put_in_cart

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo_without_renditions(shop):
    # The row the admin's inline used to write: the original only, no thumbnail or large file.
    upload = photo()
    return ProductImage.objects.create(product=shop.product, original=SimpleUploadedFile(upload.name, upload.read()),
                                       alt="リネンシャツの写真")


@pytest.mark.parametrize("url", [reverse("storefront:home"), reverse("storefront:catalogue")])
def test_product_card_shows_a_placeholder_when_the_photo_has_no_thumbnail(photo_without_renditions, client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="product-card__placeholder"' in html
    assert "product-card__img" not in html


def test_product_page_shows_a_placeholder_for_a_photo_without_a_large_rendition(photo_without_renditions, client):
    response = client.get(reverse("storefront:product", kwargs={"code": "linen-shirt"}))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="gallery__empty"' in html
    assert "gallery__img" not in html


def test_cart_shows_a_placeholder_for_a_photo_without_a_thumbnail(photo_without_renditions, client):
    put_in_cart(client, {"LS-S": 1})
    response = client.get(reverse("storefront:cart"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="cart-line__placeholder"' in html
    assert "cart-line__img" not in html
