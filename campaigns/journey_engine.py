"""The journey engine: who enters a journey, and moving each customer from step to step.

**Entering.** ``journeys_handle`` is the consumer ``campaigns.journeys`` of the domain-event outbox
(kernel.events): it has its own cursor, so it survives restarts and reads each event once, in
the transaction that moves its cursor. Per batch of events, a few set-based statements:
- triggers enrol customers (``enrol``: one INSERT that skips an occurrence already enrolled, a
  customer already in the journey, and whoever re-entry keeps out);
- goals take customers out (an order placed; the order collected), a checkout ends the cart
  abandonment, a cart changed again restarts its timer.
Triggers that are about time rather than an event (a birthday, inactivity, being in a segment)
are found by ``journeys_scan``, run by the clock.

**Moving on.** ``journeys_run`` takes the enrolments whose step is due (``SELECT … FOR UPDATE SKIP
LOCKED``, so workers share the work), runs their steps until each waits or ends, and commits the
chunk at once: the steps they went through (``EnrolmentStep``, unique per enrolment and step: a
step never runs twice), the messages to send (a recipient row of the step's automated campaign
per enrolment: unique, and sent through the delivery ledger), the granted codes, where each one is
now. A worker killed mid-chunk commits nothing of it; the chunk runs again.

**At the moment of sending** the sending engine (campaigns.sending) checks again consent (a
withdrawal stops the journey's messages on that channel), suppression, quiet hours, the brand's
frequency cap; before a back-in-stock message the engine checks the stock again (sold out again:
no message, the subscription stays for the next time).
"""

import logging
import zoneinfo
from collections import defaultdict
from datetime import datetime, timedelta
from datetime import time as dtime

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Q
from django.utils import timezone

from customers.models import Customer
from kernel.subjects import order_subject

from .models import CampaignRecipient, RecipientStatus
from .models_journeys import (
    BranchCondition,
    Enrolment,
    EnrolmentState,
    EnrolmentStatus,
    EnrolmentStep,
    Journey,
    JourneyGoal,
    JourneyStatus,
    JourneyStep,
    JourneyTrigger,
    Reentry,
    StepKind,
)

logger = logging.getLogger(__name__)

CHUNK = 500
MAX_HOPS = 50  # steps one enrolment may go through in one run (a journey has no loop anyway)

TRIGGER_OF_EVENT = {
    "customers.signed_up": JourneyTrigger.SIGNED_UP,
    "orders.cart_changed": JourneyTrigger.CART_ABANDONED,
    "orders.cart_merged": JourneyTrigger.CART_ABANDONED,
    "orders.order_placed": JourneyTrigger.ORDER_PLACED,
    "orders.fulfillment_ready": JourneyTrigger.READY_FOR_PICKUP,
    "orders.picked_up": JourneyTrigger.PICKED_UP,
    "orders.shipped": JourneyTrigger.SHIPPED,
    "inventory.stock_available": JourneyTrigger.BACK_IN_STOCK,
    "campaigns.custom_event": JourneyTrigger.CUSTOM,
}
# the events that end enrolments early
EXIT_EVENTS = ("orders.order_placed", "orders.cart_checked_out", "orders.picked_up", "orders.fulfillment_cancelled",
               "orders.pickup_expired")
CONSUMED_TYPES = tuple(sorted(set(TRIGGER_OF_EVENT) | set(EXIT_EVENTS)))


# --- entering -------------------------------------------------------------------------------------

def enrol(journey: Journey, rows: list[tuple[int, str, str, dict, datetime]], *, now: datetime | None = None) -> int:
    """Enrol ``rows`` — ``(customer id, trigger key, thread, context, due at)`` — into ``journey``
    as its re-entry allows, in one INSERT that skips an occurrence already enrolled and a customer
    already in it (on the same thread). Returns how many of the trigger keys are enrolled now."""
    if not rows or journey.first_step_id is None:
        return 0
    now = now or timezone.now()
    customer_ids = {row[0] for row in rows}
    blocked: set[int] = set()
    earlier = Enrolment.objects.filter(journey=journey, customer_id__in=customer_ids)
    if journey.reentry == Reentry.ONCE:
        blocked = set(earlier.values_list("customer_id", flat=True))
    elif journey.reentry == Reentry.AFTER_DAYS:
        blocked = set(earlier.filter(entered_at__gt=now - timedelta(days=journey.reentry_days))
                      .values_list("customer_id", flat=True))
    erased = set(Customer.objects.filter(pk__in=customer_ids, erased_at__isnull=False).values_list("pk", flat=True))
    seen: set[tuple[int, str]] = set()
    fresh = []
    for customer_id, key, thread, context, due_at in rows:
        if customer_id in blocked or customer_id in erased or (customer_id, thread) in seen:
            continue
        if journey.reentry == Reentry.ONCE or journey.reentry == Reentry.AFTER_DAYS:
            blocked.add(customer_id)
        seen.add((customer_id, thread))
        fresh.append(Enrolment(journey=journey, customer_id=customer_id, trigger_key=key[:80], thread=thread[:40],
                               context=context, current_step_id=journey.first_step_id, state=EnrolmentState.READY,
                               due_at=due_at, entered_at=min(due_at, now)))
    if not fresh:
        return 0
    Enrolment.objects.bulk_create(fresh, ignore_conflicts=True)
    return Enrolment.objects.filter(journey=journey, trigger_key__in=[e.trigger_key for e in fresh]).count()


def _active_journeys(triggers) -> dict[str, list[Journey]]:
    by_trigger: dict[str, list[Journey]] = defaultdict(list)
    for journey in Journey.objects.filter(status=JourneyStatus.ACTIVE, trigger__in=list(triggers)):
        by_trigger[journey.trigger].append(journey)
    return by_trigger


def _trigger_rows(journey: Journey, event) -> list[tuple[int, str, str, dict, datetime]]:
    """What one event means for one journey: the rows to enrol."""
    p, at = event.payload, event.created_at
    trigger = journey.trigger
    key = f"ev:{event.id}"
    if trigger == JourneyTrigger.SIGNED_UP:
        return [(p["customer_id"], key, "", {}, at)]
    if trigger == JourneyTrigger.CART_ABANDONED:
        if not p.get("customer_id") or not p.get("tracking", True):
            return []
        if event.type == "orders.cart_changed" and p.get("delta", 0) <= 0:
            return []
        hours = int(journey.trigger_config.get("hours") or 1)
        return [(p["customer_id"], key, "", {"cart_id": p["cart_id"]}, at + timedelta(hours=hours))]
    if trigger == JourneyTrigger.ORDER_PLACED and p.get("customer_id"):
        return [(p["customer_id"], key, "", {"order_id": p["order_id"], "number": p["number"],
                                             "total": p.get("total")}, at)]
    if trigger == JourneyTrigger.READY_FOR_PICKUP and p.get("customer_id") and p.get("method") == "pickup":
        return [(p["customer_id"], key, order_subject(p["number"]), {"order_id": p["order_id"], "number": p["number"],
                                                                   "location_id": p.get("location_id")}, at)]
    if trigger in (JourneyTrigger.PICKED_UP, JourneyTrigger.SHIPPED) and p.get("customer_id"):
        return [(p["customer_id"], key, "", {"order_id": p["order_id"], "number": p["number"]}, at)]
    if trigger == JourneyTrigger.CUSTOM and p.get("customer_id") and p.get("name") == journey.trigger_config.get("event"):
        return [(p["customer_id"], key, "", {"data": p.get("data") or {}}, at)]
    return []


def _back_in_stock_rows(events) -> list[tuple[int, str, str, dict, datetime]]:
    """The subscribers waiting for each variant that came back (at that store, or anywhere)."""
    from .backinstock import back_in_stock_waiting

    rows = []
    for event in events:
        p = event.payload
        for subscription in back_in_stock_waiting(variant_id=p["variant_id"], location_id=p["location_id"]):
            rows.append((subscription.customer_id, f"bis:{subscription.pk}:{event.id}", f"bis:{subscription.pk}",
                         {"subscription_id": subscription.pk, "variant_id": p["variant_id"], "sku": p["sku"],
                          "location_id": p["location_id"]}, event.created_at))
    return rows


def journeys_handle(events) -> None:
    """The outbox consumer (kernel.events, ``campaigns.journeys``): enrol and take out, per batch."""
    by_type: dict[str, list] = defaultdict(list)
    for event in events:
        by_type[event.type].append(event)
    triggers = {TRIGGER_OF_EVENT[t] for t in by_type if t in TRIGGER_OF_EVENT}
    journeys = _active_journeys(triggers) if triggers else {}
    now = timezone.now()
    _exits(by_type, now)
    for trigger, trigger_journeys in journeys.items():
        wanted = [e for t, typed in by_type.items() if TRIGGER_OF_EVENT.get(t) == trigger for e in typed]
        for journey in trigger_journeys:
            # what happened before the journey was switched on does not start it
            since = [e for e in wanted if journey.activated_at is None or e.created_at >= journey.activated_at]
            if trigger == JourneyTrigger.BACK_IN_STOCK:
                enrol(journey, _back_in_stock_rows(since), now=now)
            else:
                enrol(journey, [row for event in since for row in _trigger_rows(journey, event)], now=now)
    cart_events = by_type.get("orders.cart_changed", []) + by_type.get("orders.cart_merged", [])
    if cart_events and JourneyTrigger.CART_ABANDONED in journeys:
        _restart_cart_timers(journeys[JourneyTrigger.CART_ABANDONED], cart_events)


def _finish(enrolments, status: str, reason: str, now: datetime) -> int:
    return enrolments.update(status=status, exit_reason=reason, finished_at=now, due_at=None)


def _exits(by_type: dict[str, list], now: datetime) -> None:
    active = Enrolment.objects.filter(status=EnrolmentStatus.ACTIVE)
    placed = by_type.get("orders.order_placed", [])
    if placed:
        latest: dict[int, datetime] = {}
        for event in placed:
            if event.payload.get("customer_id"):
                latest[event.payload["customer_id"]] = event.created_at
        if latest:
            # an order placed after they entered: the goal of a journey aiming at one
            _finish(active.filter(journey__goal=JourneyGoal.ORDER_PLACED, customer_id__in=list(latest),
                                  entered_at__lt=max(latest.values())), EnrolmentStatus.GOAL, "order_placed", now)
    checked_out = {e.payload["customer_id"] for e in by_type.get("orders.cart_checked_out", [])
                   if e.payload.get("customer_id")}
    if checked_out:
        _finish(active.filter(journey__trigger=JourneyTrigger.CART_ABANDONED, customer_id__in=checked_out),
                EnrolmentStatus.GOAL, "checked_out", now)
    collected = {order_subject(e.payload["number"]) for e in by_type.get("orders.picked_up", [])}
    if collected:
        _finish(active.filter(journey__trigger=JourneyTrigger.READY_FOR_PICKUP, thread__in=collected),
                EnrolmentStatus.GOAL, "collected", now)
    gone = {order_subject(e.payload["number"]) for t in ("orders.fulfillment_cancelled", "orders.pickup_expired")
            for e in by_type.get(t, [])}
    if gone:
        _finish(active.filter(journey__trigger=JourneyTrigger.READY_FOR_PICKUP, thread__in=gone),
                EnrolmentStatus.EXITED, "order_cancelled", now)


def _restart_cart_timers(journeys: list[Journey], events) -> None:
    """A cart changed again before the reminder: the abandonment is counted from now."""
    last: dict[int, datetime] = {}
    for event in events:
        p = event.payload
        if p.get("customer_id") and p.get("tracking", True):
            last[p["customer_id"]] = event.created_at
    if not last:
        return
    for journey in journeys:
        hours = int(journey.trigger_config.get("hours") or 1)
        at = max(last.values())
        Enrolment.objects.filter(journey=journey, status=EnrolmentStatus.ACTIVE, customer_id__in=list(last),
                                 current_step_id=journey.first_step_id, state=EnrolmentState.READY,
                                 due_at__lt=at + timedelta(hours=hours)).update(due_at=at + timedelta(hours=hours))


# --- triggers found by the clock ------------------------------------------------------------------

def _local_today(now: datetime):
    return timezone.localtime(now, zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()


def journeys_scan(*, now: datetime | None = None) -> dict[str, int]:
    """Enrol the customers time made eligible: a birthday coming (``days_before``), no order for
    ``days`` (once per spell of inactivity), who entered a segment since the last scan. Idempotent:
    the trigger keys carry the occurrence (the year, the day of the last order), and a segment's
    members of the last scan are kept, so a second scan enrols no one again."""
    from orders.models import Order

    now = now or timezone.now()
    today = _local_today(now)
    made: dict[str, int] = {}
    for journey in Journey.objects.filter(status=JourneyStatus.ACTIVE, trigger__in=(
            JourneyTrigger.BIRTHDAY, JourneyTrigger.INACTIVE, JourneyTrigger.SEGMENT_ENTERED)):
        config = journey.trigger_config or {}
        rows: list[tuple[int, str, str, dict, datetime]] = []
        if journey.trigger == JourneyTrigger.BIRTHDAY:
            day = today + timedelta(days=int(config.get("days_before") or 0))
            days = [(day.month, day.day)]
            if (day.month, day.day) == (2, 28) and not _is_leap(day.year):
                days.append((2, 29))  # born on 29 February: celebrated on the 28th
            condition = Q()
            for month, day_of_month in days:
                condition |= Q(birthday__month=month, birthday__day=day_of_month)
            for pk in Customer.objects.filter(condition, erased_at__isnull=True).values_list("pk", flat=True):
                rows.append((pk, f"birthday:{pk}:{day.year}", "", {"year": day.year}, now))
        elif journey.trigger == JourneyTrigger.INACTIVE:
            days = int(config.get("days") or 90)
            # customers whose last order was ``days`` to ``days`` + 30 days ago: just lapsed (not every
            # customer who has not bought for years, each time the journey is switched on)
            lapsed = (Order.objects.filter(customer__isnull=False).values("customer")
                      .annotate(last=Max("created_at"))
                      .filter(last__lte=now - timedelta(days=days), last__gt=now - timedelta(days=days + 30))
                      .values_list("customer", "last"))
            for pk, last in lapsed:
                rows.append((pk, f"inactive:{pk}:{last.date().isoformat()}", "", {"last_order": last.isoformat()}, now))
        elif journey.trigger == JourneyTrigger.SEGMENT_ENTERED:
            rows = _segment_entries(journey, config, now)
        for start in range(0, len(rows), CHUNK):
            made[str(journey.pk)] = made.get(str(journey.pk), 0) + enrol(journey, rows[start:start + CHUNK], now=now)
    return made


def _segment_entries(journey: Journey, config: dict, now: datetime) -> list[tuple[int, str, str, dict, datetime]]:
    """Who entered the journey's segment since the last scan: in it now and not at the last scan
    (``JourneySegmentMember`` keeps the last scan's members; who left is taken out of it, so coming
    back is entering again). Three statements and two sets of ids, whatever the segment's size."""
    from customers.models import Segment
    from customers.segments import segment_customers

    from .models_journeys import JourneySegmentMember

    segment = Segment.objects.filter(pk=config.get("segment")).first()
    if segment is None:
        return []
    now_in = set(segment_customers(segment, now=now).filter(erased_at__isnull=True).values_list("pk", flat=True))
    before = set(JourneySegmentMember.objects.filter(journey=journey).values_list("customer_id", flat=True))
    entered, left = now_in - before, before - now_in
    with transaction.atomic():
        if left:
            JourneySegmentMember.objects.filter(journey=journey, customer_id__in=left).delete()
        JourneySegmentMember.objects.bulk_create([JourneySegmentMember(journey=journey, customer_id=pk)
                                                  for pk in sorted(entered)], ignore_conflicts=True, batch_size=5000)
    stamp = now.strftime("%Y%m%d%H%M")
    return [(pk, f"segment:{pk}:{stamp}", "", {"segment": segment.pk}, now) for pk in sorted(entered)]


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# --- moving on ------------------------------------------------------------------------------------

class Facts:
    """What the branches of one chunk ask, read once for the chunk (a few queries whatever its
    size), lazily: only what its steps ask."""

    def __init__(self, enrolments: list[Enrolment], now: datetime):
        self.enrolments = enrolments
        self.customer_ids = sorted({e.customer_id for e in enrolments})
        self.now = now
        self._cache: dict = {}

    def _memo(self, key, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def last_message(self, enrolment: Enrolment) -> CampaignRecipient | None:
        def compute():
            last: dict[int, CampaignRecipient] = {}
            for recipient in (CampaignRecipient.objects.filter(occurrence__in=[e.pk for e in self.enrolments],
                                                               campaign__journey_step__isnull=False)
                              .order_by("occurrence", "pk")):
                last[recipient.occurrence] = recipient
            return last
        return self._memo("last", compute).get(enrolment.pk)

    def consenting(self, channel: str) -> set[int]:
        from customers.consent import customers_consenting

        from .models import CONSENT_FOR_CHANNEL

        consent_channel, purpose = CONSENT_FOR_CHANNEL[channel]
        return self._memo(("consent", channel), lambda: set(customers_consenting(
            Customer.objects.filter(pk__in=self.customer_ids), channel=consent_channel, purpose=purpose)
            .values_list("pk", flat=True)))

    def in_segment(self, segment_id: int) -> set[int]:
        from customers.models import Segment
        from customers.segments import segment_customers

        def compute():
            segment = Segment.objects.filter(pk=segment_id).first()
            if segment is None:
                return set()
            return set(segment_customers(segment, now=self.now).filter(pk__in=self.customer_ids)
                       .values_list("pk", flat=True))
        return self._memo(("segment", segment_id), compute)

    def with_cart_items(self) -> set[int]:
        from orders.models import CartLine

        return self._memo("cart", lambda: set(CartLine.objects.filter(cart__customer_id__in=self.customer_ids)
                                              .values_list("cart__customer_id", flat=True)))

    def orders_since(self) -> dict[int, datetime]:
        from orders.models import Order

        def compute():
            since = min(e.entered_at for e in self.enrolments)
            return dict(Order.objects.filter(customer_id__in=self.customer_ids, created_at__gte=since)
                        .values("customer").annotate(last=Max("created_at")).values_list("customer", "last"))
        return self._memo("orders", compute)

    def zone(self, customer_id: int) -> zoneinfo.ZoneInfo:
        zones = self._memo("zones", lambda: dict(Customer.objects.filter(pk__in=self.customer_ids)
                                                 .exclude(time_zone="").values_list("pk", "time_zone")))
        try:
            return zoneinfo.ZoneInfo(zones.get(customer_id) or settings.TIME_ZONE)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)

    def sent_recently(self, journey: Journey) -> dict[int, int]:
        """Messages of this journey each customer of the chunk was sent within its cap's period."""
        def compute():
            return dict(EnrolmentStep.objects.filter(
                step__journey=journey, enrolment__customer_id__in=self.customer_ids,
                outcome__in=("sent", "fallback"), at__gte=self.now - timedelta(days=journey.cap_days))
                .values("enrolment__customer_id").annotate(n=Count("pk")).values_list("enrolment__customer_id", "n"))
        return self._memo(("sent", journey.pk), compute)


def branch_holds(step: JourneyStep, enrolment: Enrolment, facts: Facts) -> bool:
    condition = step.config.get("condition")
    if condition in (BranchCondition.OPENED_LAST, BranchCondition.CLICKED_LAST):
        last = facts.last_message(enrolment)
        if last is None:
            return False
        return bool(last.clicked_at if condition == BranchCondition.CLICKED_LAST else (last.opened_at or last.clicked_at))
    if condition == BranchCondition.HAS_CONSENT:
        return enrolment.customer_id in facts.consenting(step.config.get("channel"))
    if condition == BranchCondition.IN_SEGMENT:
        return enrolment.customer_id in facts.in_segment(step.config.get("segment"))
    if condition == BranchCondition.CART_HAS_ITEMS:
        return enrolment.customer_id in facts.with_cart_items()
    if condition == BranchCondition.ORDERED_SINCE_ENTRY:
        last = facts.orders_since().get(enrolment.customer_id)
        return last is not None and last >= enrolment.entered_at
    return False


def wake_at(step: JourneyStep, now: datetime, zone) -> datetime:
    """When a wait step is over: after its minutes, then (with ``at``) at the next HH:MM of the
    customer's day."""
    wake = now + timedelta(minutes=int(step.config.get("minutes") or 0))
    at = step.config.get("at")
    if at:
        hour_minute = dtime.fromisoformat(at)
        local = timezone.localtime(wake, zone)
        candidate = local.replace(hour=hour_minute.hour, minute=hour_minute.minute, second=0, microsecond=0)
        if candidate < local:
            candidate += timedelta(days=1)
        wake = candidate
    return wake


class Chunk:
    """What running one chunk writes, gathered and written at the end in a few statements."""

    def __init__(self, now: datetime):
        self.now = now
        self.passes: list[EnrolmentStep] = []
        self.recipients: list[CampaignRecipient] = []
        self.changed: list[Enrolment] = []
        self.sent_in_chunk: dict[tuple[int, int], int] = defaultdict(int)
        self.fell_back: list[tuple[int, int]] = []  # (enrolment, send step) whose fallback went out

    def passed(self, enrolment: Enrolment, step: JourneyStep, outcome: str) -> None:
        self.passes.append(EnrolmentStep(enrolment=enrolment, step=step, at=self.now, outcome=outcome))

    def send(self, enrolment: Enrolment, step: JourneyStep, channel: str) -> None:
        self.recipients.append(CampaignRecipient(
            campaign_id=step.campaign_id, customer_id=enrolment.customer_id, channel=channel,
            occurrence=enrolment.pk, offer_code=(enrolment.context or {}).get("offer_code", "")[:40]))


def _run_send(step: JourneyStep, journey: Journey, enrolment: Enrolment, facts: Facts, chunk: Chunk) -> str:
    if journey.cap_messages:
        already = facts.sent_recently(journey).get(enrolment.customer_id, 0)
        already += chunk.sent_in_chunk[(journey.pk, enrolment.customer_id)]
        if already >= journey.cap_messages:
            return "capped"
    if journey.trigger == JourneyTrigger.BACK_IN_STOCK and (enrolment.context or {}).get("subscription_id"):
        from .backinstock import back_in_stock_mark_notified, back_in_stock_still_available
        from .models_backinstock import BackInStockSubscription

        subscription = (BackInStockSubscription.objects.select_related("variant__product", "customer", "location")
                        .filter(pk=enrolment.context["subscription_id"]).first())
        if subscription is None or not back_in_stock_still_available(subscription):
            return "sold_out_again"  # (or the alert was cancelled): it waits for the next time
        # the one notice per subscription: claimed here, in the chunk's transaction, before the message
        if back_in_stock_mark_notified(subscription_ids=[subscription.pk]) != 1:
            return "already_notified"
    chunk.send(enrolment, step, step.config["channel"])
    chunk.sent_in_chunk[(journey.pk, enrolment.customer_id)] += 1
    return "sent"


def _grant(step: JourneyStep, enrolment: Enrolment) -> str:
    from .models_offers import CodeKind, OfferCode
    from .offers import code_printed, new_code

    context = enrolment.context or {}
    if context.get("offer_code"):
        return "granted"
    code = OfferCode.objects.create(code=new_code("J"), offer=step.offer, kind=CodeKind.SINGLE_USE, max_uses=1,
                                    customer_id=enrolment.customer_id)
    enrolment.context = {**context, "offer_code": code_printed(code.code), "offer_id": step.offer_id}
    return "granted"


def _advance(enrolment: Enrolment, journey: Journey, steps: dict[int, JourneyStep], facts: Facts,
             chunk: Chunk, done: set[tuple[int, int]]) -> None:
    """Run the enrolment's steps from where it is until it waits or ends."""
    now = chunk.now
    for _hop in range(MAX_HOPS):
        step = steps.get(enrolment.current_step_id)
        if step is None:
            enrolment.status, enrolment.exit_reason = EnrolmentStatus.COMPLETED, "end"
            enrolment.finished_at, enrolment.due_at, enrolment.current_step_id = now, None, None
            return
        if enrolment.state == EnrolmentState.WAITING:  # its wait (or a fallback's) is over
            if step.kind == StepKind.SEND and step.config.get("fallback_channel"):
                last = facts.last_message(enrolment)
                engaged = last is not None and last.status == RecipientStatus.SENT and (last.opened_at or last.clicked_at)
                if not engaged:
                    chunk.send(enrolment, step, step.config["fallback_channel"])
                    chunk.fell_back.append((enrolment.pk, step.pk))
            enrolment.current_step_id, enrolment.state = step.next_step_id, EnrolmentState.READY
            continue
        if (enrolment.pk, step.pk) in done:  # ran already (an edited journey led back here): on
            enrolment.current_step_id = step.next_step_id
            continue
        done.add((enrolment.pk, step.pk))
        if step.kind == StepKind.WAIT:
            chunk.passed(enrolment, step, "waited")
            enrolment.state, enrolment.due_at = EnrolmentState.WAITING, wake_at(step, now, facts.zone(enrolment.customer_id))
            return
        if step.kind == StepKind.BRANCH:
            holds = branch_holds(step, enrolment, facts)
            chunk.passed(enrolment, step, "yes" if holds else "no")
            enrolment.current_step_id = step.next_step_id if holds else step.else_step_id
            continue
        if step.kind == StepKind.OFFER:
            chunk.passed(enrolment, step, _grant(step, enrolment))
            enrolment.current_step_id = step.next_step_id
            continue
        if step.kind == StepKind.SEND:
            outcome = _run_send(step, journey, enrolment, facts, chunk)
            chunk.passed(enrolment, step, outcome)
            if outcome in ("sold_out_again", "already_notified"):
                enrolment.status, enrolment.exit_reason = EnrolmentStatus.EXITED, outcome
                enrolment.finished_at, enrolment.due_at = now, None
                return
            if outcome == "sent" and step.config.get("fallback_channel"):
                hours = int(step.config.get("fallback_hours") or 24)
                enrolment.state, enrolment.due_at = EnrolmentState.WAITING, now + timedelta(hours=hours)
                return
            enrolment.current_step_id = step.next_step_id
            continue
        # exit
        chunk.passed(enrolment, step, "exit")
        enrolment.status, enrolment.exit_reason = EnrolmentStatus.COMPLETED, "exit_step"
        enrolment.finished_at, enrolment.due_at = now, None
        return
    logger.error("Enrolment %s went through %s steps in one run; stopped", enrolment.pk, MAX_HOPS)


def journeys_run_chunk(*, now: datetime | None = None, limit: int = CHUNK) -> dict[str, int]:
    """Run one chunk of due enrolments (see the module docstring); returns counts. The messages are
    handed to the sending engine after the chunk commits."""
    now = now or timezone.now()
    chunk = Chunk(now)
    with transaction.atomic():
        enrolments = list(Enrolment.objects.select_for_update(skip_locked=True, of=("self",))
                          .filter(status=EnrolmentStatus.ACTIVE, due_at__lte=now, journey__status=JourneyStatus.ACTIVE)
                          .order_by("due_at", "pk")[:limit])
        if not enrolments:
            return {"enrolments": 0, "messages": 0}
        journey_ids = {e.journey_id for e in enrolments}
        journeys = Journey.objects.in_bulk(journey_ids)
        steps = {s.pk: s for s in JourneyStep.objects.filter(journey_id__in=journey_ids).select_related("offer")
                 if not s.config.get("removed")}
        done = set(EnrolmentStep.objects.filter(enrolment__in=enrolments).values_list("enrolment_id", "step_id"))
        facts = Facts(enrolments, now)
        for enrolment in enrolments:
            _advance(enrolment, journeys[enrolment.journey_id], steps, facts, chunk, done)
        EnrolmentStep.objects.bulk_create(chunk.passes, ignore_conflicts=True)
        if chunk.fell_back:  # one UPDATE for the chunk's fallbacks
            passed = Q()
            for enrolment_id, step_id in chunk.fell_back:
                passed |= Q(enrolment_id=enrolment_id, step_id=step_id)
            EnrolmentStep.objects.filter(passed).update(outcome="fallback")
        CampaignRecipient.objects.bulk_create(chunk.recipients, ignore_conflicts=True)
        Enrolment.objects.bulk_update(enrolments, ["status", "exit_reason", "current_step", "state", "due_at",
                                                   "finished_at", "context"])
    campaigns = {r.campaign_id for r in chunk.recipients}
    if campaigns:  # committed: now hand them to the sending engine
        _send(campaigns, [e.pk for e in enrolments])
    return {"enrolments": len(enrolments), "messages": len(chunk.recipients)}


def _send(campaign_ids: set[int], enrolment_ids: list[int]) -> None:
    """Queue the sending engine's batches for the chunk's new recipients (pending, unique): the
    ledger sends each once, whichever worker gets there."""
    from .sending import _enqueue_batches

    rows = (CampaignRecipient.objects.filter(campaign_id__in=campaign_ids, occurrence__in=enrolment_ids,
                                             status=RecipientStatus.PENDING)
            .values("campaign_id").annotate(first=Min("pk"), last=Max("pk")).order_by())
    for row in rows:
        _enqueue_batches(row["campaign_id"], [(row["first"], row["last"])])


def fallback_early(*, now: datetime | None = None) -> int:
    """Enrolments waiting to see whether a message is opened, whose message was not sent at all (no
    opt-in on that channel, no address, suppressed, failed): their fallback is due now."""
    now = now or timezone.now()
    unsent = CampaignRecipient.objects.filter(
        occurrence=OuterRef("pk"), campaign_id=OuterRef("current_step__campaign_id"),
        status__in=(RecipientStatus.SKIPPED, RecipientStatus.FAILED))
    return Enrolment.objects.filter(status=EnrolmentStatus.ACTIVE, state=EnrolmentState.WAITING,
                                    current_step__kind=StepKind.SEND, due_at__gt=now).filter(
        Exists(unsent)).update(due_at=now)


def journeys_run(*, budget: float = 50.0, now: datetime | None = None) -> dict[str, int]:
    """Run due enrolments chunk by chunk until none is due or ``budget`` seconds have passed."""
    import time

    deadline = time.monotonic() + budget
    total = {"enrolments": 0, "messages": 0}
    fallback_early(now=now)
    while time.monotonic() < deadline:
        counts = journeys_run_chunk(now=now)
        for key, value in counts.items():
            total[key] += value
        if counts["enrolments"] < CHUNK:
            break
    return total


def journeys_tick() -> dict:
    """Scheduled every minute: read the new events, then run the steps that are due (the time
    triggers are ``journeys_scan``'s, hourly)."""
    from kernel.events import events_consume_pending

    consumed = events_consume_pending(consumer="campaigns.journeys", budget=20.0)
    return {"events": consumed, **journeys_run(budget=30.0)}


def journey_merge_values(recipients) -> dict[int, dict]:
    """The merge values of journey recipients from what their enrolment's trigger was about: the
    order's number, the product back in stock and its page, the store. Three queries at most for
    a batch."""
    from inventory.models import Variant
    from kernel.models import Location

    enrolments = dict(Enrolment.objects.filter(pk__in={r.occurrence for r in recipients if r.occurrence})
                      .values_list("pk", "context"))
    skus = {c.get("sku") for c in enrolments.values() if c.get("sku")}
    variants = {v.sku: v for v in Variant.objects.filter(sku__in=skus).select_related("product")} if skus else {}
    location_ids = {c.get("location_id") for c in enrolments.values() if c.get("location_id")}
    locations = dict(Location.objects.filter(pk__in=location_ids).values_list("pk", "name")) if location_ids else {}
    values = {}
    for recipient in recipients:
        context = enrolments.get(recipient.occurrence)
        if context is None:
            continue
        variant = variants.get(context.get("sku"))
        values[recipient.pk] = {
            "order_number": context.get("number", ""),
            "product_name": variant.product.name if variant else "",
            "product_url": _product_url(variant) if variant else "",
            "store_name": locations.get(context.get("location_id"), ""),
        }
    return values


def _product_url(variant) -> str:
    from kernel.site import absolute_url

    url = getattr(variant.product, "get_absolute_url", None)
    return absolute_url(url()) if url else ""


def journey_stock_recheck(recipients) -> set[int]:
    """At the moment of sending (the sending engine calls it for a batch's journey recipients):
    the back-in-stock messages whose size is no longer available where the customer asked — sold
    out again while the message waited (quiet hours, a queue). They are not sent, and their
    subscription is opened again, so the next time the size comes back tells them. One query for
    the enrolments and one per (size, place)."""
    from .backinstock import is_available
    from .models_backinstock import BackInStockSubscription

    contexts = dict(Enrolment.objects.filter(pk__in={r.occurrence for r in recipients if r.occurrence},
                                             context__has_key="subscription_id").values_list("pk", "context"))
    if not contexts:
        return set()
    subscriptions = BackInStockSubscription.objects.only("variant_id", "location_id").in_bulk(
        {context["subscription_id"] for context in contexts.values()})
    available: dict[tuple[int, int | None], bool] = {}
    gone, reopen = set(), []
    for recipient in recipients:
        context = contexts.get(recipient.occurrence)
        subscription = subscriptions.get(context["subscription_id"]) if context else None
        if subscription is None:
            continue
        place = (subscription.variant_id, subscription.location_id)
        if place not in available:
            available[place] = is_available(variant_id=place[0], location_id=place[1])
        if not available[place]:
            gone.add(recipient.pk)
            reopen.append(subscription.pk)
    if reopen:
        BackInStockSubscription.objects.filter(pk__in=reopen, cancelled_at__isnull=True).update(notified_at=None)
    return gone
