"""Stock adjustments over the API: signed corrections through inventory.services.stock_adjust."""

import pytest
from django.contrib.auth import get_user_model

from inventory.models import MovementReason, StockLevel, StockMovement
from inventory.selectors import ledger_balance
from kernel import roles

pytestmark = pytest.mark.django_db

URL = "/api/v1/stock-adjustments/"


def level(shop, location, variant=None) -> StockLevel:
    return StockLevel.objects.get(variant=variant or shop.small, location=location)


def test_store_staff_take_damaged_units_off_at_their_store_through_one_ledger_row(shop, staff, api):
    response = api(staff["store_staff"]).post(URL, {"sku": "LS-S", "location": "shibuya", "quantity": -2,
                                                    "note": "damaged in transit"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["sku"], body["location"], body["quantity"], body["reason"], body["note"]) == (
        "LS-S", "shibuya", -2, "adjustment", "damaged in transit")
    assert level(shop, shop.store_a).on_hand == 1
    movement = StockMovement.objects.get(pk=body["id"])
    assert (movement.reason, movement.acting_user) == (MovementReason.ADJUSTMENT, staff["store_staff"])
    assert ledger_balance(variant=shop.small, location=shop.store_a) == 1


def test_units_found_are_added_by_barcode(shop, staff, api):
    response = api(staff["warehouse_operator"]).post(
        URL, {"barcode": "４９０１２３４５６７８８７", "location": "wh-kanto", "quantity": 3, "note": "found"},
        format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["sku"] == "LS-L"
    assert level(shop, shop.warehouse, shop.large).on_hand == 23


def test_taking_off_reserved_units_is_409_and_nothing_changes(shop, staff, api, place):
    place("shibuya", quantity=2)  # 3 on hand, 2 reserved
    response = api(staff["store_staff"]).post(URL, {"sku": "LS-S", "location": "shibuya", "quantity": -2,
                                                    "note": "lost"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_stock_operation"
    assert (level(shop, shop.store_a).on_hand, level(shop, shop.store_a).reserved) == (3, 2)
    assert not StockMovement.objects.filter(reason=MovementReason.ADJUSTMENT).exists()
    ok = api(staff["store_staff"]).post(URL, {"sku": "LS-S", "location": "shibuya", "quantity": -1,
                                              "note": "lost"}, format="json")
    assert ok.status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sku": "LS-S", "location": "shibuya", "quantity": 0, "note": "x"}, "quantity"),
        ({"sku": "LS-S", "location": "shibuya", "quantity": "lots", "note": "x"}, "quantity"),
        ({"location": "shibuya", "quantity": 1, "note": "x"}, "sku"),
        ({"sku": "NOPE", "location": "shibuya", "quantity": 1, "note": "x"}, "sku"),
        ({"barcode": "4900000000000", "location": "shibuya", "quantity": 1, "note": "x"}, "barcode"),
        ({"sku": "LS-S", "barcode": "4901234567887", "location": "shibuya", "quantity": 1, "note": "x"}, "barcode"),
        ({"sku": "LS-S", "location": "nowhere", "quantity": 1, "note": "x"}, "location"),
        ({"sku": "LS-S", "location": "shibuya", "quantity": 1}, "note"),
        ({"sku": "LS-S", "location": "shibuya", "quantity": 1, "note": ""}, "note"),
    ],
)
def test_bad_adjustments_are_400_with_the_field_named(shop, staff, api, body, field):
    response = api(staff["store_staff"]).post(URL, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert not StockMovement.objects.filter(reason=MovementReason.ADJUSTMENT).exists()


def test_staff_cannot_adjust_stock_at_another_location_and_marketers_not_at_all(shop, staff, api):
    body = {"sku": "LS-S", "location": "umeda", "quantity": -1, "note": "x"}
    assert api(staff["store_staff"]).post(URL, body, format="json").status_code == 403
    assert api(staff["hq_marketer"]).post(URL, body, format="json").status_code == 403
    assert api(staff["customer"]).post(URL, body, format="json").status_code == 403
    assert api(staff["administrator"]).post(URL, body, format="json").status_code == 201
    assert level(shop, shop.store_b).on_hand == 1


def test_a_scoped_user_without_a_location_cannot_adjust_anywhere(shop, api):
    user = get_user_model().objects.create_user("drifter@example.jp", "pass-Word-123")
    roles.assign_role(user, roles.STORE_STAFF, location=shop.store_a)
    user.location = None
    user.save()
    body = {"sku": "LS-S", "location": "shibuya", "quantity": 1, "note": "x"}
    assert api(user).post(URL, body, format="json").status_code == 403


def test_a_repeated_adjustment_with_the_same_key_is_booked_once(shop, staff, api):
    client = api(staff["store_staff"])
    body = {"sku": "LS-S", "location": "shibuya", "quantity": -1, "note": "broken"}
    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="adj-1")
    second = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="adj-1")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json() and second["Idempotent-Replayed"] == "true"
    assert level(shop, shop.store_a).on_hand == 2
    other = client.post(URL, {**body, "quantity": -2}, format="json", HTTP_IDEMPOTENCY_KEY="adj-1")
    assert other.status_code == 422
