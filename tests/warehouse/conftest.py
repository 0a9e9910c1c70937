import pytest
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from inventory.models import Reservation, StockLevel, StockMovement


def stock_state() -> dict:
    """Every stock row, holds and ledger rows: what "nothing changed" compares."""
    return {
        "levels": sorted(StockLevel.objects.values_list("variant_id", "location_id", "on_hand", "reserved")),
        "movements": StockMovement.objects.count(),
        "holds": sorted(Reservation.objects.values_list("reference", "variant_id", "quantity", "status")),
    }


def assert_ledger_balanced() -> None:
    """The ledger sums to on_hand and reserved equals the active holds, at every stock row."""
    ledger = (StockMovement.objects.filter(variant=OuterRef("variant"), location=OuterRef("location"))
              .values("variant").annotate(total=Sum("quantity")).values("total"))
    held = (Reservation.objects.active().filter(variant=OuterRef("variant"), location=OuterRef("location"))
            .values("variant").annotate(total=Sum("quantity")).values("total"))
    for level in StockLevel.objects.annotate(ledger=Coalesce(Subquery(ledger), 0), held=Coalesce(Subquery(held), 0)):
        assert (level.on_hand, level.reserved) == (level.ledger, level.held), level


@pytest.fixture(autouse=True)
def _english():
    """The messages these tests read are the English ones (the shop's default language is Japanese)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    """The console in English (its language cookie), for the messages the tests read."""
    client.cookies["django_language"] = "en"
    return client
