"""Transfers between locations: request, approve, ship, receive (and cancel before shipping).

    requested ──approve──▶ approved ──ship──▶ in transit ──receive──▶ received
        └──────cancel───────┴──cancel──▶ cancelled

- **request**: the destination asks for stock (or the source pushes it). Each line must be
  available at the source at that moment (OutOfStock names the short lines otherwise); nothing
  is held yet.
- **approve**: the source holds the units (a reservation ``transfer:TR-…``), so a sale cannot
  take them before they are picked; OutOfStock if they are gone, and the transfer stays
  requested.
- **ship**: what was picked (at most what was approved, per line) leaves the source through the
  ledger (TRANSFER_OUT); the rest of the hold is given back. The transfer is in transit.
- **receive**: at the destination, through a receipt (inventory.receiving.receipt_create or
  ``transfer_receive``): the good units come in through the ledger (TRANSFER_IN); short, over
  and damaged units are recorded on the lines. More than shipped needs the permission
  ``inventory.receive_over_expected``.

Each step is one transaction, locks the transfer row first, and refuses a transfer that is not
in the state it needs (DocumentStateError): a step sent twice changes nothing the second time.
Each publishes ``inventory.transfer_changed`` (kernel.events) with the new status.

**A transfer that carries a hold** (``hold_reference``): the endless aisle sells an item from
another location's stock for pickup at the selling store; the order holds the units at the
source (its fulfilment's reservation) and asks for this transfer. Approving it holds nothing
more (the order's hold is there, or it refuses); shipping takes the order's hold off the source
(TRANSFER_OUT, named by the transfer) and must ship every unit the order needs; receiving brings
them in at the store, where the orders domain, told by the event, reserves them for the order
and makes it ready for pickup. Only the hold's owner cancels such a transfer (cancelling the
order does): it gives the hold back itself.
"""

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.events import publish
from kernel.models import Location

from . import services
from .documents import LineIn, ReceivedLineIn, create_numbered, hold_take, merged
from .domain_events import TRANSFER_CHANGED, TransferChanged
from .errors import DocumentStateError, LinesInvalid, OutOfStock, OverExpected, ShortLine
from .models import (
    MovementReason,
    Receipt,
    ReceiptLine,
    Reservation,
    StockLevel,
    Transfer,
    TransferLine,
    TransferStatus,
)

OVER_PERMISSION = "inventory.receive_over_expected"


def _locked(transfer: Transfer, *states: str) -> Transfer:
    locked = Transfer.objects.select_for_update().select_related("source", "destination").get(pk=transfer.pk)
    if locked.status not in states:
        raise DocumentStateError(_("%(number)s is %(status)s: this step is not possible now.") % {
            "number": locked.number, "status": locked.get_status_display()})
    return locked


def _announce(transfer: Transfer, acting_user) -> None:
    """The transfer's new status, for whoever reacts (the orders domain's endless-aisle pickups)."""
    publish(TRANSFER_CHANGED, subject=f"transfer:{transfer.number}", actor=acting_user, payload=TransferChanged(
        transfer_id=transfer.pk, number=transfer.number, status=transfer.status, source_id=transfer.source_id,
        destination_id=transfer.destination_id, hold_reference=transfer.hold_reference))


def _check_held(source: Location, hold_reference: str, wanted: dict[int, int], skus: dict[int, str]) -> None:
    """The active holds of ``hold_reference`` at the source cover ``wanted`` (variant id -> units);
    DocumentStateError naming the SKUs otherwise (the order was cancelled, or its hold changed)."""
    held = dict(Reservation.objects.active().filter(reference=hold_reference, location=source)
                .values("variant_id").annotate(units=Sum("quantity")).values_list("variant_id", "units"))
    short = [skus[variant_id] for variant_id, units in wanted.items() if held.get(variant_id, 0) < units]
    if short:
        raise DocumentStateError(_("The units this transfer carries are no longer held for it: %(skus)s.")
                                 % {"skus": ", ".join(short)})


def _check_available(location: Location, lines: list[LineIn]) -> None:
    levels = {level.variant_id: level for level in StockLevel.objects.filter(
        location=location, variant__in=[line.variant for line in lines])}
    short = [ShortLine(sku=line.variant.sku, location=location.code, requested=line.quantity,
                       available=levels[line.variant.pk].available if line.variant.pk in levels else 0)
             for line in lines
             if line.variant.pk not in levels or levels[line.variant.pk].available < line.quantity]
    if short:
        raise OutOfStock(short)


@transaction.atomic
def transfer_request(*, source: Location, destination: Location, lines: list[LineIn], note: str = "",
                     hold_reference: str = "", acting_user=None) -> Transfer:
    """Ask for stock to move from ``source`` to ``destination``. Lines of the same variant are
    added up. Raise LinesInvalid (bad lines, same location twice) or OutOfStock (the source does
    not have the units available); nothing is written then. ``hold_reference``: the units are
    already held at the source under that reference (a customer order's): the transfer carries
    that hold (see the module), and DocumentStateError when it does not cover the lines."""
    if source.pk == destination.pk:
        raise LinesInvalid({"destination": [_("A transfer goes to another location.")]})
    lines = merged(lines)
    if hold_reference:
        _check_held(source, hold_reference, {line.variant.pk: line.quantity for line in lines},
                    {line.variant.pk: line.variant.sku for line in lines})
    else:
        _check_available(source, lines)
    transfer = create_numbered(Transfer(source=source, destination=destination, note=note.strip()[:200],
                                        hold_reference=hold_reference, requested_by=acting_user))
    TransferLine.objects.bulk_create([TransferLine(transfer=transfer, variant=line.variant, requested=line.quantity)
                                      for line in lines])
    _announce(transfer, acting_user)
    return transfer


@transaction.atomic
def transfer_approve(*, transfer: Transfer, acting_user=None) -> Transfer:
    """The source agrees and holds the units for the transfer. OutOfStock (naming the short
    lines) when they are no longer available; the transfer stays requested."""
    transfer = _locked(transfer, TransferStatus.REQUESTED)
    lines = list(transfer.lines.select_related("variant__product"))
    if transfer.hold_reference:  # the order's hold is the transfer's: nothing more to hold
        _check_held(transfer.source, transfer.hold_reference, {line.variant_id: line.requested for line in lines},
                    {line.variant_id: line.variant.sku for line in lines})
    else:
        services.stock_reserve(location=transfer.source, lines=[(line.variant, line.requested) for line in lines],
                               reference=transfer.ledger_reference)
    transfer.status, transfer.approved_by, transfer.approved_at = (TransferStatus.APPROVED, acting_user,
                                                                   timezone.now())
    transfer.save(update_fields=["status", "approved_by", "approved_at"])
    _announce(transfer, acting_user)
    return transfer


@transaction.atomic
def transfer_ship(*, transfer: Transfer, shipped: dict[int, int] | None = None, acting_user=None) -> Transfer:
    """What was picked leaves the source (TRANSFER_OUT): ``shipped`` maps a variant id to the
    units picked (default: every unit approved). At most the approved quantity per line and at
    least one unit in all: LinesInvalid otherwise, nothing moved."""
    transfer = _locked(transfer, TransferStatus.APPROVED)
    lines = list(transfer.lines.select_related("variant"))
    picked = {line.variant_id: line.requested for line in lines} if shipped is None else shipped
    errors: dict[str, list[str]] = {}
    known = {line.variant_id for line in lines}
    if set(picked) - known:
        errors.setdefault("lines", []).append(_("A variant that is not on the transfer cannot be shipped."))
    for index, line in enumerate(lines):
        quantity = picked.get(line.variant_id, 0)
        if not isinstance(quantity, int) or quantity < 0 or quantity > line.requested:
            errors[f"lines.{index}.shipped"] = [_("Ship from 0 to %(n)d units of %(sku)s.") % {
                "n": line.requested, "sku": line.variant.sku}]
    if not errors and not any(picked.get(line.variant_id, 0) for line in lines):
        errors["lines"] = [_("Ship at least one unit, or cancel the transfer.")]
    if not errors and transfer.hold_reference:
        for index, line in enumerate(lines):
            if picked.get(line.variant_id, 0) != line.requested:
                errors[f"lines.{index}.shipped"] = [
                    _("This transfer carries a customer order: ship all %(n)d units of %(sku)s, or have the order "
                      "cancelled.") % {"n": line.requested, "sku": line.variant.sku}]
    if errors:
        raise LinesInvalid(errors)
    if transfer.hold_reference:
        _check_held(transfer.source, transfer.hold_reference, {line.variant_id: line.requested for line in lines},
                    {line.variant_id: line.variant.sku for line in lines})
    # the transfer's own hold, or the one it carries, leaves the source named by the transfer
    hold_take(location=transfer.source, reference=transfer.hold_reference or transfer.ledger_reference,
              ledger_reference=transfer.ledger_reference, reason=MovementReason.TRANSFER_OUT,
              taken={line.variant_id: picked.get(line.variant_id, 0) for line in lines}, acting_user=acting_user,
              note=f"→ {transfer.destination.name}")
    for line in lines:
        line.shipped = picked.get(line.variant_id, 0)
    TransferLine.objects.bulk_update(lines, ["shipped"])
    transfer.status, transfer.shipped_by, transfer.shipped_at = (TransferStatus.IN_TRANSIT, acting_user,
                                                                 timezone.now())
    transfer.save(update_fields=["status", "shipped_by", "shipped_at"])
    _announce(transfer, acting_user)
    return transfer


@transaction.atomic
def transfer_cancel(*, transfer: Transfer, acting_user=None, by_hold_owner: bool = False) -> Transfer:
    """Call off a transfer that has not left: an approved one gives its held units back. One in
    transit cannot be cancelled (the units are on their way: receive what arrives). A transfer
    that carries someone else's hold (``hold_reference``) is called off only by that owner
    (``by_hold_owner``: the order being cancelled, which gives its hold back itself);
    DocumentStateError for anyone else."""
    transfer = _locked(transfer, TransferStatus.REQUESTED, TransferStatus.APPROVED)
    if transfer.hold_reference and not by_hold_owner:
        raise DocumentStateError(_("%(number)s carries the items of a customer order: cancel the order instead.")
                                 % {"number": transfer.number})
    if transfer.status == TransferStatus.APPROVED and not transfer.hold_reference:
        services.reservation_release(reference=transfer.ledger_reference)
    transfer.status = TransferStatus.CANCELLED
    transfer.save(update_fields=["status"])
    _announce(transfer, acting_user)
    return transfer


@transaction.atomic
def transfer_receive(*, transfer: Transfer, lines: list[ReceivedLineIn], note: str = "",
                     acting_user=None) -> Receipt:
    """Receive a transfer in transit at its destination, as one receipt: the good units come in
    through the ledger (TRANSFER_IN, reference ``transfer:TR-…``); per line the units short (sent,
    not arrived), over and damaged (arrived, not stocked) are kept. Lines of the same variant
    are added up; a line not listed arrived with 0 units. Receiving more than was shipped (a
    line's good and damaged units above its shipped units, or a variant not on the transfer)
    needs ``inventory.receive_over_expected``: OverExpected otherwise. Nothing changes on error."""
    transfer = _locked(transfer, TransferStatus.IN_TRANSIT)
    on_transfer = {line.variant_id: line for line in transfer.lines.select_related("variant")}
    counted = _received_lines(lines)
    errors: dict[str, list[str]] = {}
    may_over = acting_user is not None and acting_user.has_perm(OVER_PERMISSION)
    for index, (variant, good, damaged) in enumerate(counted):
        expected = on_transfer[variant.pk].shipped if variant.pk in on_transfer else 0
        if good + damaged > expected and not may_over:
            errors[f"lines.{index}.quantity"] = [
                _("%(sku)s: %(n)d received, %(expected)d shipped. Receiving more than expected needs a "
                  "supervisor.") % {"sku": variant.sku, "n": good + damaged, "expected": expected}]
    if errors:
        raise OverExpected(errors)
    receipt = create_numbered(Receipt(location=transfer.destination, transfer=transfer, note=note.strip()[:200],
                                      received_by=acting_user))
    receipt_lines = []
    by_variant = {variant.pk: (variant, good, damaged) for variant, good, damaged in counted}
    for variant_id, line in on_transfer.items():
        _variant, good, damaged = by_variant.get(variant_id, (line.variant, 0, 0))
        line.received, line.damaged = good, damaged
    TransferLine.objects.bulk_update(list(on_transfer.values()), ["received", "damaged"])
    for variant, good, damaged in counted:
        if variant.pk not in on_transfer:  # arrived without being sent: kept on the transfer as over
            TransferLine.objects.create(transfer=transfer, variant=variant, requested=good + damaged,
                                        received=good, damaged=damaged)
    for variant_id, line in on_transfer.items():
        if variant_id not in by_variant:
            receipt_lines.append(ReceiptLine(receipt=receipt, variant=line.variant, expected=line.shipped,
                                             quantity=0))
    for variant, good, damaged in counted:
        expected = on_transfer[variant.pk].shipped if variant.pk in on_transfer else 0
        receipt_lines.append(ReceiptLine(receipt=receipt, variant=variant, expected=expected, quantity=good,
                                         damaged=damaged))
        if good:
            services._move(variant=variant, location=transfer.destination, quantity=good,
                           reason=MovementReason.TRANSFER_IN, reference=transfer.ledger_reference,
                           note=f"← {transfer.source.name} · {receipt.number}",
                           acting_user=acting_user)
    ReceiptLine.objects.bulk_create(receipt_lines)
    transfer.status, transfer.received_by, transfer.received_at = (TransferStatus.RECEIVED, acting_user,
                                                                   timezone.now())
    transfer.save(update_fields=["status", "received_by", "received_at"])
    _announce(transfer, acting_user)
    return receipt


def _received_lines(lines: list[ReceivedLineIn]) -> list[tuple]:
    """(variant, good, damaged) per variant, added up; LinesInvalid on negative or huge numbers."""
    from .documents import MAX_LINE_QUANTITY

    errors: dict[str, list[str]] = {}
    totals: dict[int, list] = {}
    for index, line in enumerate(lines):
        for name in ("quantity", "damaged"):
            value = getattr(line, name)
            if not isinstance(value, int) or value < 0 or value > MAX_LINE_QUANTITY:
                errors[f"lines.{index}.{name}"] = [_("Give a whole number from 0 to %(max)s.") % {
                    "max": MAX_LINE_QUANTITY}]
        if not errors:
            row = totals.setdefault(line.variant.pk, [line.variant, 0, 0])
            row[1] += line.quantity
            row[2] += line.damaged
    if errors:
        raise LinesInvalid(errors)
    return [tuple(row) for row in totals.values() if row[1] or row[2]]
