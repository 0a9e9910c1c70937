"""Prices are bounded by settings.MAX_PRICE and location phone numbers are Japanese numbers,
whichever way (service, console, admin, API) they are written."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from inventory import services
from inventory.models import Product, Variant
from inventory.services import VariantIn
from kernel.models import Location, LocationKind
from tests.inventory.test_admin import location_form

pytestmark = pytest.mark.django_db

HUGE = 10**18


def test_a_product_priced_beyond_the_maximum_is_refused_on_the_variant_price(db, settings):
    with pytest.raises(ValidationError) as caught:
        services.product_create(code="kettle", name="鉄瓶", variants=[
            VariantIn(sku="K-1", barcode="4912345678904", price=settings.MAX_PRICE),
            VariantIn(sku="K-2", barcode="4912345678911", price=HUGE)])
    assert list(caught.value.message_dict) == ["variants.1.price"]
    assert not Product.objects.exists()


def test_a_price_at_the_maximum_is_accepted(db, settings):
    product = services.product_create(code="kettle", name="鉄瓶", variants=[
        VariantIn(sku="K-1", barcode="4912345678904", price=settings.MAX_PRICE)])
    assert product.variants.get().price == settings.MAX_PRICE


def test_the_default_maximum_is_ten_million_yen(settings):
    assert settings.MAX_PRICE == 10_000_000


def test_a_variant_priced_beyond_the_maximum_is_refused(shop, settings):
    settings.MAX_PRICE = 9_999
    with pytest.raises(ValidationError) as caught:
        services.variant_add(product=shop.product, sku="LS-M", barcode="4901234567870", price=10_000)
    assert list(caught.value.message_dict) == ["price"]
    assert "9,999" in caught.value.message_dict["price"][0]
    assert not Variant.objects.filter(sku="LS-M").exists()


@pytest.mark.parametrize("phone", ["abc", "1234", "03-1234-5678 (代表)"])
def test_a_location_phone_that_is_not_a_japanese_number_is_refused(db, phone):
    with pytest.raises(ValidationError) as caught:
        services.location_create(code="kobe", name="神戸店", kind=LocationKind.STORE, prefecture="28", phone=phone)
    assert list(caught.value.message_dict) == ["phone"]


def test_a_location_in_no_prefecture_is_refused(db):
    with pytest.raises(ValidationError) as caught:
        services.location_create(code="kobe", name="神戸店", kind=LocationKind.STORE, prefecture="99")
    assert list(caught.value.message_dict) == ["prefecture"]


def test_the_admin_refuses_a_location_phone_that_is_not_a_japanese_number(client):
    client.force_login(get_user_model().objects.create_superuser("root@example.jp", "pass-Word-123"))
    response = client.post(reverse("admin:omnishop_location_add"), location_form(phone="abc"))
    assert response.status_code == 200
    assert "phone" in response.context["adminform"].form.errors
    assert not Location.objects.exists()
