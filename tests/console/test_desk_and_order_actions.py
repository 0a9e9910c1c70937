"""Issue 10 in the console: the pickup desk finds an order in any state and says which tab it is on,
the navigation badge counts pickups to prepare at the staff's store, the order page's partial
cancel, notes and tags, the tag filter, and the warehouse's pick list and packing slips."""

import re

import pytest
from django.urls import reverse

from inventory.models import StockLevel
from orders import services as orders
from orders.models import OrderNote
from orders.services import LineCancelIn
from tests.builders import CASH_AT_DESK

from .conftest import place_delivery, place_pickup

pytestmark = pytest.mark.django_db


def desk(client, **params):
    return client.get(reverse("console:pickup_desk"), params)


def test_searching_the_to_prepare_tab_finds_a_ready_order_and_says_it_is_on_the_ready_tab(client, staff, shop,
                                                                                          customer):
    order = place_pickup(shop, location=shop.store_a, customer=customer)
    group = order.fulfillments.get()
    orders.fulfillment_mark_ready(fulfillment=group)
    client.force_login(staff["store_staff"])
    for query in (group.pickup_code, group.pickup_code.lower(), order.number, "佐藤", "さとう", "サトウハナコ",
                  "090-1234-5678", "５６７８"):
        html = desk(client, status="reserved", q=query).content.decode()
        assert order.number in html, query
        assert "“Ready” tab" in html or "「準備完了」タブ" in html, query
    assert "No pickup order" in desk(client, status="reserved", q="ZZZZZZ").content.decode() or \
        "一致する" in desk(client, status="reserved", q="ZZZZZZ").content.decode()


def test_the_desk_search_finds_collected_and_cancelled_orders_too(client, staff, shop, customer):
    collected = place_pickup(shop, location=shop.store_a, customer=customer)
    group = collected.fulfillments.get()
    orders.fulfillment_mark_ready(fulfillment=group)
    orders.fulfillment_hand_over(fulfillment=group, tenders=CASH_AT_DESK)
    cancelled = place_pickup(shop, location=shop.store_a, customer=customer)
    orders.order_cancel(order=cancelled, reason="電話")
    client.force_login(staff["store_staff"])
    html = desk(client, q="サトウ").content.decode()
    assert collected.number in html and cancelled.number in html
    # without a search the tabs keep showing only what waits
    assert collected.number not in desk(client, status="all").content.decode()


def test_the_desk_search_stays_inside_the_staff_store(client, staff, shop, customer):
    at_b = place_pickup(shop, location=shop.store_b, customer=customer, sku="LS-L")
    client.force_login(staff["store_staff"])
    assert f">{at_b.number}</a>" not in desk(client, q=at_b.number).content.decode()
    assert desk(client, q=at_b.number, location=shop.store_b.pk).status_code == 403


def test_the_desk_search_takes_a_constant_number_of_queries(client, staff, shop, customer,
                                                            django_assert_max_num_queries):
    client.force_login(staff["store_staff"])
    place_pickup(shop, location=shop.store_a, customer=customer)
    desk(client, q="サトウ")  # warm the session and permission caches
    with django_assert_max_num_queries(12) as few:
        assert desk(client, q="サトウ").status_code == 200
    for _ in range(2):
        place_pickup(shop, location=shop.store_a, customer=customer)
        place_pickup(shop, location=shop.store_a, customer=customer, sku="LS-L")
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = desk(client, q="サトウ").content.decode()
    assert html.count('class="pickup-code"') == 5


def test_the_badge_counts_pickups_to_prepare_at_the_staff_store_only(client, staff, shop, customer,
                                                                      django_assert_max_num_queries):
    client.force_login(staff["store_staff"])
    url = reverse("console:pickup_badge")
    assert client.get(url).content.decode().strip() == ""  # nothing to prepare: no badge
    first = place_pickup(shop, location=shop.store_a, customer=customer)
    place_pickup(shop, location=shop.store_b, customer=customer, sku="LS-L")  # another store's
    assert re.search(r">1<", client.get(url).content.decode())
    place_pickup(shop, location=shop.store_a, customer=customer)
    with django_assert_max_num_queries(8):
        assert re.search(r">2<", client.get(url).content.decode())
    orders.fulfillment_mark_ready(fulfillment=first.fulfillments.get())  # prepared: no longer counted
    assert re.search(r">1<", client.get(url).content.decode())
    page = client.get(reverse("console:dashboard")).content.decode()
    assert f'hx-get="{url}"' in page and "every 20s" in page


def test_staff_cancel_some_units_from_the_order_page(client, staff, shop, customer):
    order = orders.order_place(channel=shop.web, customer=customer, lines=[orders.LineIn("LS-S", 2)],
                               fulfillment=orders.FulfillmentIn("pickup", "shibuya"))
    line = order.lines.get()
    client.force_login(staff["store_staff"])
    page = client.get(reverse("console:order_detail", kwargs={"number": order.number})).content.decode()
    assert f'name="quantity-{line.pk}"' in page
    url = reverse("console:order_lines_cancel", kwargs={"number": order.number})
    response = client.post(url, {f"quantity-{line.pk}": "3", "reason": "多すぎ"})  # more than ordered
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.quantity == 2
    assert StockLevel.objects.get(variant=shop.small, location=shop.store_a).reserved == 2
    client.post(url, {f"quantity-{line.pk}": "1", "reason": "1点キャンセル"})
    line.refresh_from_db()
    order.refresh_from_db()
    assert (line.quantity, order.total) == (1, 5500)
    assert StockLevel.objects.get(variant=shop.small, location=shop.store_a).reserved == 1
    page = client.get(reverse("console:order_detail", kwargs={"number": order.number})).content.decode()
    assert "1点キャンセル" in page


def test_staff_of_another_store_cannot_cancel_units(client, staff, shop, customer):
    order = place_pickup(shop, location=shop.store_a, customer=customer)
    line = order.lines.get()
    client.force_login(staff["store_staff_b"])
    response = client.post(reverse("console:order_lines_cancel", kwargs={"number": order.number}),
                           {f"quantity-{line.pk}": "1", "reason": "x"})
    assert response.status_code == 404
    assert order.lines.get().quantity == 1


def test_notes_and_tags_on_the_order_page_and_the_tag_filter(client, staff, shop, customer):
    order = place_pickup(shop, location=shop.store_a, customer=customer)
    other = place_pickup(shop, location=shop.store_a, customer=customer)
    client.force_login(staff["store_staff"])
    client.post(reverse("console:order_note_add", kwargs={"number": order.number}), {"body": "夕方に来店予定"})
    client.post(reverse("console:order_tags_set", kwargs={"number": order.number}), {"tags": "ギフト、VIP"})
    note = OrderNote.objects.get()
    assert (note.author, note.body) == (staff["store_staff"], "夕方に来店予定")
    page = client.get(reverse("console:order_detail", kwargs={"number": order.number})).content.decode()
    assert "夕方に来店予定" in page and "ギフト" in page and "vip" in page
    listing = client.get(reverse("console:orders"), {"tag": "vip"}).content.decode()
    assert order.number in listing and other.number not in listing
    # marketers read orders but do not annotate them
    client.force_login(staff["hq_marketer"])
    assert client.post(reverse("console:order_note_add", kwargs={"number": order.number}),
                       {"body": "x"}).status_code == 403
    assert OrderNote.objects.count() == 1


def test_the_order_list_takes_a_constant_number_of_queries(client, staff, shop, customer,
                                                           django_assert_max_num_queries):
    client.force_login(staff["store_staff"])
    first = place_pickup(shop, location=shop.store_a, customer=customer)
    orders.order_tags_set(order=first, tags=["gift"])
    client.get(reverse("console:orders"))
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("console:orders"))
    for index in range(3):
        order = place_pickup(shop, location=shop.store_a, customer=customer, sku="LS-L" if index < 2 else "LS-S")
        orders.order_tags_set(order=order, tags=["gift", f"t{index}"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("console:orders")).content.decode()
    assert html.count('class="tag"') >= 7


def test_the_pick_list_sums_units_by_sku_across_the_waiting_delivery_orders(client, staff, shop,
                                                                          django_assert_max_num_queries):
    first = place_delivery(shop)
    second = orders.order_place(channel=shop.web, lines=[orders.LineIn("LS-S", 2), orders.LineIn("LS-L", 1)],
                                fulfillment=orders.FulfillmentIn("ship", "wh-kanto", address=first.fulfillments.get()
                                                                 .address))
    shipped = place_delivery(shop, sku="LS-L")
    orders.fulfillment_ship(fulfillment=shipped.fulfillments.get(), tracking_number="1")
    client.force_login(staff["warehouse_operator"])
    with django_assert_max_num_queries(10):
        response = client.get(reverse("console:pick_list"))
    picks = response.context["picks"]
    assert [(row.sku, row.quantity, row.orders) for row in picks.rows] == [
        ("LS-L", 1, [second.number]), ("LS-S", 3, sorted([first.number, second.number]))]
    assert picks.units == 4
    html = response.content.decode()
    assert shipped.number not in html and "data-print" in html
    slips = client.get(reverse("console:packing_slips")).content.decode()
    assert slips.count('class="sheet slip"') == 2 and "神宮前1-2-3" in slips
    one = client.get(reverse("console:packing_slips"), {"fulfillment": first.fulfillments.get().pk})
    assert one.content.decode().count('class="sheet slip"') == 1
    client.force_login(staff["store_staff"])
    assert client.get(reverse("console:pick_list")).status_code == 403


def test_shipping_records_the_carrier_and_refuses_a_number_of_the_wrong_format(client, staff, shop):
    order = place_delivery(shop)
    group = order.fulfillments.get()
    client.force_login(staff["warehouse_operator"])
    url = reverse("console:shipment_ship", kwargs={"pk": group.pk})
    html = client.post(url, {"carrier": "yamato", "tracking_number": "1234-567"}, HTTP_HX_REQUEST="true") \
        .content.decode()
    assert 'class="row-note error"' in html
    group.refresh_from_db()
    assert (group.status, group.tracking_number) == ("reserved", "")
    assert StockLevel.objects.get(variant=shop.small, location=shop.warehouse).on_hand == 20
    client.post(url, {"carrier": "yamato", "tracking_number": "１２３４-５６７８-９０１２"}, HTTP_HX_REQUEST="true")
    group.refresh_from_db()
    assert (group.status, group.carrier, group.tracking_number) == ("shipped", "yamato", "123456789012")
    assert "kuronekoyamato" in group.tracking_url
    detail = client.get(reverse("console:order_detail", kwargs={"number": order.number})).content.decode()
    assert "1234-5678-9012" in detail


def test_partial_cancel_of_a_paid_order_shows_the_refund_due(client, staff, shop, customer):
    from orders.payments import TenderIn, payment_take

    order = orders.order_place(channel=shop.web, customer=customer, lines=[orders.LineIn("LS-S", 2)],
                               fulfillment=orders.FulfillmentIn("pickup", "shibuya"))
    payment_take(order=order, tenders=[TenderIn(kind="cash", amount=11000)], location=shop.store_a)
    orders.order_lines_cancel(order=order, lines=[LineCancelIn(line=order.lines.get().pk, quantity=1)])
    client.force_login(staff["store_staff"])
    page = client.get(reverse("console:order_detail", kwargs={"number": order.number})).content.decode()
    assert 'class="card refund-due"' in page and "5,500" in page
