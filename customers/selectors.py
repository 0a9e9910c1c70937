from collections.abc import Iterable

from django.db.models import QuerySet

from kernel.subjects import subject_labels

from .models import ConsentPurpose, Customer, CustomerEvent


def consent_state(*, customer: Customer, purpose: str = ConsentPurpose.MARKETING) -> dict[str, bool]:
    """Current opt-in per channel for ``purpose`` (channels never asked are left out), as
    ``customers.consent.consent_grid`` decides it."""
    from .consent import consent_grid

    return {channel: record.granted for (channel, chosen), record in consent_grid(customer=customer).items()
            if chosen == purpose and record is not None}


def customer_events(*, customer: Customer) -> QuerySet[CustomerEvent]:
    """The customer's whole event stream, newest first, ready to paginate."""
    return customer.events.select_related("channel", "location").order_by("-occurred_at", "-id")


def events_labelled(events: Iterable[CustomerEvent], *, user=None) -> list[CustomerEvent]:
    """``events`` as a list, each with ``subject_label``: what it is about as people read it
    ("注文 W00004348", "商品 HONEY-0168-1 はちみつ"; a ``kernel.subjects.SubjectLabel``, None
    without a subject), resolved for all of them at once by the apps that own the subjects, so
    the queries do not grow with the events. With ``user``, only links they may follow."""
    events = list(events)
    labels = subject_labels((event.subject for event in events), user=user)
    for event in events:
        event.subject_label = labels.get(event.subject)
    return events


def customer_timeline(*, customer: Customer, limit: int = 100, user=None) -> list[CustomerEvent]:
    """The latest ``limit`` events of the customer, newest first, labelled (``events_labelled``)."""
    return events_labelled(customer_events(customer=customer)[:limit], user=user)


def customer_search(*, query: str, limit: int = 25) -> QuerySet[Customer]:
    """The first ``limit`` customers matching ``query``, by furigana then id (one query; see
    ``CustomerQuerySet.search_first``)."""
    return Customer.objects.search_first(query, limit)
