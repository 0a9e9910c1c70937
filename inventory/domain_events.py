"""The domain events the inventory domain publishes (kernel.events), declared on InventoryConfig."""

from dataclasses import dataclass

from kernel.events import EventType


@dataclass(frozen=True)
class StockAvailable:
    """Stock of a variant became available at a location: available went from 0 (or less) to
    more than 0 (a receipt, an adjustment, a hold given back). What a back-in-stock alert or a
    "your size is in the store" journey waits for."""

    variant_id: int
    sku: str
    location_id: int
    location: str  # the location's code
    available: int


STOCK_AVAILABLE = EventType("inventory.stock_available", StockAvailable)

@dataclass(frozen=True)
class TransferChanged:
    """A transfer moved on (approved, shipped, received, cancelled). ``hold_reference``: the hold
    it carries for someone else (a customer order's fulfilment, ``fulfillment:<id>``), blank for
    an ordinary transfer: what the orders domain reacts to (the endless aisle's pickup)."""

    transfer_id: int
    number: str
    status: str
    source_id: int
    destination_id: int
    hold_reference: str


TRANSFER_CHANGED = EventType("inventory.transfer_changed", TransferChanged)

EVENT_TYPES = [STOCK_AVAILABLE, TRANSFER_CHANGED]
