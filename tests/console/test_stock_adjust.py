"""Stock adjustments in the console: signed corrections with a reason, in scope, never
taking units that are reserved for orders."""

from django.urls import reverse

from inventory.models import StockLevel

from .conftest import place_pickup


def _level(shop, location):
    return StockLevel.objects.get(variant=shop.small, location=location)


def test_a_negative_adjustment_lowers_on_hand_and_writes_the_ledger(client, staff, shop):
    client.force_login(staff["warehouse_operator"])
    response = client.post(reverse("console:stock_adjust"), {"location": shop.warehouse.pk, "code": "4901234567894",
                                                             "quantity": "-2", "note": "破損（輸送中）"})
    assert response.status_code == 302
    assert _level(shop, shop.warehouse).on_hand == 18
    movement = shop.small.movements.get(reason="adjustment")
    assert (movement.quantity, movement.note, movement.acting_user) == (-2, "破損（輸送中）", staff["warehouse_operator"])
    html = client.get(response["Location"]).content.decode()
    assert "破損（輸送中）" in html and "-2" in html


def test_units_found_are_added_back(client, staff, shop):
    client.force_login(staff["administrator"])
    client.post(reverse("console:stock_adjust"), {"location": shop.store_a.pk, "code": "ls-s", "quantity": "1",
                                                  "note": "棚卸で発見"})
    assert _level(shop, shop.store_a).on_hand == 4


def test_an_adjustment_may_not_take_reserved_units(client, staff, shop):
    place_pickup(shop, location=shop.store_a)  # 1 of the 3 units at store A is now reserved
    client.force_login(staff["administrator"])
    client.cookies["django_language"] = "en"
    response = client.post(reverse("console:stock_adjust"), {"location": shop.store_a.pk, "code": "LS-S",
                                                             "quantity": "-3", "note": "紛失"})
    assert response.status_code == 400
    assert "quantity" in response.context["form"].errors
    html = response.content.decode()
    assert "Only 2 of the 3 units on hand are free: 1 are reserved for orders" in html
    level = _level(shop, shop.store_a)
    assert (level.on_hand, level.reserved) == (3, 1)
    assert not shop.small.movements.filter(reason="adjustment").exists()


def test_a_zero_adjustment_is_refused(client, staff, shop):
    client.force_login(staff["warehouse_operator"])
    response = client.post(reverse("console:stock_adjust"), {"location": shop.warehouse.pk, "code": "LS-S",
                                                             "quantity": "0", "note": "x"})
    assert response.status_code == 400
    assert "quantity" in response.context["form"].errors


def test_an_unknown_sku_is_a_field_error(client, staff, shop):
    client.force_login(staff["warehouse_operator"])
    response = client.post(reverse("console:stock_adjust"), {"location": shop.warehouse.pk, "code": "NOPE",
                                                             "quantity": "-1", "note": "x"})
    assert response.status_code == 400
    assert "code" in response.context["form"].errors


def test_an_operator_cannot_adjust_another_locations_stock(client, staff, shop):
    client.force_login(staff["warehouse_operator"])
    response = client.post(reverse("console:stock_adjust"), {"location": shop.store_a.pk, "code": "LS-S",
                                                             "quantity": "-1", "note": "x"})
    assert response.status_code == 400
    assert "location" in response.context["form"].errors
    assert _level(shop, shop.store_a).on_hand == 3
    html = client.get(reverse("console:stock_adjust")).content.decode()
    assert f'<option value="{shop.store_a.pk}"' not in html


def test_adjust_stock_is_in_the_navigation_of_those_who_handle_stock_only(client, staff):
    for role in ("warehouse_operator", "store_staff"):
        client.force_login(staff[role])
        assert f'href="{reverse("console:stock_adjust")}"' in client.get(reverse("console:dashboard")).content.decode()
    client.force_login(staff["hq_marketer"])
    assert f'href="{reverse("console:stock_adjust")}"' not in client.get(reverse("console:dashboard")).content.decode()
