"""The stock audit: the ledger sums to on_hand and reserved equals the active holds, at every
(variant, location). Three SQL queries whatever the size of the ledger (``manage.py
inventory_audit``)."""

from dataclasses import dataclass

from django.db.models import Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .models import Reservation, ReservationStatus, StockLevel, StockMovement


@dataclass(frozen=True)
class Difference:
    sku: str
    location: str
    on_hand: int
    ledger: int
    reserved: int
    held: int

    def __str__(self) -> str:
        parts = []
        if self.on_hand != self.ledger:
            parts.append(f"on_hand {self.on_hand} but the ledger sums to {self.ledger}")
        if self.reserved != self.held:
            parts.append(f"reserved {self.reserved} but the active holds sum to {self.held}")
        return f"{self.sku} @ {self.location}: " + "; ".join(parts)


def stock_audit() -> list[Difference]:
    """Every stock row whose on_hand or reserved disagrees with the ledger or the holds, and
    every (variant, location) with ledger rows or active holds but no stock row."""
    ledger = (StockMovement.objects.filter(variant=OuterRef("variant"), location=OuterRef("location"))
              .order_by().values("variant", "location").annotate(total=Sum("quantity")).values("total"))
    held = (Reservation.objects.filter(variant=OuterRef("variant"), location=OuterRef("location"),
                                       status=ReservationStatus.ACTIVE)
            .order_by().values("variant", "location").annotate(total=Sum("quantity")).values("total"))
    zero = Value(0, output_field=IntegerField())
    rows = (StockLevel.objects.annotate(ledger=Coalesce(Subquery(ledger, output_field=IntegerField()), zero),
                                        held=Coalesce(Subquery(held, output_field=IntegerField()), zero))
            .filter(~Q(on_hand=F("ledger")) | ~Q(reserved=F("held")))
            .values_list("variant__sku", "location__code", "on_hand", "ledger", "reserved", "held")
            .order_by("location__code", "variant__sku"))
    differences = [Difference(*row) for row in rows]
    levels = StockLevel.objects.filter(variant=OuterRef("variant"), location=OuterRef("location"))
    for model, filters, field in ((StockMovement, {}, "ledger"),
                                  (Reservation, {"status": ReservationStatus.ACTIVE}, "held")):
        orphans = (model.objects.filter(**filters).exclude(Exists(levels)).order_by()
                   .values_list("variant__sku", "location__code").annotate(total=Sum("quantity")))
        for sku, location, total in orphans:
            if total:
                values = {"on_hand": 0, "ledger": 0, "reserved": 0, "held": 0, field: total}
                differences.append(Difference(sku=sku, location=location, **values))
    return differences

