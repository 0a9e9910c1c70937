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

EVENT_TYPES = [STOCK_AVAILABLE]
