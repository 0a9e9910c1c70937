"""The console pages of transfers, purchase orders, receiving and counts, as staff use them."""

import pytest
from django.urls import reverse

from inventory import counts, receiving, transfers
from inventory.documents import LineIn
from inventory.models import PurchaseOrder, Receipt, StockCount, StockLevel, Transfer, TransferStatus
from tests.builders import CASH_AT_DESK

from .conftest import assert_ledger_balanced, stock_state

pytestmark = pytest.mark.django_db


def on_hand(variant, location) -> int:
    return StockLevel.objects.get(variant=variant, location=location).on_hand


def test_a_store_requests_a_transfer_by_scanning_and_the_warehouse_approves_and_ships_it(client, shop, staff):
    client.force_login(staff["store_staff"])
    url = reverse("console:transfer_new")
    form = {"source": shop.warehouse.pk, "destination": shop.store_a.pk, "note": ""}
    # a scan with full-width digits, then the same item again: one line of 2
    page = client.post(url, {**form, "code": "４９０１２３４５６７８９４", "action": "scan"}, HTTP_HX_REQUEST="true",
                       HTTP_HX_TARGET="doc-form")
    assert page.status_code == 200 and 'name="sku" value="LS-S"' in page.content.decode()
    page = client.post(url, {**form, "sku": ["LS-S"], "qty": ["1"], "code": "LS-S", "action": "scan"})
    assert page.context["editor"].rows[0].quantity == 2
    response = client.post(url, {**form, "sku": ["LS-S"], "qty": ["2"], "action": "save"})
    transfer = Transfer.objects.get()
    assert response.status_code == 302 and response["Location"] == transfer.get_absolute_url()
    assert transfer.lines.get().requested == 2

    # store staff cannot approve a transfer out of the warehouse
    approve = reverse("console:transfer_action", kwargs={"number": transfer.number, "action": "approve"})
    assert client.post(approve).status_code == 403
    client.force_login(staff["warehouse_operator"])
    assert client.post(approve).status_code == 302
    ship = reverse("console:transfer_action", kwargs={"number": transfer.number, "action": "ship"})
    line = transfer.lines.get()
    assert client.post(ship, {f"shipped-{line.pk}": "2"}).status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.IN_TRANSIT and on_hand(shop.small, shop.warehouse) == 18

    # the store receives it against the transfer: one short
    client.force_login(staff["store_staff"])
    receive = reverse("console:receipt_new")
    response = client.post(receive, {"transfer": transfer.number, "location": shop.store_a.pk, "sku": ["LS-S"],
                                     "qty": ["1"], "damaged": ["0"], "action": "save"})
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.RECEIVED and transfer.lines.get().short == 1
    assert on_hand(shop.small, shop.store_a) == 4
    assert_ledger_balanced()


def test_a_transfer_of_more_than_available_shows_why_and_changes_nothing(client, shop, staff):
    client.force_login(staff["store_staff"])
    before = stock_state()
    response = client.post(reverse("console:transfer_new"), {
        "source": shop.store_b.pk, "destination": shop.store_a.pk, "sku": ["LS-L"], "qty": ["3"], "action": "save"})
    assert response.status_code == 400
    assert "LS-L 2 available of 3" in response.content.decode()
    assert stock_state() == before and not Transfer.objects.exists()


def test_staff_cannot_move_stock_between_two_other_locations(client, shop, staff):
    client.force_login(staff["store_staff_b"])
    response = client.post(reverse("console:transfer_new"), {
        "source": shop.warehouse.pk, "destination": shop.store_a.pk, "sku": ["LS-S"], "qty": ["1"], "action": "save"})
    assert response.status_code == 400 and not Transfer.objects.exists()


def test_receiving_over_a_purchase_order_without_permission_is_refused_with_a_clear_message(client, shop, staff):
    order = receiving.purchase_order_create(location=shop.warehouse, supplier_name="東洋繊維",
                                            lines=[LineIn(shop.small, 3)])
    client.force_login(staff["warehouse_operator"])
    before = stock_state()
    response = client.post(reverse("console:receipt_new"), {
        "po": order.number, "location": shop.warehouse.pk, "sku": ["LS-S"], "qty": ["4"], "damaged": ["0"],
        "action": "save"})
    assert response.status_code == 400
    assert "Receiving more than expected needs a supervisor" in response.content.decode()
    assert stock_state() == before and not Receipt.objects.exists()
    response = client.post(reverse("console:receipt_new"), {
        "po": order.number, "location": shop.warehouse.pk, "sku": ["LS-S"], "qty": ["3"], "damaged": ["0"],
        "action": "save"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "received"


def test_a_count_is_blind_while_counting_and_needs_a_second_person(client, shop, staff):
    StockLevel.objects.filter(location=shop.warehouse, variant=shop.small).update(zone="A-01")
    client.force_login(staff["warehouse_operator"])
    response = client.post(reverse("console:count_new"), {"location": shop.warehouse.pk, "zone": "A-01"})
    count = StockCount.objects.get()
    assert response.status_code == 302
    page = client.get(count.get_absolute_url()).content.decode()
    assert "LS-S" in page and "LS-L" not in page
    assert "On hand at start" not in page  # blind
    enter = reverse("console:count_enter", kwargs={"number": count.number})
    for _scan in range(3):
        assert client.post(enter, {"code": "4901234567894"}, HTTP_HX_REQUEST="true").status_code == 200
    assert count.lines.get().counted == 3
    client.post(reverse("console:count_action", kwargs={"number": count.number, "action": "submit"}))
    page = client.get(count.get_absolute_url()).content.decode()
    assert "On hand at start" in page and "Approve and post" not in page  # the counter does not approve
    approve = reverse("console:count_action", kwargs={"number": count.number, "action": "approve"})
    client.post(approve)
    count.refresh_from_db()
    assert count.status == "submitted"
    client.force_login(staff["administrator"])
    client.post(approve)
    count.refresh_from_db()
    assert count.status == "posted" and on_hand(shop.small, shop.warehouse) == 3
    after = stock_state()
    client.post(approve)  # posted twice: refused, nothing moves
    assert stock_state() == after
    assert_ledger_balanced()


def test_the_stock_history_names_documents_and_shows_notes(client, shop, staff):
    from inventory import services
    from orders import services as orders

    transfer = transfers.transfer_request(source=shop.warehouse, destination=shop.store_a,
                                          lines=[LineIn(shop.small, 1)])
    transfers.transfer_approve(transfer=transfer)
    transfers.transfer_ship(transfer=transfer)
    services.stock_adjust(variant=shop.large, location=shop.warehouse, quantity=-1, note="箱が潰れていた")
    order = orders.order_place(channel=shop.web, lines=[orders.LineIn(sku="LS-S", quantity=1)],
                               fulfillment=orders.FulfillmentIn(method="pickup", location="shibuya"),
                               contact=orders.ContactIn(email="a@example.jp", name="山田花子"))
    fulfillment = order.fulfillments.get()
    orders.fulfillment_mark_ready(fulfillment=fulfillment)
    orders.fulfillment_hand_over(fulfillment=fulfillment, tenders=CASH_AT_DESK)
    client.force_login(staff["administrator"])
    html = client.get(reverse("console:ledger")).content.decode()
    assert f'{transfer.get_absolute_url()}">' in html and "箱が潰れていた" in html
    assert f'/console/orders/{order.number}/">' in html and f"fulfillment:{fulfillment.pk}" not in html


@pytest.mark.parametrize("page", ["transfers", "receipts", "purchase_orders", "counts", "ledger", "stock"])
def test_list_pages_take_the_same_queries_for_many_documents(client, shop, staff, page,
                                                              django_assert_max_num_queries):
    client.force_login(staff["administrator"])
    url = reverse(f"console:{page}")

    def make(n):
        for _i in range(n):
            transfer = transfers.transfer_request(source=shop.warehouse, destination=shop.store_a,
                                                  lines=[LineIn(shop.small, 1), LineIn(shop.large, 1)])
            transfers.transfer_approve(transfer=transfer)
            transfers.transfer_ship(transfer=transfer)
            order = receiving.purchase_order_create(location=shop.warehouse, supplier_name="東洋繊維",
                                                    lines=[LineIn(shop.small, 1)])
            receiving.receipt_create(location=shop.warehouse, purchase_order=order,
                                     lines=[receiving.ReceivedLineIn(shop.small, 1)])
            counts.count_cancel(count=counts.count_start(location=shop.store_b))

    make(1)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    make(4)
    with django_assert_max_num_queries(len(few)):
        assert client.get(url).status_code == 200
    assert PurchaseOrder.objects.count() == 5
