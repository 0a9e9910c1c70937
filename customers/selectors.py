from django.db.models import QuerySet

from .models import ConsentRecord, Customer, CustomerEvent


def consent_state(*, customer: Customer) -> dict[str, bool]:
    """Current opt-in per channel: the latest ledger row of each channel."""
    state: dict[str, bool] = {}
    for record in ConsentRecord.objects.filter(customer=customer).order_by("created_at", "id"):
        state[record.channel] = record.granted
    return state


def customer_events(*, customer: Customer) -> QuerySet[CustomerEvent]:
    """The customer's whole event stream, newest first, ready to paginate."""
    return customer.events.select_related("channel", "location").order_by("-occurred_at", "-id")


def customer_timeline(*, customer: Customer, limit: int = 100) -> QuerySet[CustomerEvent]:
    return customer_events(customer=customer)[:limit]


def customer_search(*, query: str, limit: int = 25) -> QuerySet[Customer]:
    return Customer.objects.search(query).order_by("family_name_kana", "id")[:limit]
