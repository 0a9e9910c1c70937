"""Parity: the same input through the console and through the API gives the same rows, because
both call the same service. Each action runs through one door inside a savepoint that is rolled
back, then through the other, and the rows each left are compared (ids and times aside)."""

import pytest
from django.db import transaction
from django.urls import reverse
from rest_framework.test import APIClient

from brandkit.models import LintCheck
from brandkit.services import brandkit_seed_default
from customers.models import ConsentRecord, Customer, CustomerEvent
from inventory.models import Product, StockLevel, StockMovement, Variant
from kernel.models import AuditEntry

pytestmark = pytest.mark.django_db

SKIP = {"id", "created_at", "updated_at", "occurred_at", "product", "search_text"}


def _rows(queryset, *, skip=()) -> list[dict]:
    skipped = SKIP | set(skip)
    rows = []
    for obj in queryset.order_by("pk"):
        fields = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields
                  if f.name not in skipped and f.attname not in skipped}
        rows.append(fields)
    return rows


def _through(door):
    """Run ``door()`` in a savepoint, return the rows it left (``door`` returns them), undo it."""
    with transaction.atomic():
        rows = door()
        transaction.set_rollback(True)
    return rows


@pytest.fixture
def kit(db):
    return brandkit_seed_default()


@pytest.fixture
def doors(client, staff):
    def console(user):
        client.force_login(user)
        return client

    def api(user):
        api = APIClient()
        api.force_authenticate(user=user)
        return api

    return console, api


def _audit_rows():
    """Who did what (the entries of the staff's writes; the shop was built by the system)."""
    return _rows(AuditEntry.objects.filter(actor__isnull=False), skip={"object_id"})


def _product_rows(code):
    product = Product.objects.get(code=code)
    return {"product": _rows(Product.objects.filter(pk=product.pk)),
            "variants": _rows(Variant.objects.filter(product=product)),
            "lint": _rows(LintCheck.objects.all(), skip={"source"}),
            "audit": _audit_rows()}


def test_creating_a_product_gives_the_same_rows_through_console_and_api(shop, staff, doors, kit):
    console, api = doors
    hq = staff["hq_marketer"]
    product = {"code": "wool-coat", "name": "ウールコート", "category": "コート",
               "description": "お客にやさしいコート。", "tax_class": "standard"}
    variants = [{"sku": "WC-M", "barcode": "4912345678904", "price": 29800, "size": "M", "color": "紺"},
                {"sku": "WC-L", "barcode": "4912345678911", "price": 29800, "size": "L", "color": "紺"}]

    def through_console():
        data = {**product, "is_active": "on", "variants-TOTAL_FORMS": "3", "variants-INITIAL_FORMS": "0",
                "variants-MIN_NUM_FORMS": "0", "variants-MAX_NUM_FORMS": "30"}
        for index, variant in enumerate(variants):
            data.update({f"variants-{index}-{name}": value for name, value in variant.items()})
        assert console(hq).post(reverse("console:product_create"), data).status_code == 302
        return _product_rows("wool-coat")

    def through_api():
        response = api(hq).post("/api/v1/products/", {**product, "is_active": True, "variants": variants},
                                format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["lint"]  # the same remarks come back
        return _product_rows("wool-coat")

    by_console, by_api = _through(through_console), _through(through_api)
    assert by_console == by_api
    assert by_console["lint"] and by_console["lint"][0]["violations"] > 0
    assert [(row["action"], row["actor_id"]) for row in by_console["audit"]] == [("product_create", hq.pk)]


def test_editing_a_product_gives_the_same_rows_through_console_and_api(shop, staff, doors, kit):
    console, api = doors
    hq = staff["hq_marketer"]
    fields = {"name": "リネンシャツ（長袖）", "category": "トップス", "tax_class": "reduced", "stock_policy": "preorder",
              "description": "お客にやさしい麻のシャツ。"}

    def through_console():
        data = {"form": "details", **fields, "is_active": ""}
        assert console(hq).post(reverse("console:product_edit", kwargs={"code": "linen-shirt"}), data).status_code == 302
        return _product_rows("linen-shirt")

    def through_api():
        response = api(hq).patch("/api/v1/products/linen-shirt/", {**fields, "is_active": False}, format="json")
        assert response.status_code == 200, response.json()
        return _product_rows("linen-shirt")

    by_console, by_api = _through(through_console), _through(through_api)
    assert by_console == by_api
    assert by_console["product"][0]["name"] == "リネンシャツ（長袖）"


def test_receiving_stock_gives_the_same_rows_through_console_and_api(shop, staff, doors):
    console, api = doors
    operator = staff["warehouse_operator"]

    def rows():
        return {"movements": _rows(StockMovement.objects.filter(reference="PO-77")),
                "level": _rows(StockLevel.objects.filter(variant=shop.small, location=shop.warehouse))}

    def through_console():
        data = {"location": shop.warehouse.pk, "code": "LS-S", "quantity": "12", "reference": "PO-77"}
        assert console(operator).post(reverse("console:stock_receive"), data).status_code == 302
        return rows()

    def through_api():
        body = {"sku": "LS-S", "location": "wh-kanto", "quantity": 12, "reference": "PO-77"}
        assert api(operator).post("/api/v1/stock-receipts/", body, format="json").status_code == 201
        return rows()

    by_console, by_api = _through(through_console), _through(through_api)
    assert by_console == by_api
    assert by_console["movements"][0]["acting_user_id"] == operator.pk


def test_a_staff_note_gives_the_same_event_through_console_and_api(shop, staff, doors, customer):
    console, api = doors
    clerk = staff["store_staff"]

    def rows():
        return _rows(CustomerEvent.objects.filter(customer=customer, kind="store_visit"))

    def through_console():
        url = reverse("console:customer_event_add", kwargs={"pk": customer.pk})
        assert console(clerk).post(url, {"kind": "store_visit", "interaction": "store", "note": "Lサイズを試着"}).status_code == 302
        return rows()

    def through_api():
        body = {"kind": "store_visit", "interaction": "store", "note": "Lサイズを試着"}
        assert api(clerk).post(f"/api/v1/customers/{customer.pk}/events/", body, format="json").status_code == 201
        return rows()

    by_console, by_api = _through(through_console), _through(through_api)
    assert by_console == by_api and by_console[0]["location_id"] == shop.store_a.pk


def test_a_consent_change_gives_the_same_ledger_row_through_console_and_api(shop, staff, doors, customer):
    """Only the source differs, on purpose: it says where the choice was recorded."""
    console, api = doors
    hq = staff["hq_marketer"]

    def rows():
        return {"ledger": _rows(ConsentRecord.objects.filter(customer=customer, channel="sms"),
                                skip={"source", "source_detail", "user_agent"}),
                "events": _rows(CustomerEvent.objects.filter(customer=customer, kind="consent_changed",
                                                             data__channel="sms"), skip={"data"})}

    def through_console():
        url = reverse("console:customer_consent", kwargs={"pk": customer.pk})
        body = {"channel": "sms", "purpose": "marketing", "granted": "1", "source": "staff"}
        assert console(hq).post(url, body).status_code == 302
        return rows()

    def through_api():
        body = {"channel": "sms", "granted": True}
        assert api(hq).post(f"/api/v1/customers/{customer.pk}/consent/", body, format="json").status_code == 200
        return rows()

    by_console, by_api = _through(through_console), _through(through_api)
    assert by_console == by_api and by_console["ledger"][0]["acting_user_id"] == hq.pk


def test_editing_a_customer_gives_the_same_rows_through_console_and_api(shop, staff, doors, customer):
    """The rules (hiragana furigana become katakana, the postal code 123-4567) are the service's."""
    console, api = doors
    hq = staff["hq_marketer"]
    profile = {"family_name": "佐藤", "given_name": "華子", "family_name_kana": "さとう", "given_name_kana": "ﾊﾅｺ",
               "phone": "03-9876-5432", "postal_code": "1500001", "prefecture": "13", "address": "渋谷区神宮前1-1",
               "preferred_size": "M"}

    def rows():
        return {"customer": _rows(Customer.objects.filter(pk=customer.pk)), "audit": _audit_rows()}

    def through_console():
        url = reverse("console:customer_edit", kwargs={"pk": customer.pk})
        assert console(hq).post(url, {**profile, "favourite_location": shop.store_b.pk}).status_code == 302
        return rows()

    def through_api():
        response = api(hq).patch(f"/api/v1/customers/{customer.pk}/", {**profile, "favourite_location": "umeda"},
                                 format="json")
        assert response.status_code == 200, response.json()
        return rows()

    by_console, by_api = _through(through_console), _through(through_api)
    assert by_console == by_api
    saved = by_console["customer"][0]
    assert (saved["family_name_kana"], saved["given_name_kana"], saved["postal_code"]) == ("サトウ", "ハナコ", "150-0001")
    assert [(row["action"], row["actor_id"]) for row in by_console["audit"]] == [("customer_update_profile", hq.pk)]


def test_the_api_refuses_a_bad_profile_like_the_console(shop, staff, customer):
    api = APIClient()
    api.force_authenticate(user=staff["hq_marketer"])
    response = api.patch(f"/api/v1/customers/{customer.pk}/", {"family_name_kana": "Sato", "postal_code": "12"},
                         format="json")
    assert response.status_code == 400
    assert {"family_name_kana", "postal_code"} <= set(response.json()["errors"])
    assert Customer.objects.get(pk=customer.pk).family_name_kana == "サトウ"
    api.force_authenticate(user=staff["store_staff"])
    assert api.patch(f"/api/v1/customers/{customer.pk}/", {"given_name": "x"}, format="json").status_code == 403
