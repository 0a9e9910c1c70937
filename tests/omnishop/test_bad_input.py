"""A NUL character in an address or a form is a 400 with a clear message, on SQLite and PostgreSQL alike, never a 500."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

NUL_PUBLIC = [
    "/products/?q=%00",
    "/products/?category=%00",
    "/products/?q=shirt&%00=1",
    "/brand-guide/x%00/",
    "/account/login/?next=%00",
    "/media/%00secret.txt",
]
NUL_CONSOLE = [
    "/console/products/?q=%00",
    "/console/stock/?q=%00",
    "/console/stock/ledger/?q=%00",
    "/console/pickups/?q=%00",
    "/console/orders/?q=%00",
    "/console/orders/x%00/",
    "/console/shipments/?q=%00",
    "/console/customers/?q=%00",
]
NUL_API = [
    "/api/v1/variants/x%00/",
    "/api/v1/products/x%00/",
    "/api/v1/products/x%00/availability/",
    "/api/v1/orders/x%00/",
    "/api/v1/customers/x%00/",
]


@pytest.mark.parametrize("url", NUL_PUBLIC)
def test_a_nul_in_a_public_page_address_is_a_400_page(shop, url):
    response = Client().get(url)
    assert response.status_code == 400
    assert "使用できない文字" in response.content.decode()  # the visitor's language (Japanese by default)


def test_the_400_page_speaks_english_when_asked(shop, settings):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/products/?q=%00")
    assert response.status_code == 400
    assert "a character that cannot be used" in response.content.decode()


@pytest.mark.parametrize("url", NUL_CONSOLE)
def test_a_nul_in_a_console_address_is_a_400(shop, staff, client, url):
    client.force_login(staff["administrator"])
    assert client.get(url).status_code == 400


@pytest.mark.parametrize("url", NUL_API)
def test_a_nul_in_an_api_address_is_a_400_json_body(shop, staff, url):
    client = APIClient()
    client.force_authenticate(user=staff["administrator"])
    response = client.get(url)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"] == {"path": ["NUL文字は使用できません。"]}


def test_the_api_names_the_parameter_holding_the_nul(shop):
    response = APIClient().get("/api/v1/products/linen-shirt/availability/?sku=%00")
    assert response.status_code == 400
    assert response.json()["errors"] == {"sku": ["NUL文字は使用できません。"]}


def test_a_nul_in_a_submitted_form_is_a_400(shop, staff, client):
    client.force_login(staff["store_staff"])
    response = client.post("/console/customers/", {"q": "\x00"})
    assert response.status_code == 400
    assert Client().post("/account/login/", {"username": "a\x00@example.jp", "password": "x"}).status_code == 400

