import pytest
from rest_framework.test import APIClient

from inventory.models import StockCount, StockLevel, Transfer

from .conftest import assert_ledger_balanced, stock_state

pytestmark = pytest.mark.django_db


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def on_hand(variant, location) -> int:
    return StockLevel.objects.get(variant=variant, location=location).on_hand


def test_every_step_of_a_transfer_through_the_api(shop, staff):
    store, warehouse = as_user(staff["store_staff"]), as_user(staff["warehouse_operator"])
    body = {"source": "wh-kanto", "destination": "shibuya", "lines": [{"barcode": "４９０１２３４５６７８９４", "quantity": 4}]}
    response = store.post("/api/v1/transfers/", body, format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    assert response.status_code == 201, response.data
    number = response.data["number"]
    again = store.post("/api/v1/transfers/", body, format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    assert again.data["number"] == number and Transfer.objects.count() == 1
    assert store.post(f"/api/v1/transfers/{number}/approve/").status_code == 403  # the source approves
    assert warehouse.post(f"/api/v1/transfers/{number}/approve/").data["status"] == "approved"
    shipped = warehouse.post(f"/api/v1/transfers/{number}/ship/", {"lines": [{"sku": "LS-S", "quantity": 3}]},
                             format="json")
    assert shipped.status_code == 200 and shipped.data["lines"][0]["shipped"] == 3
    assert on_hand(shop.small, shop.warehouse) == 17
    receipt = store.post(f"/api/v1/transfers/{number}/receive/",
                         {"lines": [{"sku": "LS-S", "quantity": 2, "damaged": 1}]}, format="json")
    assert receipt.status_code == 201, receipt.data
    assert receipt.data["transfer"] == number and receipt.data["lines"][0]["damaged"] == 1
    assert on_hand(shop.small, shop.store_a) == 5
    assert_ledger_balanced()


def test_a_transfer_of_stock_not_available_is_a_409_naming_the_line(shop, staff):
    before = stock_state()
    response = as_user(staff["store_staff"]).post("/api/v1/transfers/", {
        "source": "umeda", "destination": "shibuya", "lines": [{"sku": "LS-L", "quantity": 3}]}, format="json")
    assert response.status_code == 409
    assert response.data["code"] == "out_of_stock" and response.data["lines"][0]["available"] == 2
    assert stock_state() == before


def test_a_receipt_of_many_lines_against_a_purchase_order_and_the_over_receipt_refusal(shop, staff):
    operator = as_user(staff["warehouse_operator"])
    order = operator.post("/api/v1/purchase-orders/", {"location": "wh-kanto", "supplier_name": "東洋繊維",
                                                        "lines": [{"sku": "LS-S", "quantity": 5},
                                                                  {"sku": "LS-L", "quantity": 5}]}, format="json")
    assert order.status_code == 201
    number = order.data["number"]
    before = stock_state()
    over = operator.post("/api/v1/receipts/", {"location": "wh-kanto", "purchase_order": number, "lines": [
        {"sku": "LS-S", "quantity": 5}, {"sku": "LS-L", "quantity": 6}]}, format="json")
    assert over.status_code == 400 and over.data["code"] == "over_expected"
    assert "lines.1.quantity" in over.data["errors"]
    assert stock_state() == before
    ok = operator.post("/api/v1/receipts/", {"location": "wh-kanto", "purchase_order": number, "lines": [
        {"sku": "LS-S", "quantity": 5}, {"sku": "LS-L", "quantity": 2}]}, format="json")
    assert ok.status_code == 201 and len(ok.data["lines"]) == 2
    assert operator.get(f"/api/v1/purchase-orders/{number}/").data["status"] == "partial"
    assert_ledger_balanced()


def test_documents_are_scoped_to_the_callers_location(shop, staff):
    as_user(staff["warehouse_operator"]).post("/api/v1/purchase-orders/", {
        "location": "wh-kanto", "supplier_name": "東洋繊維", "lines": [{"sku": "LS-S", "quantity": 5}]}, format="json")
    store = as_user(staff["store_staff"])
    assert store.get("/api/v1/purchase-orders/").data["count"] == 0
    refused = store.post("/api/v1/receipts/", {"location": "wh-kanto", "lines": [{"sku": "LS-S", "quantity": 1}]},
                         format="json")
    assert refused.status_code == 403
    count = store.post("/api/v1/stock-counts/", {"location": "wh-kanto"}, format="json")
    assert count.status_code == 403


def test_a_count_through_the_api_is_blind_then_posted_once(shop, staff):
    counter, approver = as_user(staff["store_staff"]), as_user(staff["administrator"])
    count = counter.post("/api/v1/stock-counts/", {"location": "shibuya"}, format="json")
    assert count.status_code == 201
    number = count.data["number"]
    assert {line["expected"] for line in count.data["lines"]} == {None}  # blind
    entered = counter.post(f"/api/v1/stock-counts/{number}/entries/", {"lines": [
        {"barcode": "4901234567894", "quantity": 1, "add": True}, {"sku": "LS-S", "quantity": 1, "add": True},
        {"sku": "LS-L", "quantity": 3}]}, format="json")
    assert entered.status_code == 200
    assert counter.post(f"/api/v1/stock-counts/{number}/submit/").data["status"] == "submitted"
    assert counter.post(f"/api/v1/stock-counts/{number}/approve/").status_code == 409  # not their own
    posted = approver.post(f"/api/v1/stock-counts/{number}/approve/")
    assert posted.status_code == 200 and posted.data["status"] == "posted"
    assert on_hand(shop.small, shop.store_a) == 2
    before = stock_state()
    twice = approver.post(f"/api/v1/stock-counts/{number}/approve/")
    assert twice.status_code == 409 and twice.data["code"] == "invalid_state"
    assert stock_state() == before and StockCount.objects.get().status == "posted"
    assert_ledger_balanced()
