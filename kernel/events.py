"""Domain events: an append-only, typed outbox and the consumers that read it by cursor.

A lower domain lets a higher one react without importing it. The service that makes a change
publishes a typed event in the same transaction (``publish``): the event exists exactly when
the change does. A higher app subscribes by declaring a consumer on its AppConfig; a django-q2
schedule (``kernel.tasks.events_dispatch``, every minute) hands each consumer the events after
its cursor. Nothing here imports a domain app.

Publishing app: declare the event types it publishes (a payload is a frozen dataclass)::

    # orders/events.py
    @dataclass(frozen=True)
    class OrderPlaced:
        order_id: int
        number: str

    ORDER_PLACED = EventType("orders.order_placed", OrderPlaced)

    class OrdersConfig(AppConfig):
        domain_events = "orders.events.EVENT_TYPES"   # a list of EventType, or the list itself

    # orders/services.py, inside the atomic service
    publish(ORDER_PLACED, payload=OrderPlaced(order_id=order.pk, number=order.number),
            subject=order_subject(order.number), actor=acting_user)  # kernel.subjects

Consuming app::

    class CampaignsConfig(AppConfig):
        event_consumers = {
            "campaigns.journeys": EventConsumer("campaigns.consumers.journeys_handle",
                                                types=("orders.order_placed",)),
        }

A handler takes a list of ``DomainEvent`` rows (in id order, ``.payload`` a dict) and runs in
the transaction that advances its cursor: its own database writes and the cursor commit
together, so a handler that raises (or a worker that dies) advances nothing and the batch is
handed over again, and a batch that committed is never handed over again. Side effects outside
the database (email, webhooks) go through the delivery ledger (``kernel.deliveries``), which
makes a repeat harmless.

One runner per consumer: the cursor row is locked for the batch (``SELECT ... FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so a second runner skips the consumer instead of waiting; SQLite's
IMMEDIATE transactions serialise writers anyway).

Ids that commit out of order (PostgreSQL): a sequence hands out ids at insert time, so an event
with a higher id can become visible while a lower one is still in an open transaction. A
consumer that moved its cursor past the higher id would never see the lower one. The rule here:
a consumer reads ids in order and stops at a hole (a missing id) until the hole is older than
``EVENTS_GAP_GRACE`` seconds (setting, default 10): by then the transaction that took the id
either committed (and the event is read) or rolled back (and the id never comes). Services'
transactions are short (a second at most), far under the grace; a transaction that inserts an
event and stays open longer than the grace could have its event skipped, so a publish belongs
at the end of a short service. SQLite assigns ids under its single write lock and reuses
rolled-back ids, so it never has holes in flight.

The orders domain's cart services publish ``orders.cart_changed`` (guest carts too),
``orders.cart_merged`` (a guest cart taken over on sign-in), ``orders.cart_checked_out`` and
``orders.cart_expired``: what an abandoned-cart journey needs (see orders/domain_events.py).
"""

import dataclasses
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models import F
from django.dispatch import receiver
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import ConsumerCursor, DomainEvent
from .registry import declarations

DEFAULT_BATCH = 500


@dataclass(frozen=True)
class EventType:
    """A kind of domain event: its name (``app.something_happened``), the frozen dataclass its
    payload is, and the payload's version (raise it when the payload changes incompatibly)."""

    name: str
    payload: type
    version: int = 1


@dataclass(frozen=True)
class EventConsumer:
    """A subscriber: the dotted path of ``handler(events)`` and the event types it wants (empty:
    all). Its cursor still moves past the events it does not want."""

    handler: str
    types: tuple[str, ...] = ()


class EventError(Exception):
    pass


@cache
def event_types() -> dict[str, EventType]:
    """Every event type the installed apps declare (``domain_events``), by name."""
    found: dict[str, EventType] = {}
    for label, declared in declarations("domain_events"):
        for event_type in import_string(declared) if isinstance(declared, str) else declared:
            if event_type.name in found and found[event_type.name] != event_type:
                raise EventError(f"Event type {event_type.name!r} is declared twice (again by {label}).")
            found[event_type.name] = event_type
    return found


@cache
def event_consumers() -> dict[str, EventConsumer]:
    """Every consumer the installed apps declare (``event_consumers``), by name."""
    found: dict[str, EventConsumer] = {}
    for label, declared in declarations("event_consumers"):
        for name, consumer in declared.items():
            if name in found:
                raise EventError(f"Event consumer {name!r} is declared twice (again by {label}).")
            found[name] = consumer if isinstance(consumer, EventConsumer) else EventConsumer(consumer)
    return found


@receiver(setting_changed)
def _installed_apps_changed(*, setting, **kwargs) -> None:
    if setting == "INSTALLED_APPS":
        event_types.cache_clear()
        event_consumers.cache_clear()


def _row(event_type: EventType, payload, subject: str, actor, now) -> DomainEvent:
    if not isinstance(payload, event_type.payload):
        raise EventError(f"{event_type.name} takes a {event_type.payload.__name__} payload, "
                         f"not {type(payload).__name__}.")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None  # an anonymous request is the system acting
    return DomainEvent(type=event_type.name, version=event_type.version, subject=subject[:120],
                       payload=dataclasses.asdict(payload), actor=actor, created_at=now)


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise EventError("Publish a domain event inside the transaction of the change it records "
                         "(the service's transaction.atomic).")


def publish(event_type: EventType, *, payload, subject: str = "", actor=None) -> DomainEvent:
    """Append one event in the caller's transaction (refused outside one: an event must commit
    or roll back with the change it records). ``subject`` names what it is about (``order:W0001``)."""
    _require_transaction()
    row = _row(event_type, payload, subject, actor, timezone.now())
    row.save(force_insert=True)
    return row


def publish_many(event_type: EventType, *, items, actor=None) -> list[DomainEvent]:
    """Append many events of one type in one INSERT; ``items`` are ``(payload, subject)`` pairs."""
    _require_transaction()
    now = timezone.now()
    return DomainEvent.objects.bulk_create([_row(event_type, payload, subject, actor, now)
                                            for payload, subject in items])


def _gap_grace() -> timedelta:
    return timedelta(seconds=getattr(settings, "EVENTS_GAP_GRACE", 10))


def _ready(events: list[DomainEvent], after: int) -> list[DomainEvent]:
    """The prefix of ``events`` that may be handled: ids in order, stopping at a hole younger
    than the grace (a transaction that took the missing id may still commit it). A new cursor
    (``after`` 0) starts at the first event there is."""
    limit = timezone.now() - _gap_grace()
    expected, ready = (after + 1 if after else None), []
    for event in events:
        if expected is not None and event.id != expected and event.created_at > limit:
            break
        ready.append(event)
        expected = event.id + 1
    return ready


def events_consume(*, consumer: str, batch: int = DEFAULT_BATCH) -> int:
    """Hand the next batch of events after ``consumer``'s cursor to its handler and advance the
    cursor in the same transaction. Returns how many events the cursor moved past (0: nothing
    new, a hole still in its grace, or another runner holds the consumer)."""
    spec = event_consumers()[consumer]
    handler = import_string(spec.handler)
    ConsumerCursor.objects.get_or_create(consumer=consumer)
    with transaction.atomic():
        cursor = (ConsumerCursor.objects.select_for_update(skip_locked=True)
                  .filter(consumer=consumer).first())
        if cursor is None:
            return 0  # another runner has it
        events = _ready(list(DomainEvent.objects.filter(id__gt=cursor.last_event_id).order_by("id")[:batch]),
                        cursor.last_event_id)
        if not events:
            return 0
        wanted = [event for event in events if not spec.types or event.type in spec.types]
        if wanted:
            handler(wanted)
        ConsumerCursor.objects.filter(pk=cursor.pk).update(
            last_event_id=events[-1].id, handled=F("handled") + len(wanted), updated_at=timezone.now())
    return len(events)


def events_consume_pending(*, consumer: str, batch: int = DEFAULT_BATCH, budget: float = 50.0) -> int:
    """Run ``events_consume`` until the consumer has caught up or ``budget`` seconds have passed."""
    deadline, total = time.monotonic() + budget, 0
    while time.monotonic() < deadline:
        moved = events_consume(consumer=consumer, batch=batch)
        total += moved
        if moved < batch:
            break
    return total
