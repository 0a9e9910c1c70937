import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kernel.models import Location, LocationKind
from kernel.templatetags.money import yen

from .conftest import make_product

pytestmark = pytest.mark.django_db


def test_yen_filter_formats_integer_yen_with_separators():
    assert yen(1234) == "¥1,234"
    assert yen(0) == "¥0"
    assert yen(5500000) == "¥5,500,000"
    assert yen(None) == ""


def count_queries(client, url, **extra) -> int:
    client.get(url, **extra)  # warm per-process caches (the brand theme) so only the page's own reads count
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_catalogue_uses_the_same_number_of_queries_for_5_and_50_products(shop, client, django_assert_num_queries):
    url = reverse("storefront:catalogue")
    for index in range(4):
        make_product(index, with_photo=index < 2)
    few = count_queries(client, url)  # 5 products with the shop's own
    for index in range(4, 49):
        make_product(index)
    many = count_queries(client, url)  # 50 products
    assert few == many
    with django_assert_num_queries(many):
        response = client.get(url)
    assert response.context["page"].paginator.count == 50


def test_catalogue_search_is_kana_and_width_insensitive(shop, client):
    make_product(1)
    url = reverse("storefront:catalogue")
    for query in ("りねん", "ﾘﾈﾝ", "リネン"):
        response = client.get(url, {"q": query})
        names = [product.name for product in response.context["products"]]
        assert names == ["リネンシャツ"], query


def test_catalogue_search_by_htmx_returns_only_the_results_partial(shop, client):
    response = client.get(reverse("storefront:catalogue"), {"q": "リネン"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert 'id="results"' in html and "リネンシャツ" in html
    assert "<html" not in html and "sf-header" not in html


def test_catalogue_shows_tax_inclusive_price_and_filters_by_category(shop, client):
    make_product(1, price=1080)  # category 雑貨
    response = client.get(reverse("storefront:catalogue"), {"category": "雑貨"})
    html = response.content.decode()
    assert "アイテム1" in html and "リネンシャツ" not in html
    assert "¥1,080〜¥1,630" in html


def test_home_lists_only_stores_that_offer_pickup(shop, client):
    html = client.get(reverse("storefront:home")).content.decode()
    assert "渋谷店" in html and "梅田店" in html
    assert "新宿ロッカー" not in html


def test_product_page_uses_the_same_number_of_queries_for_5_and_50_stores(shop, customer_client,
                                                                          django_assert_num_queries):
    url = reverse("storefront:product", kwargs={"code": "linen-shirt"})

    def add_stores(start, stop):
        for index in range(start, stop):
            Location.objects.create(code=f"store-{index}", name=f"店舗{index}", kind=LocationKind.STORE,
                                    prefecture="13", offers_pickup=True)

    add_stores(0, 3)  # 5 pickup stores with 渋谷 and 梅田
    few = count_queries(customer_client, url)
    add_stores(3, 48)  # 50
    many = count_queries(customer_client, url)
    assert few == many
    with django_assert_num_queries(many):
        response = customer_client.get(url)
    assert len(response.context["store_stock"]) == 50
