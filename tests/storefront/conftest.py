import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, HttpResponse
from PIL import Image

from customers.models import Customer
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


def browser_cookie(client, value: str | None = None) -> str:
    """Give the test client a signed browser-id cookie, as the storefront would."""
    from kernel.browser import COOKIE_SALT, cookie_name

    value = value or uuid.uuid4().hex
    response = HttpResponse()
    response.set_signed_cookie(cookie_name(), value, salt=COOKIE_SALT)
    client.cookies[cookie_name()] = response.cookies[cookie_name()].value
    return value


def client_browser_id(client) -> str | None:
    """The browser id the storefront reads from the client's cookie."""
    from kernel.browser import browser_id, cookie_name

    request = HttpRequest()
    cookie = client.cookies.get(cookie_name())
    if cookie is not None:
        request.COOKIES[cookie_name()] = cookie.value
    return browser_id(request)


def client_cart(client, *, create: bool = False):
    """The cart the client's requests use: the signed-in customer's, else its browser's."""
    from orders.models import Cart

    user_id = client.session.get("_auth_user_id")
    customer = Customer.objects.filter(user_id=user_id).first() if user_id else None
    if customer is not None:
        owner = {"customer": customer}
    else:
        value = client_browser_id(client)
        if value is None:
            if not create:
                return None
            value = browser_cookie(client)
        owner = {"browser_id": value, "customer": None}
    if create:
        return Cart.objects.get_or_create(**owner)[0]
    return Cart.objects.filter(**owner).first()


def put_in_cart(client, items: dict[str, int]) -> None:
    """Make the client's cart hold exactly ``items`` (SKU -> quantity), stale SKUs and quantities
    above the limit included: written as rows, the way a cart left from an earlier visit is."""
    from orders.models import CartLine

    cart = client_cart(client, create=True)
    cart.lines.all().delete()
    CartLine.objects.bulk_create([CartLine(cart=cart, sku=sku, quantity=quantity) for sku, quantity in items.items()])


def cart_of(client) -> dict[str, int]:
    cart = client_cart(client)
    return dict(cart.lines.values_list("sku", "quantity")) if cart else {}
