"""Back-in-stock on the storefront: the product page's "Notify me when it's back" block (through
the orders page's ``product_stock`` slot), subscribing from it (htmx and plain), the guest's way to
sign in and come back, the discontinued product's sentence, and the account's list with cancel
(another customer's subscription cannot be cancelled)."""

import pytest
from django.urls import reverse
from django.utils import translation

from campaigns.backinstock import back_in_stock_subscribe
from campaigns.models import BackInStockSubscription
from campaigns.views.backinstock import product_stock_block
from customers.services import customer_sign_up
from inventory import services as inventory
from orders.views.storefront import StoreStock
from tests.builders import build_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    """Sold out online and at store A (渋谷店); two of each size at store B (梅田店)."""
    return build_shop(stock_a=0, stock_b=2, stock_warehouse=0)


def sign_up(email: str, **extra):
    return customer_sign_up(email=email, password="pass-Word-123", family_name="山田", given_name="花子", **extra)[1]


@pytest.fixture
def hanako(shop):
    return sign_up("hanako@example.jp")


@pytest.fixture(autouse=True)
def _english(client, settings):
    """Pages and messages are checked in English (the msgids): whether the Japanese catalogue is
    compiled in this checkout does not matter (tests/omnishop/test_i18n.py checks the Japanese)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def signed_in(client, hanako):
    client.force_login(hanako.user)
    return client


def product_url(shop, sku="LS-S"):
    return reverse("storefront:product", kwargs={"code": shop.product.code}) + f"?sku={sku}"


def block(response) -> str:
    html = response.content.decode()
    start = html.find('id="back-in-stock"')
    return html[start:html.find("</form>", start) + 7] if start >= 0 else ""


# --- the product page's block --------------------------------------------------------------

def test_a_signed_in_customer_sees_the_form_with_the_places_it_is_out_of_stock(signed_in, shop):
    html = block(signed_in.get(product_url(shop)))
    assert "Notify me when it's back" in html
    assert f'value="{shop.store_a.pk}"' in html and "渋谷店" in html  # sold out there
    assert f'value="{shop.store_b.pk}"' not in html  # in stock at 梅田店: buy it there
    assert '<option value=""' in html  # online: sold out too
    assert 'hx-post="/back-in-stock/subscribe/"' in html


def test_the_favourite_store_is_chosen_first(client, shop):
    from customers.services import customer_update_profile

    customer = sign_up("fav@example.jp")
    customer_update_profile(customer=customer, favourite_location=shop.store_a)
    client.force_login(customer.user)
    html = block(client.get(product_url(shop)))
    assert f'<option value="{shop.store_a.pk}" selected>' in html


def test_nothing_to_wait_for_when_the_size_is_in_stock_everywhere(signed_in, shop):
    for location in (shop.warehouse, shop.store_a):
        inventory.stock_receive(variant=shop.small, location=location, quantity=5)
    response = signed_in.get(product_url(shop))
    assert response.status_code == 200 and 'id="back-in-stock"' not in response.content.decode()


def test_a_guest_is_asked_to_log_in_and_come_back(client, shop):
    html = client.get(product_url(shop)).content.decode()
    login = reverse("storefront:login") + "?next=%2Fproducts%2Flinen-shirt%2F%3Fsku%3DLS-S"
    assert 'id="back-in-stock"' in html and login.replace("&", "&amp;") in html
    assert 'action="/back-in-stock/subscribe/"' not in html


def test_a_guest_posting_the_form_is_sent_to_log_in(client, shop):
    response = client.post(reverse("storefront:back_in_stock_subscribe"), {"sku": "LS-S", "location": ""})
    assert response.status_code == 302 and response["Location"].startswith(reverse("storefront:login"))
    htmx = client.post(reverse("storefront:back_in_stock_subscribe"), {"sku": "LS-S"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 204 and htmx["HX-Redirect"].startswith(reverse("storefront:login"))
    assert not BackInStockSubscription.objects.exists()


def test_subscribing_with_htmx_re_renders_the_block(signed_in, shop, hanako):
    response = signed_in.post(reverse("storefront:back_in_stock_subscribe"),
                              {"sku": "LS-S", "location": str(shop.store_a.pk)}, HTTP_HX_REQUEST="true",
                              HTTP_HX_TARGET="back-in-stock")
    html = response.content.decode()
    assert response.status_code == 200 and html.startswith('<div id="back-in-stock"')
    subscription = BackInStockSubscription.objects.get()
    assert (subscription.customer, subscription.variant, subscription.location, subscription.source) == (
        hanako, shop.small, shop.store_a, "storefront")
    assert "notice--success" in html
    assert f'value="{shop.store_a.pk}"' not in html  # already waiting there: no longer offered
    # the page now says where they wait
    assert "渋谷店" in block(signed_in.get(product_url(shop)))


def test_subscribing_without_javascript_redirects_to_the_product(signed_in, shop):
    response = signed_in.post(reverse("storefront:back_in_stock_subscribe"), {"sku": "LS-L", "location": ""})
    assert response.status_code == 302 and response["Location"] == product_url(shop, "LS-L")
    assert BackInStockSubscription.objects.get().location is None


def test_a_refusal_is_shown_in_the_block(signed_in, shop):
    response = signed_in.post(reverse("storefront:back_in_stock_subscribe"),
                              {"sku": "LS-S", "location": str(shop.store_b.pk)}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "notice--error" in html and "梅田店" in html
    assert not BackInStockSubscription.objects.exists()


def test_an_unknown_sku_or_store_is_not_found(signed_in, shop):
    url = reverse("storefront:back_in_stock_subscribe")
    assert signed_in.post(url, {"sku": "NOPE"}).status_code == 404
    assert signed_in.post(url, {"sku": "LS-S", "location": "99999"}).status_code == 404
    assert signed_in.post(url, {"sku": "LS-S", "location": "x"}).status_code == 404


def test_a_discontinued_product_shows_why_instead_of_the_form(rf, shop, hanako):
    """The storefront no longer shows an unpublished product (404); where its block is rendered
    (the slot), it is the sentence, not the form."""
    inventory.product_update(product=shop.product, is_active=False)
    request = rf.get("/")
    request.user = hanako.user
    html = product_stock_block(request, slot="product_stock", product=shop.product, variant=shop.small,
                               store_stock=[StoreStock(shop.store_a, 0)])
    assert "no longer sold" in html and "<form" not in html


def test_the_product_page_keeps_its_query_count_with_the_block(signed_in, shop, hanako,
                                                              django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    signed_in.get(product_url(shop))  # warm the per-process caches (the brand's theme)
    with CaptureQueriesContext(connection) as before:
        signed_in.get(product_url(shop))
    back_in_stock_subscribe(customer=hanako, variant=shop.small, location=shop.store_a, source="storefront")
    back_in_stock_subscribe(customer=hanako, variant=shop.small, location=None, source="storefront")
    with django_assert_max_num_queries(len(before)):
        signed_in.get(product_url(shop))


# --- the account's list -----------------------------------------------------------------------

def test_the_account_lists_the_subscriptions_and_cancels_one(signed_in, shop, hanako):
    subscription, _ = back_in_stock_subscribe(customer=hanako, variant=shop.small, location=shop.store_a,
                                              source="storefront")
    page = signed_in.get(reverse("storefront:account_back_in_stock"))
    html = page.content.decode()
    assert page.status_code == 200 and "リネンシャツ" in html and "渋谷店" in html
    cancel = reverse("storefront:account_back_in_stock_cancel", args=[subscription.pk])
    assert f'action="{cancel}"' in html
    response = signed_in.post(cancel)
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.cancelled_at is not None and subscription.cancelled_by == hanako.user


def test_the_account_explains_a_discontinued_product(signed_in, shop, hanako):
    back_in_stock_subscribe(customer=hanako, variant=shop.small, location=shop.store_a, source="storefront")
    inventory.product_update(product=shop.product, is_active=False)
    html = signed_in.get(reverse("storefront:account_back_in_stock")).content.decode()
    assert "bis-row__why" in html and "no longer sold" in html


def test_another_customers_subscription_cannot_be_cancelled(client, shop, hanako):
    subscription, _ = back_in_stock_subscribe(customer=hanako, variant=shop.small, location=shop.store_a,
                                              source="storefront")
    taro = sign_up("taro@example.jp")
    client.force_login(taro.user)
    response = client.post(reverse("storefront:account_back_in_stock_cancel", args=[subscription.pk]))
    assert response.status_code == 404
    subscription.refresh_from_db()
    assert subscription.cancelled_at is None
    assert "リネンシャツ" not in client.get(reverse("storefront:account_back_in_stock")).content.decode()


def test_the_account_page_needs_a_customer(client, shop):
    url = reverse("storefront:account_back_in_stock")
    assert client.get(url).status_code == 302


def test_the_account_page_uses_the_same_queries_for_one_and_ten(signed_in, shop, hanako):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.storefront.conftest import make_product

    back_in_stock_subscribe(customer=hanako, variant=shop.small, location=shop.store_a, source="storefront")
    url = reverse("storefront:account_back_in_stock")
    signed_in.get(url)  # warm the per-process caches (the brand's theme)
    with CaptureQueriesContext(connection) as one:
        signed_in.get(url)
    for index in range(9):
        product = make_product(index)
        back_in_stock_subscribe(customer=hanako, variant=product.variants.first(), location=shop.store_a,
                                source="storefront")
    with CaptureQueriesContext(connection) as ten:
        assert signed_in.get(url).content.decode().count('class="bis-row"') == 10
    assert len(ten) == len(one)
