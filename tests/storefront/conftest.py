import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from customers.services import customer_sign_up
from inventory import services as inventory
from inventory.services import VariantIn


def ean13(number: int) -> str:
    """A valid EAN-13 (JAN) built from a 12-digit body."""
    body = f"45{number:010d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def photo(name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 120, 80)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def make_product(index: int, *, tax_class: str = "standard", price: int = 3300, with_photo: bool = False, stock=()):
    product = inventory.product_create(
        code=f"item-{index}", name=f"アイテム{index}", category="雑貨" if index % 2 else "シャツ", tax_class=tax_class,
        variants=[VariantIn(sku=f"IT-{index}-M", barcode=ean13(index * 10 + 1), price=price, size="M"),
                  VariantIn(sku=f"IT-{index}-L", barcode=ean13(index * 10 + 2), price=price + 550, size="L")],
    )
    if with_photo:
        inventory.product_image_add(product=product, upload=photo(), alt=f"アイテム{index}の写真")
    for location, quantity in stock:
        for variant in product.variants.all():
            inventory.stock_receive(variant=variant, location=location, quantity=quantity)
    return product


@pytest.fixture
def customer(shop):
    _user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="山田",
                                       given_name="花子", family_name_kana="ヤマダ", given_name_kana="ハナコ",
                                       phone="090-1234-5678", channel=shop.web)
    return customer


@pytest.fixture
def customer_client(client, customer):
    client.force_login(customer.user)
    return client


def put_in_cart(client, items: dict[str, int]) -> None:
    session = client.session
    session["cart"] = items
    session.save()
