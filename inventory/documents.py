"""What the warehouse services (transfers, receiving, counts) share: the lines they take in,
the lookup of a scanned or typed code, and the ledger step that takes held units out."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.models import Location

from .errors import InvalidStockOperation, LinesInvalid
from .models import NumberedDocument, Reservation, ReservationStatus, StockLevel, StockMovement, Variant
from .validators import normalize_barcode

# The most units one line of a document may carry.
MAX_LINE_QUANTITY = 100_000


@dataclass(frozen=True)
class LineIn:
    """One line of a transfer request, a purchase order or a count entry."""

    variant: Variant
    quantity: int


@dataclass(frozen=True)
class ReceivedLineIn:
    """One line of a receipt: good units (into stock) and damaged units (recorded, not stocked)."""

    variant: Variant
    quantity: int
    damaged: int = 0


def variant_for_code(code: str) -> Variant | None:
    """The variant a scanner or a person typed: its JAN/EAN-13 (full-width digits, spaces and
    hyphens allowed) or its SKU (any case)."""
    raw = (code or "").strip()
    if not raw:
        return None
    barcode = normalize_barcode(raw)
    condition = Q(sku__iexact=raw) | Q(sku__iexact=barcode)
    if barcode.isdigit():
        condition |= Q(barcode=barcode)
    return Variant.objects.select_related("product").filter(condition).first()


def merged(lines: Iterable[LineIn]) -> list[LineIn]:
    """The lines with one line per variant (a second scan of the same item adds to the first),
    in the order first seen. Refuses quantities below 1 or above MAX_LINE_QUANTITY and an empty
    list: LinesInvalid naming each bad line."""
    errors: dict[str, list[str]] = {}
    totals: dict[int, int] = {}
    variants: dict[int, Variant] = {}
    for index, line in enumerate(lines):
        if not isinstance(line.quantity, int) or line.quantity < 1 or line.quantity > MAX_LINE_QUANTITY:
            errors[f"lines.{index}.quantity"] = [_("Give a whole number from 1 to %(max)s.") % {
                "max": MAX_LINE_QUANTITY}]
            continue
        variants[line.variant.pk] = line.variant
        totals[line.variant.pk] = totals.get(line.variant.pk, 0) + line.quantity
    if not errors and not totals:
        errors["lines"] = [_("Add at least one line.")]
    if errors:
        raise LinesInvalid(errors)
    return [LineIn(variants[pk], quantity) for pk, quantity in totals.items()]


def create_numbered(document: NumberedDocument) -> NumberedDocument:
    document.save()
    document.assign_number()
    return document


def hold_take(*, location: Location, reference: str, taken: dict[int, int], reason: str, acting_user,
              note: str = "", ledger_reference: str = "") -> list[StockMovement]:
    """The units held under ``reference`` at ``location`` leave it: per variant, ``taken[variant
    id]`` units (at most the units held; the rest of the hold is given back) come off on_hand,
    the whole hold comes off reserved, and one ledger row is written per variant that moved
    (named ``ledger_reference``, else ``reference``). The holds are locked first, then the
    rows updated in variant order (inventory.services.STOCK_LOCK_ORDER)."""
    holds = list(Reservation.objects.select_for_update().active().filter(reference=reference, location=location)
                 .order_by("variant_id"))
    now = timezone.now()
    movements = []
    freed: dict[tuple[int, int], int] = {}
    for hold in holds:
        quantity = taken.get(hold.variant_id, 0)
        if quantity > hold.quantity:
            raise InvalidStockOperation(_("More units than were held."))
        updated = StockLevel.objects.filter(
            variant_id=hold.variant_id, location=location, on_hand__gte=quantity, reserved__gte=hold.quantity,
        ).update(on_hand=F("on_hand") - quantity, reserved=F("reserved") - hold.quantity, updated_at=now)
        if updated != 1:
            raise InvalidStockOperation(_("Stock for %(sku)s is inconsistent.") % {"sku": hold.variant_id})
        if quantity:
            movements.append(StockMovement(variant_id=hold.variant_id, location=location, quantity=-quantity,
                                           reason=reason, reference=ledger_reference or reference, note=note,
                                           acting_user=acting_user))
        if hold.quantity > quantity:
            freed[(hold.variant_id, location.pk)] = hold.quantity - quantity
    Reservation.objects.filter(pk__in=[hold.pk for hold in holds]).update(
        status=ReservationStatus.FULFILLED, closed_at=now)
    if freed:
        from .services import _announce_available

        _announce_available(freed)
    return StockMovement.objects.bulk_create(movements)
