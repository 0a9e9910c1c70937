"""The endless aisle's pickup in the console: sold at the till, the order page names the transfer
bringing the items and its steps in the history; the warehouse ships it from the transfer page
(no cancel there: the order owns it); received here, the order is ready at the pickup desk."""

import pytest
from django.urls import reverse

from inventory.documents import ReceivedLineIn
from inventory.models import Transfer, TransferStatus
from inventory.transfers import transfer_receive
from kernel.events import events_consume
from orders import registers
from orders.aisle import CONSUMER
from orders.models import FulfillmentStatus, OrderEventKind

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_gap_grace(settings):
    settings.EVENTS_GAP_GRACE = 0


def test_aisle_pickup_from_the_till_to_the_pickup_desk(client, staff, shop):
    register = registers.register_create(location=shop.store_a, code="1", name="レジ1")
    registers.register_open(register=register, opening_float=30000)
    client.force_login(staff["store_staff"])
    url = reverse("console:till_aisle", kwargs={"register": register.pk})
    page = client.get(url, {"code": "LS-L", "method": "pickup"}).content.decode()
    assert 'class="muted small aisle-how"' in page and shop.warehouse.name in page
    response = client.post(url + "?code=LS-L", {"code": "LS-L", "quantity": "1", "method": "pickup",
                                                "source": shop.warehouse.pk, "card": "5500",
                                                "card_reference": "slip 3"}, follow=True)
    assert response.status_code == 200, response.content.decode()[:2000]
    transfer = Transfer.objects.get()
    order = transfer.fulfillments.get().order
    page = response.content.decode()
    assert transfer.number in page and 'class="sub aisle-transfer"' in page  # the order page
    assert order.events.filter(kind=OrderEventKind.TRANSFER_REQUESTED).exists()

    # the warehouse: approve and ship from the transfer page; no cancel button for an order's transfer
    client.force_login(staff["warehouse_operator"])
    detail = client.get(transfer.get_absolute_url()).content.decode()
    assert 'class="transfer-for-order"' in detail and "/cancel/" not in detail
    assert client.post(reverse("console:transfer_action", args=[transfer.number, "cancel"])).status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.REQUESTED  # refused
    client.post(reverse("console:transfer_action", args=[transfer.number, "approve"]))
    line = transfer.lines.get()
    client.post(reverse("console:transfer_action", args=[transfer.number, "ship"]), {f"shipped-{line.pk}": "1"})
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.IN_TRANSIT

    # on its way: the desk says so instead of offering Ready; the order page offers no partial cancel
    client.force_login(staff["store_staff"])
    group = order.fulfillments.get()
    desk = client.get(reverse("console:pickup_desk"), {"status": "reserved"}).content.decode()
    assert transfer.number in desk and reverse("console:pickup_ready", args=[group.pk]) not in desk
    assert 'id="cancel-items"' not in client.get(reverse("console:order_detail", args=[order.number])).content.decode()

    # the store receives it; the consumer makes the order ready; the desk's Ready tab has it
    transfer_receive(transfer=transfer, lines=[ReceivedLineIn(variant=shop.large, quantity=1)],
                     acting_user=staff["store_staff"])
    while events_consume(consumer=CONSUMER):
        pass
    group = order.fulfillments.get()
    assert group.status == FulfillmentStatus.READY
    client.force_login(staff["store_staff"])
    desk = client.get(reverse("console:pickup_desk"), {"status": "ready"}).content.decode()
    assert order.number in desk
    history = client.get(reverse("console:order_detail", args=[order.number])).content.decode()
    for kind in (OrderEventKind.TRANSFER_SHIPPED, OrderEventKind.TRANSFER_RECEIVED, OrderEventKind.READY):
        assert str(OrderEventKind(kind).label) in history
