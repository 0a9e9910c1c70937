"""No GET writes: every page and API read, opened by each kind of user, sends no INSERT, UPDATE
or DELETE to the database. What a page wants recorded (a product view) it posts afterwards.

Left out on purpose: ``django_session`` rows (Django saves a session that a request touched, e.g.
the flash messages being read; that is the HTTP layer's state, not domain data) and the login
pages' POSTs (``last_login``, the failed-login counters), which are not GETs. What a session
holds is checked instead: no GET changes it (the flash messages aside), so a choice kept there,
like the brand the brand kit pages show, is made by a POST (the brand switcher)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from brandkit import services as brandkit_services
from brandkit.views.console import SESSION_KIT
from customers.merge import duplicates_scan
from customers.services import customer_create
from tests.console.conftest import place_delivery

pytestmark = pytest.mark.django_db

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE)\b", re.IGNORECASE)
OUTSIDE_THE_DOMAIN = ("django_session",)
FLASH = "_messages"  # read (and so removed) by the page that shows them


def _session(client) -> dict:
    return {key: value for key, value in client.session.items() if key != FLASH}


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries
            if WRITE.match(q["sql"]) and not any(table in q["sql"] for table in OUTSIDE_THE_DOMAIN)]


@pytest.fixture
def world(shop, staff, customer, pickups):
    shipment = place_delivery(shop, customer=customer).fulfillments.get()
    kit = brandkit_services.brandkit_seed_default()
    other_kit = brandkit_services.brand_start(name="SORA", slug="sora")  # a second brand to switch to
    twin = customer_create(email="hanako.sato@example.com", family_name="佐藤", given_name="花子",
                           phone="090-1234-5678")  # a second record of the customer: the duplicates queue
    duplicates_scan()
    return {"twin": twin, "shop": shop, "staff": staff, "customer": customer, "pickups": pickups, "shipment": shipment,
            "kit": kit, "other_kit": other_kit}


def storefront_pages(w) -> list[str]:
    order = w["pickups"]["a"].number
    return [
        reverse("storefront:home"),
        reverse("storefront:catalogue"),
        reverse("storefront:catalogue") + "?q=シャツ",
        reverse("storefront:product", kwargs={"code": "linen-shirt"}),
        reverse("storefront:product", kwargs={"code": "linen-shirt"}) + "?sku=LS-L",
        reverse("storefront:cart"),
        reverse("storefront:checkout"),
        reverse("storefront:account"),
        reverse("storefront:signup"),
        reverse("storefront:login"),
        reverse("storefront:consent"),
        reverse("storefront:order", kwargs={"number": order}),
        reverse("storefront:receipt", kwargs={"number": order}),
    ]


def console_pages(w) -> list[str]:
    shop, customer = w["shop"], w["customer"]
    return [
        reverse("console:dashboard"),
        reverse("console:products"),
        reverse("console:products") + "?q=シャツ",
        reverse("console:product_create"),
        reverse("console:product_detail", kwargs={"pk": shop.product.pk}),
        reverse("console:product_edit", kwargs={"code": shop.product.code}),
        reverse("console:product_lint") + "?description=激安",
        reverse("console:stock"),
        reverse("console:stock_receive"),
        reverse("console:stock_adjust"),
        reverse("console:ledger"),
        reverse("console:pickup_desk"),
        reverse("console:orders"),
        reverse("console:order_detail", kwargs={"number": w["pickups"]["a"].number}),
        reverse("console:shipments"),
        reverse("console:customers"),
        reverse("console:customers") + "?q=サトウ",
        reverse("console:customer_detail", kwargs={"pk": customer.pk}),
        reverse("console:customer_edit", kwargs={"pk": customer.pk}),
        reverse("console:duplicates"),
        reverse("console:duplicates_scan_status"),
        reverse("console:customer_merge_with", kwargs={"pk": customer.pk}) + "?q=サトウ",
        reverse("console:customer_merge_with", kwargs={"pk": customer.pk}) + f"?other={w['twin'].pk}",
        reverse("console:login"),
        *brandkit_pages(w),
        *segment_pages(w),
    ]


def _segment(w):
    """A segment with a persona and a finished export (built once, through the services)."""
    if "segment" not in w:
        from customers import segments

        persona = segments.persona_create(name="週末派")
        segment = segments.segment_create(name="東京", persona=persona, rules={"groups": [{"conditions": [
            {"field": "prefecture", "operator": "in", "value": ["13"]}]}]})
        w["segment"], w["persona"] = segment, persona
    return w["segment"]


def segment_pages(w) -> list[str]:
    segment = _segment(w)
    return [reverse("console:segments"), reverse("console:segment_create"),
            reverse("console:segment_detail", kwargs={"pk": segment.pk}),
            reverse("console:segment_edit", kwargs={"pk": segment.pk}), reverse("console:personas"),
            reverse("console:persona_create"), reverse("console:persona_edit", kwargs={"pk": w["persona"].pk})]


def brandkit_pages(w) -> list[str]:
    """Each brand kit page, plain and with the ``?kit=`` that used to switch the brand on a GET."""
    other = w["other_kit"].pk
    pages = [reverse(f"console:brandkit:{name}") for name in ("index", "draft", "history", "check", "assets")]
    return [*pages, *(f"{url}?kit={other}" for url in pages), f"{reverse('console:brandkit:kit_switch')}?kit={other}"]


def api_reads(w) -> list[str]:
    customer = w["customer"]
    return [
        "/api/v1/products/", "/api/v1/products/linen-shirt/", "/api/v1/products/linen-shirt/availability/",
        "/api/v1/variants/", "/api/v1/variants/LS-S/", "/api/v1/locations/", "/api/v1/stock-levels/",
        "/api/v1/customers/", f"/api/v1/customers/{customer.pk}/", f"/api/v1/customers/{customer.pk}/events/",
        "/api/v1/orders/", f"/api/v1/orders/{w['pickups']['a'].number}/", "/api/v1/me/", "/api/v1/me/consent/",
        "/api/v1/segments/", f"/api/v1/segments/{_segment(w).pk}/", f"/api/v1/segments/{_segment(w).pk}/count/",
        f"/api/v1/segments/{_segment(w).pk}/members/", f"/api/v1/segments/{_segment(w).pk}/snapshots/",
        "/api/v1/segments/fields/", "/api/v1/personas/", f"/api/v1/customers/{customer.pk}/score/",
        "/api/v1/customers/duplicates/", "/api/v1/customers/duplicates/scan/", f"/api/v1/customers/{customer.pk}/merge/",
    ]


def admin_pages(w) -> list[str]:
    shop = w["shop"]
    return [
        reverse("admin:index"),
        reverse("admin:inventory_product_changelist"),
        reverse("admin:inventory_product_change", args=[shop.product.pk]),
        reverse("admin:omnishop_location_changelist"),
        reverse("admin:inventory_stocklevel_changelist"),
        reverse("admin:customers_customer_changelist"),
        reverse("admin:customers_customer_change", args=[w["customer"].pk]),
        reverse("admin:orders_order_changelist"),
        reverse("admin:orders_order_change", args=[w["pickups"]["a"].pk]),
    ]


WHO = ["anonymous", "customer", "store_staff", "warehouse_operator", "hq_marketer", "administrator"]


def _sign_in(client, w, who):
    if who == "customer":
        client.force_login(w["customer"].user)
    elif who != "anonymous":
        client.force_login(w["staff"][who])


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("pages", [storefront_pages, console_pages, api_reads])
def test_no_page_or_api_read_writes_to_the_database(client, world, who, pages):
    _sign_in(client, world, who)
    written, sessions = {}, {}
    for url in pages(world):
        for headers in ({}, {"HX-Request": "true"}):
            session = _session(client)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, headers=headers)
            assert response.status_code < 500, url
            if writes := _writes(queries.captured_queries):
                written[url] = writes
            if _session(client) != session:
                sessions[url] = (session, _session(client))
    assert written == {}
    assert sessions == {}


def test_a_get_never_changes_the_brand_the_brand_kit_pages_show(client, world):
    """The brand switcher is a POST; no GET (its own URL, an old ``?kit=`` link) switches."""
    client.force_login(world["staff"]["hq_marketer"])
    kit, other = world["kit"], world["other_kit"]
    for url in brandkit_pages(world):
        client.get(url)
        assert client.session.get(SESSION_KIT) is None, url
        assert client.get(reverse("console:brandkit:index")).context["kit"] == kit, url
    assert client.post(reverse("console:brandkit:kit_switch"), {"kit": other.pk}).status_code == 302
    assert client.session[SESSION_KIT] == other.pk
    for url in brandkit_pages(world):
        client.get(url.replace(f"?kit={other.pk}", f"?kit={kit.pk}"))
        assert client.session[SESSION_KIT] == other.pk, url


def test_no_admin_page_writes_to_the_database(admin_client, world):
    written = {}
    for url in admin_pages(world):
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(url)
        assert response.status_code == 200, url
        if writes := _writes(queries.captured_queries):
            written[url] = writes
    assert written == {}


def test_the_product_page_of_a_signed_in_customer_writes_nothing(client, world):
    """The case that used to write: the product page recorded the view in its GET."""
    client.force_login(world["customer"].user)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("storefront:product", kwargs={"code": "linen-shirt"}))
    assert _writes(queries.captured_queries) == []
