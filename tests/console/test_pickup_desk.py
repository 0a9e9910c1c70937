"""The pickup desk: find orders as you type, mark ready and hand over in place."""

from django.urls import reverse

from orders.models import FulfillmentStatus, OrderStatus, Payment, PaymentStatus

from .conftest import place_pickup


def _desk(client, **params):
    return client.get(reverse("console:pickup_desk"), params)


def test_desk_lists_orders_to_prepare_at_the_staff_store(client, staff, pickups):
    client.force_login(staff["store_staff"])
    response = _desk(client)
    assert response.status_code == 200
    assert [f.order.number for f in response.context["fulfillments"]] == [pickups["a"].number]


def test_desk_finds_an_order_by_pickup_code_kanji_kana_and_phone(client, staff, pickups, shop):
    other = place_pickup(shop, location=shop.store_a)  # a guest order that must not match
    fulfillment = pickups["a"].fulfillments.get()
    client.force_login(staff["store_staff"])
    for query in [fulfillment.pickup_code, fulfillment.pickup_code.lower(), "佐藤", "サトウ ハナコ", "ｻﾄｳ",
                  "090-1234-5678", "０９０１２３４５６７８", pickups["a"].number]:
        response = _desk(client, q=query, status="all", location=shop.store_a.pk)
        numbers = [f.order.number for f in response.context["fulfillments"]]
        assert numbers == [pickups["a"].number], query
        assert other.number not in numbers


def test_search_as_you_type_returns_only_the_results_region(client, staff, pickups):
    client.force_login(staff["store_staff"])
    response = client.get(reverse("console:pickup_desk"), {"q": "サトウ"}, HTTP_HX_REQUEST="true",
                          HTTP_HX_TARGET="results")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert pickups["a"].number in html
    assert "console-sidebar" not in html


def test_mark_ready_with_htmx_swaps_the_row_and_moves_the_order_on(client, staff, pickups):
    fulfillment = pickups["a"].fulfillments.get()
    client.force_login(staff["store_staff"])
    response = client.post(reverse("console:pickup_ready", kwargs={"pk": fulfillment.pk}), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="pickup-{fulfillment.pk}"')
    assert reverse("console:pickup_hand_over", kwargs={"pk": fulfillment.pk}) in html
    assert '<span class="count" id="count-ready" hx-swap-oob="true">1</span>' in html
    fulfillment.refresh_from_db()
    assert fulfillment.status == FulfillmentStatus.READY
    assert pickups["a"].events.filter(kind="ready", acting_user=staff["store_staff"]).exists()


def test_hand_over_asks_for_confirmation_and_takes_the_payment_through_the_tender_step(client, staff, pickups, shop):
    fulfillment = pickups["a"].fulfillments.get()
    client.force_login(staff["store_staff"])
    client.post(reverse("console:pickup_ready", kwargs={"pk": fulfillment.pk}))
    url = reverse("console:pickup_hand_over", kwargs={"pk": fulfillment.pk})
    page = client.get(url)
    assert page.status_code == 200 and page.context["takes_payment"]
    assert 'data-tender-step' in page.content.decode() and "data-confirm" in page.content.decode()
    refused = client.post(url, {"cash": "100"})  # short of the total: nothing happens
    assert refused.status_code == 400
    pickups["a"].refresh_from_db()
    assert (pickups["a"].status, pickups["a"].payment_status) == (OrderStatus.READY, PaymentStatus.UNPAID)
    assert not Payment.objects.exists() and not shop.small.movements.filter(reason="sale").exists()
    response = client.post(url, {"card": str(pickups["a"].total - 1000), "card_slip": "0042", "cash": "5000"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("console:pickup_desk"))
    pickups["a"].refresh_from_db()
    assert (pickups["a"].status, pickups["a"].payment_status) == (OrderStatus.COMPLETED, PaymentStatus.PAID)
    assert sorted(Payment.objects.filter(order=pickups["a"]).values_list("kind", "amount", "change", "reference")) == [
        ("card", pickups["a"].total - 1000, 0, "0042"), ("cash", 1000, 4000, "")]
    assert shop.small.movements.filter(location=shop.store_a, reason="sale").count() == 1


def test_handing_over_an_order_not_yet_ready_shows_a_clear_message(client, staff, pickups):
    fulfillment = pickups["a"].fulfillments.get()
    client.force_login(staff["store_staff"])
    response = client.post(reverse("console:pickup_hand_over", kwargs={"pk": fulfillment.pk}),
                           {"cash": "100000"})
    assert response.status_code == 400
    assert any(pickups["a"].number in error for error in response.context["errors"])
    assert 'role="alert"' in response.content.decode()
    fulfillment.refresh_from_db()
    assert fulfillment.status == FulfillmentStatus.RESERVED
    assert not Payment.objects.exists()


def test_actions_need_post(client, staff, pickups):
    fulfillment = pickups["a"].fulfillments.get()
    client.force_login(staff["store_staff"])
    assert client.get(reverse("console:pickup_ready", kwargs={"pk": fulfillment.pk})).status_code == 405


def test_hq_administrator_chooses_the_store(client, staff, pickups, shop):
    client.force_login(staff["administrator"])
    response = _desk(client, location=shop.store_b.pk)
    assert [f.order.number for f in response.context["fulfillments"]] == [pickups["b"].number]
    assert response.context["location"] == shop.store_b
