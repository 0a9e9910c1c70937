"""The till's API: a sale with its Idempotency-Key, the offline batch (per-item results, replay
safe, stock conflicts reported), void and receipt, scoped to the staff member's store."""

import pytest
from django.db.models import Sum

from inventory.models import StockLevel
from orders.models import Order, Payment, Register, RegisterSession, TillSale

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(shop):
    register = Register.objects.create(location=shop.store_a, code="1", name="レジ1")
    RegisterSession.objects.create(register=register, opening_float=10000)
    return register


def sale_body(register, *codes, cash=20000):
    return {"register": register.pk, "lines": [{"code": code} for code in codes],
            "tenders": [{"kind": "cash", "amount": cash}]}


def post(client, url, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(url, body, content_type="application/json", **headers)


def state(shop):
    return (StockLevel.objects.get(variant=shop.small, location=shop.store_a).on_hand,
            Payment.objects.aggregate(s=Sum("amount"))["s"] or 0, Order.objects.count())


def test_a_sale_by_jan_is_created_once_and_replayed_with_its_key(client, shop, staff, register):
    client.force_login(staff["store_staff"])
    first = post(client, "/api/v1/till/sales/", sale_body(register, "４９０１２３４５６７８９４"), key="abc")
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["status"] == "created" and body["change"] == 14500 and body["receipt"]["lines"][0]["sku"] == "LS-S"
    before = state(shop)
    again = post(client, "/api/v1/till/sales/", sale_body(register, "４９０１２３４５６７８９４"), key="abc")
    assert again.status_code == 200 and again.json()["number"] == body["number"]
    assert again["Idempotent-Replayed"] == "true"
    assert state(shop) == before
    reused = post(client, "/api/v1/till/sales/", sale_body(register, "LS-L"), key="abc")
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    assert state(shop) == before


def test_a_sale_needs_a_key_and_bad_input_is_400_with_nothing_written(client, shop, staff, register):
    client.force_login(staff["store_staff"])
    before = state(shop)
    assert post(client, "/api/v1/till/sales/", sale_body(register, "LS-S")).status_code == 400
    unknown = post(client, "/api/v1/till/sales/", sale_body(register, "4900000000000"), key="k1")
    assert unknown.status_code == 400 and "lines.0.code" in unknown.json()["errors"]
    short = post(client, "/api/v1/till/sales/", sale_body(register, "LS-S", cash=100), key="k2")
    assert short.status_code == 400 and "tenders" in short.json()["errors"]
    assert state(shop) == before


def test_another_stores_staff_cannot_sell_at_this_register(client, shop, staff, register):
    client.force_login(staff["store_staff_b"])
    assert post(client, "/api/v1/till/sales/", sale_body(register, "LS-S"), key="x").status_code == 404
    client.force_login(staff["warehouse_operator"])
    assert post(client, "/api/v1/till/sales/", sale_body(register, "LS-S"), key="x").status_code == 403
    assert not TillSale.objects.exists()


def test_the_offline_batch_reports_each_sale_and_sending_it_again_creates_nothing(client, shop, staff, register):
    client.force_login(staff["store_staff"])
    sales = [
        {**sale_body(register, "LS-S"), "idempotency_key": "q-1", "sold_at": "2026-12-01T10:00:00+09:00"},
        {**sale_body(register, "LS-S", "LS-S"), "idempotency_key": "q-2"},
        {**sale_body(register, "LS-S"), "idempotency_key": "q-3"},  # the last unit went with q-2: conflict
        {**sale_body(register, "NOPE"), "idempotency_key": "q-4"},
    ]
    first = post(client, "/api/v1/till/sales/batch/", {"sales": sales})
    assert first.status_code == 200, first.content
    results = first.json()["results"]
    assert [r["status"] for r in results] == ["created", "created", "refused", "refused"]
    assert results[2]["code"] == "out_of_stock" and results[2]["lines"][0]["available"] == 0
    assert results[3]["code"] == "invalid" and "lines.0.code" in results[3]["errors"]
    assert Order.objects.count() == 2
    before = state(shop)
    again = post(client, "/api/v1/till/sales/batch/", {"sales": sales}).json()
    assert [r["status"] for r in again["results"]] == ["replayed", "replayed", "refused", "refused"]
    assert [r["number"] for r in again["results"][:2]] == [r["number"] for r in results[:2]]
    assert state(shop) == before


def test_void_and_receipt(client, shop, staff, register, settings):
    settings.INVOICE_REGISTRATION_NUMBER = "T1234567890123"
    client.force_login(staff["store_staff"])
    number = post(client, "/api/v1/till/sales/", sale_body(register, "LS-S"), key="v").json()["number"]
    receipt = client.get(f"/api/v1/till/sales/{number}/receipt/").json()
    assert receipt["registration_number"] == "T1234567890123"
    assert receipt["tax"] == [{"rate": 10, "total": 5500, "tax": 500}] and receipt["change"] == 14500
    assert post(client, f"/api/v1/till/sales/{number}/void/", {}).status_code == 400
    voided = post(client, f"/api/v1/till/sales/{number}/void/", {"reason": "打ち間違い"})
    assert voided.status_code == 200 and voided.json()["voided"]
    assert post(client, f"/api/v1/till/sales/{number}/void/", {"reason": "again"}).status_code == 409
    client.force_login(staff["store_staff_b"])
    assert client.get(f"/api/v1/till/sales/{number}/receipt/").status_code == 404


def test_the_till_endpoints_are_in_the_schema(client):
    schema = client.get("/api/schema/").content.decode()
    for path in ("/api/v1/till/sales/", "/api/v1/till/sales/batch/", "/api/v1/till/sales/{number}/void/",
                 "/api/v1/till/sales/{number}/receipt/"):
        assert path in schema
