"""Receiving: purchase orders (what a supplier is expected to deliver) and receipts (what
arrived, many lines at once).

A receipt is one transaction: every line or none. Against a purchase order, each line's good
units count towards what the order still expects; more than that (or a variant the order does
not list) needs the permission ``inventory.receive_over_expected`` (OverExpected otherwise).
Damaged units are recorded on the receipt, not put into stock, and stay expected (the supplier
replaces them). Against an incoming transfer, the transfer's receive step does the work
(inventory.transfers.transfer_receive). With nothing expected, the units are simply received.
Every good unit comes in through the ledger: one RECEIPT row per line, reference
``receipt:RC-…``.
"""

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from kernel.models import Location

from . import services, transfers
from .documents import LineIn, ReceivedLineIn, create_numbered, merged
from .errors import DocumentStateError, LinesInvalid, OverExpected
from .models import (
    MovementReason,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Receipt,
    ReceiptLine,
    Transfer,
)
from .transfers import OVER_PERMISSION, _received_lines


@transaction.atomic
def purchase_order_create(*, location: Location, supplier_name: str, lines: list[LineIn], expected_on: date | None = None,
                          supplier_reference: str = "", acting_user=None) -> PurchaseOrder:
    """Record a delivery expected from a supplier at ``location``. LinesInvalid on bad lines or
    no supplier."""
    supplier_name = (supplier_name or "").strip()
    if not supplier_name:
        raise LinesInvalid({"supplier_name": [_("Name the supplier.")]})
    lines = merged(lines)
    order = create_numbered(PurchaseOrder(location=location, supplier_name=supplier_name[:120],
                                          supplier_reference=(supplier_reference or "").strip()[:60],
                                          expected_on=expected_on, created_by=acting_user))
    PurchaseOrderLine.objects.bulk_create([PurchaseOrderLine(purchase_order=order, variant=line.variant,
                                                             ordered=line.quantity) for line in lines])
    return order


@transaction.atomic
def purchase_order_close(*, purchase_order: PurchaseOrder, acting_user=None) -> PurchaseOrder:
    """Expect nothing more of an order: received if part of it came, cancelled if none did."""
    order = PurchaseOrder.objects.select_for_update().get(pk=purchase_order.pk)
    if not order.is_open:
        raise DocumentStateError(_("%(number)s is already closed.") % {"number": order.number})
    anything = order.lines.filter(received__gt=0).exists() or order.receipts.exists()
    order.status = PurchaseOrderStatus.RECEIVED if anything else PurchaseOrderStatus.CANCELLED
    order.save(update_fields=["status"])
    return order


@transaction.atomic
def receipt_create(*, location: Location, lines: list[ReceivedLineIn], purchase_order: PurchaseOrder | None = None,
                   transfer: Transfer | None = None, note: str = "", acting_user=None) -> Receipt:
    """Receive many lines at ``location`` in one go (see the module's docstring). Lines of the
    same variant are added up. Raise LinesInvalid (no units, bad numbers, a document for
    another location), OverExpected or DocumentStateError (a closed order, a transfer not in
    transit); nothing is received then."""
    if purchase_order is not None and transfer is not None:
        raise LinesInvalid({"purchase_order": [_("Receive against a purchase order or a transfer, not both.")]})
    if transfer is not None:
        if transfer.destination_id != location.pk:
            raise LinesInvalid({"transfer": [_("%(number)s goes to another location.") % {
                "number": transfer.number}]})
        return transfers.transfer_receive(transfer=transfer, lines=lines, note=note, acting_user=acting_user)
    counted = _received_lines(lines)
    if not counted:
        raise LinesInvalid({"lines": [_("Add at least one line with units received.")]})
    order = None
    expected: dict[int, PurchaseOrderLine] = {}
    if purchase_order is not None:
        order = PurchaseOrder.objects.select_for_update().get(pk=purchase_order.pk)
        if order.location_id != location.pk:
            raise LinesInvalid({"purchase_order": [_("%(number)s is delivered to another location.") % {
                "number": order.number}]})
        if not order.is_open:
            raise DocumentStateError(_("%(number)s is closed: nothing more is expected.") % {"number": order.number})
        expected = {line.variant_id: line for line in order.lines.all()}
        may_over = acting_user is not None and acting_user.has_perm(OVER_PERMISSION)
        errors: dict[str, list[str]] = {}
        for index, (variant, good, _damaged) in enumerate(counted):
            outstanding = expected[variant.pk].outstanding if variant.pk in expected else 0
            if good > outstanding and not may_over:
                errors[f"lines.{index}.quantity"] = [
                    _("%(sku)s: %(n)d received, %(expected)d still expected. Receiving more than expected needs "
                      "a supervisor.") % {"sku": variant.sku, "n": good, "expected": outstanding}]
        if errors:
            raise OverExpected(errors)
    receipt = create_numbered(Receipt(location=location, purchase_order=order, note=note.strip()[:200],
                                      received_by=acting_user))
    rows = []
    for variant, good, damaged in counted:
        line = expected.get(variant.pk)
        rows.append(ReceiptLine(receipt=receipt, variant=variant, expected=line.outstanding if line else 0,
                                quantity=good, damaged=damaged))
        if good:
            services._move(variant=variant, location=location, quantity=good, reason=MovementReason.RECEIPT,
                           reference=receipt.ledger_reference, note=order.number if order else receipt.note,
                           acting_user=acting_user)
        if line is not None:
            line.received += good
        elif order is not None and good:  # received over, with the permission: now on the order
            expected[variant.pk] = PurchaseOrderLine.objects.create(purchase_order=order, variant=variant,
                                                                    ordered=good, received=good)
    ReceiptLine.objects.bulk_create(rows)
    if order is not None:
        PurchaseOrderLine.objects.bulk_update([line for line in expected.values() if line.pk], ["received"])
        done = all(line.received >= line.ordered for line in order.lines.all())
        order.status = PurchaseOrderStatus.RECEIVED if done else PurchaseOrderStatus.PARTIAL
        order.save(update_fields=["status"])
    return receipt
