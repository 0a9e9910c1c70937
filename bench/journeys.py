"""Journey engine benchmark (issue 11): outbox events per second through the journeys' consumer
with active enrolments, two workers, and a worker killed and restarted mid-run.

    .venv/bin/python bench/journeys.py [--customers 100000] [--events 1000000] [--sqlite-only | --postgres-only]

For PostgreSQL (a throwaway database on ``--postgres``, default postgres://postgres@127.0.0.1:5432)
and SQLite (a WAL file in a temporary OMNISHOP_VAR_DIR), in a child process each:

1. migrate; ``--customers`` customers with an email opt-in; four active journeys made through the
   services: an abandoned cart (3 hours, goal an order, a branch on the cart and an email), a
   welcome (wait a day), a post-purchase (wait a week), a pickup thank-you (an email at once);
2. ``--customers`` enrolments already in the abandoned-cart journey (bulk, as the engine writes
   them), waiting for their step;
3. ``--events`` outbox events in bulk (as the services would have published them): 60 % cart
   changes, 20 % orders placed (goals reached, post-purchase entries), 10 % sign-ups, 5 % pickups
   collected (an email each), 5 % checkouts; random customers;
4. two worker processes run the engine as the schedule does (read the events after the cursor,
   run the due steps) until the cursor reaches the last event and no step is due; print events/s
   (the goal: 2,000/s on PostgreSQL with two workers) and what the engine did;
5. ``--kill-events`` more events; two workers again, one killed (SIGKILL) after ``--kill-after``
   seconds and started again; when they are done, count what must never happen twice: a step
   passed twice by one enrolment, a message row twice for one enrolment's step, an occurrence of a
   trigger enrolled twice; and check the consumer handled every event exactly once.

Prints figures; asserts nothing.
"""

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.throwaway import run_child  # noqa: E402  (after the path: run as a script)

CONSUMER = "campaigns.journeys"
STOP = "journeys-bench.stop"


def setup_django() -> None:
    import logging

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnishop.settings")
    django.setup()
    logging.getLogger("django-q").setLevel(logging.WARNING)  # one line per queued send batch otherwise


# --- a worker: the schedule's job, in a loop --------------------------------------------------------

def worker() -> None:
    """Read events and run due steps until the stop file appears (what journeys_tick does every
    minute, without the minute)."""
    setup_django()
    from campaigns.journey_engine import journeys_run_chunk
    from kernel.events import events_consume

    stop = Path(os.environ["OMNISHOP_VAR_DIR"]) / STOP
    idle = 0
    while not stop.exists():
        moved = events_consume(consumer=CONSUMER, batch=1000)
        ran = journeys_run_chunk()["enrolments"]
        if moved == 0 and ran == 0:
            idle += 1
            time.sleep(0.05 if idle < 20 else 0.2)
        else:
            idle = 0


def start_worker() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "--worker"], cwd=ROOT, env=os.environ.copy())


# --- the child: set up, run, count ------------------------------------------------------------------

def world(customers: int):
    from django.contrib.auth import get_user_model

    from bench.campaign_send import customers_bulk, stores
    from brandkit.services import brandkit_seed_default
    from campaigns import journeys, services
    from campaigns.models import Campaign
    from kernel import roles

    brandkit_seed_default()
    author = get_user_model().objects.create_user("hq@bench.example.jp", "pass-Word-123")
    roles.assign_role(author, roles.HQ_MARKETER)
    customers_bulk(customers, stores())

    def journey(name, trigger, steps, **fields):
        made = journeys.journey_create(acting_user=author, name=name, trigger=trigger, **fields)
        after = None
        for kind, config in steps:
            after = journeys.step_add(journey=made, acting_user=author, kind=kind, config=config, after=after)
            if kind == "send":
                services.message_set(campaign=after.campaign, channel="email", language="ja", acting_user=author,
                                     subject="お知らせ", body="{{ name_honorific }}\nいつもありがとうございます。")
        Campaign.objects.filter(journey_step__journey=made).update(quiet_start=None, quiet_end=None)
        return journeys.journey_activate(journey=made, acting_user=author)

    cart = journey("カート", "cart_abandoned", [("branch", {"condition": "cart_has_items"}),
                                               ("send", {"channel": "email"})],
                   trigger_config={"hours": 3}, goal="order_placed")
    journey("ようこそ", "signed_up", [("wait", {"minutes": 24 * 60})])
    journey("購入後", "order_placed", [("wait", {"minutes": 7 * 24 * 60})])
    journey("受け取りのお礼", "picked_up", [("send", {"channel": "email"})])
    return cart


def enrolments_bulk(cart, customer_ids: list[int]) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from campaigns.models import Enrolment

    now = timezone.now()
    rows = [Enrolment(journey=cart, customer_id=pk, trigger_key=f"bench:{pk}", context={"cart_id": pk},
                      current_step_id=cart.first_step_id, state="ready", due_at=now + timedelta(hours=3),
                      entered_at=now) for pk in customer_ids]
    for start in range(0, len(rows), 5000):
        Enrolment.objects.bulk_create(rows[start:start + 5000])


def events_bulk(n: int, customer_ids: list[int], rng: random.Random) -> int:
    """``n`` outbox events of the mix (see the module docstring), in bulk; returns the last id."""
    from django.utils import timezone

    from kernel.models import DomainEvent

    now = timezone.now()
    rows = []
    last = 0
    for i in range(n):
        customer = rng.choice(customer_ids)
        draw = rng.random()
        if draw < 0.60:
            kind, payload = "orders.cart_changed", {"cart_id": customer, "customer_id": customer, "sku": "BENCH-1",
                                                    "quantity": 1, "delta": 1, "unit_price": 5500, "reason": "added",
                                                    "tracking": True}
        elif draw < 0.80:
            kind, payload = "orders.order_placed", {"order_id": i, "number": f"B{i}", "channel": "web",
                                                    "customer_id": customer, "total": 5500, "currency": "JPY",
                                                    "method": "ship", "location_id": None, "lines": 1}
        elif draw < 0.90:
            kind, payload = "customers.signed_up", {"customer_id": customer, "user_id": 0, "channel": "web",
                                                    "source": "bench"}
        elif draw < 0.95:
            kind, payload = "orders.picked_up", {"order_id": i, "number": f"B{i}", "fulfillment_id": i,
                                                 "customer_id": customer, "method": "pickup", "location_id": None,
                                                 "from_status": "ready", "to_status": "picked_up"}
        else:
            kind, payload = "orders.cart_checked_out", {"cart_id": customer, "customer_id": customer, "order_id": i,
                                                        "number": f"B{i}"}
        rows.append(DomainEvent(type=kind, version=1, subject="", payload=payload, created_at=now))
        if len(rows) == 10_000:
            last = DomainEvent.objects.bulk_create(rows)[-1].pk or last
            rows = []
    if rows:
        DomainEvent.objects.bulk_create(rows)
    return DomainEvent.objects.order_by("-pk").values_list("pk", flat=True).first()


def caught_up(last_id: int) -> bool:
    from django.utils import timezone

    from campaigns.models import Enrolment
    from kernel.models import ConsumerCursor

    cursor = ConsumerCursor.objects.filter(consumer=CONSUMER).values_list("last_event_id", flat=True).first() or 0
    return cursor >= last_id and not Enrolment.objects.filter(status="active", due_at__lte=timezone.now(),
                                                               journey__status="active").exists()


def run_workers(last_id: int, *, kill_after: float | None = None, timeout: float = 3600) -> tuple[float, int]:
    stop = Path(os.environ["OMNISHOP_VAR_DIR"]) / STOP
    stop.unlink(missing_ok=True)
    started = time.perf_counter()
    workers = [start_worker(), start_worker()]
    killed = 0
    try:
        while time.perf_counter() - started < timeout:
            if kill_after is not None and not killed and time.perf_counter() - started > kill_after:
                workers[0].send_signal(signal.SIGKILL)  # mid-batch, whatever it was doing
                workers[0].wait()
                killed = 1
                workers[0] = start_worker()
            if caught_up(last_id):
                break
            time.sleep(0.2)
        return time.perf_counter() - started, killed
    finally:
        stop.touch()
        for process in workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def duplicates() -> dict[str, int]:
    from django.db.models import Count

    from campaigns.models import CampaignRecipient, Enrolment, EnrolmentStep

    def dup(queryset, *fields) -> int:
        return queryset.values(*fields).annotate(n=Count("pk")).filter(n__gt=1).order_by().count()

    return {
        "step passed twice": dup(EnrolmentStep.objects.all(), "enrolment_id", "step_id"),
        "message row twice": dup(CampaignRecipient.objects.all(), "campaign_id", "customer_id", "channel",
                                 "occurrence"),
        "trigger enrolled twice": dup(Enrolment.objects.all(), "journey_id", "trigger_key"),
        "two active at once": dup(Enrolment.objects.filter(status="active"), "journey_id", "customer_id", "thread"),
    }


def figures() -> dict[str, int]:
    from django.db.models import Count

    from campaigns.models import CampaignRecipient, Enrolment

    by_status = dict(Enrolment.objects.values_list("status").annotate(n=Count("pk")).order_by())
    return {"enrolments": sum(by_status.values()), **{f"  {k}": v for k, v in sorted(by_status.items())},
            "messages queued": CampaignRecipient.objects.count()}


def child(args) -> None:
    from django.core.management import call_command
    from django.db import connection

    setup_django()
    call_command("migrate", verbosity=0)
    from customers.models import Customer
    from kernel.models import ConsumerCursor, DomainEvent

    backend = connection.vendor
    rng = random.Random(11)
    t = time.perf_counter()
    cart = world(args.customers)
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    enrolments_bulk(cart, ids)
    print(f"[{backend}] {len(ids):,} customers, {len(ids):,} enrolments waiting, 4 journeys "
          f"({time.perf_counter() - t:.1f} s)", flush=True)
    t = time.perf_counter()
    # the cursor starts after what setup published (the sign-ups of the customers' import: none here)
    ConsumerCursor.objects.update_or_create(consumer=CONSUMER, defaults={
        "last_event_id": DomainEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0})
    last = events_bulk(args.events, ids, rng)
    print(f"[{backend}] {args.events:,} events appended ({time.perf_counter() - t:.1f} s)", flush=True)
    connection.close()
    elapsed, _killed = run_workers(last)
    print(f"[{backend}] two workers: {args.events:,} events in {elapsed:.1f} s = "
          f"{args.events / elapsed:,.0f} events/s (goal 2,000/s on PostgreSQL)", flush=True)
    for name, value in figures().items():
        print(f"[{backend}]   {name}: {value:,}")
    handled_before = ConsumerCursor.objects.get(consumer=CONSUMER).handled
    last = events_bulk(args.kill_events, ids, rng)
    connection.close()
    elapsed, killed = run_workers(last, kill_after=args.kill_after)
    cursor = ConsumerCursor.objects.get(consumer=CONSUMER)
    print(f"[{backend}] kill test: {args.kill_events:,} more events, {killed} worker killed after "
          f"{args.kill_after:.0f} s and started again; done in {elapsed:.1f} s", flush=True)
    print(f"[{backend}]   the consumer handled {cursor.handled - handled_before:,} of {args.kill_events:,} "
          f"events ({'exactly once each' if cursor.handled - handled_before == args.kill_events else 'NOT once'})")
    for name, value in duplicates().items():
        print(f"[{backend}]   {name}: {value}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--kill-events", type=int, default=100_000)
    parser.add_argument("--kill-after", type=float, default=5.0)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--worker", action="store_true")
    args = parser.parse_args()
    if args.worker:
        worker()
        return
    if args.child:
        child(args)
        return
    passed = [a for a in sys.argv[1:] if a not in ("--sqlite-only", "--postgres-only")]
    backends = ["postgresql"] if args.postgres_only else ["sqlite"] if args.sqlite_only else ["postgresql", "sqlite"]
    for backend in backends:
        run_child(script=__file__, args=passed, backend=backend, postgres=args.postgres, prefix="journeys-bench")


if __name__ == "__main__":
    main()
