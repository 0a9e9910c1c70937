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
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.models import Location

from . import services
from .documents import LineIn, ReceivedLineIn, create_numbered, hold_take, merged
from .errors import DocumentStateError, LinesInvalid, OutOfStock, OverExpected, ShortLine
from .models import (
    MovementReason,
    Receipt,
    ReceiptLine,
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
                     acting_user=None) -> Transfer:
    """Ask for stock to move from ``source`` to ``destination``. Lines of the same variant are
    added up. Raise LinesInvalid (bad lines, same location twice) or OutOfStock (the source does
    not have the units available); nothing is written then."""
    if source.pk == destination.pk:
        raise LinesInvalid({"destination": [_("A transfer goes to another location.")]})
    lines = merged(lines)
    _check_available(source, lines)
    transfer = create_numbered(Transfer(source=source, destination=destination, note=note.strip()[:200],
                                        requested_by=acting_user))
    TransferLine.objects.bulk_create([TransferLine(transfer=transfer, variant=line.variant, requested=line.quantity)
                                      for line in lines])
    return transfer


@transaction.atomic
def transfer_approve(*, transfer: Transfer, acting_user=None) -> Transfer:
    """The source agrees and holds the units for the transfer. OutOfStock (naming the short
    lines) when they are no longer available; the transfer stays requested."""
    transfer = _locked(transfer, TransferStatus.REQUESTED)
    lines = list(transfer.lines.select_related("variant__product"))
    services.stock_reserve(location=transfer.source, lines=[(line.variant, line.requested) for line in lines],
                           reference=transfer.ledger_reference)
    transfer.status, transfer.approved_by, transfer.approved_at = (TransferStatus.APPROVED, acting_user,
                                                                   timezone.now())
    transfer.save(update_fields=["status", "approved_by", "approved_at"])
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
    if errors:
        raise LinesInvalid(errors)
    hold_take(location=transfer.source, reference=transfer.ledger_reference, reason=MovementReason.TRANSFER_OUT,
              taken={line.variant_id: picked.get(line.variant_id, 0) for line in lines}, acting_user=acting_user,
              note=f"→ {transfer.destination.name}")
    for line in lines:
        line.shipped = picked.get(line.variant_id, 0)
    TransferLine.objects.bulk_update(lines, ["shipped"])
    transfer.status, transfer.shipped_by, transfer.shipped_at = (TransferStatus.IN_TRANSIT, acting_user,
                                                                 timezone.now())
    transfer.save(update_fields=["status", "shipped_by", "shipped_at"])
    return transfer


@transaction.atomic
def transfer_cancel(*, transfer: Transfer, acting_user=None) -> Transfer:
    """Call off a transfer that has not left: an approved one gives its held units back. One in
    transit cannot be cancelled (the units are on their way: receive what arrives)."""
    transfer = _locked(transfer, TransferStatus.REQUESTED, TransferStatus.APPROVED)
    if transfer.status == TransferStatus.APPROVED:
        services.reservation_release(reference=transfer.ledger_reference)
    transfer.status = TransferStatus.CANCELLED
    transfer.save(update_fields=["status"])
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
