"""Domain event outbox benchmark: events appended and consumed per second (kernel.events).

    .venv/bin/python bench/outbox.py [--events 20000] [--sqlite-only | --postgres-only]

For SQLite (a throwaway WAL file in a temporary OMNISHOP_VAR_DIR) and for PostgreSQL (a
throwaway database ``outbox_bench_<pid>`` on ``--postgres``, default
postgres://postgres@127.0.0.1:5432, created and dropped here), in a child process each:

1. migrate;
2. append ``--events`` events one per transaction (``publish``, what a service does), then as
   many in bulk (``publish_many``, 500 per transaction); print events/s of each;
3. start ``manage.py qcluster`` with two workers (django-q2, ORM broker on the same database),
   queue one ``events_consume_pending`` task per consumer (two consumers, ``bench.a`` and
   ``bench.b``, declared on this module's AppConfig; each reads every event) and time until
   both cursors reach the last event; print events/s per consumer and for both together;
4. live: ``--publishers`` processes (default 4) append events one per transaction for
   ``--seconds`` (``--batch`` per transaction, paced to ``--rate`` events/s together if given)
   while the two workers consume (concurrent publishers also commit ids out of
   order on PostgreSQL: the consumers' hole rule is exercised); print the append rate, how far
   behind each consumer ended, and whether each consumer handled every event exactly once
   (its count of handled events equals the number of events).

The handlers do no work of their own (the cost measured is the outbox's: read a batch, call
the handler, advance the cursor in the same transaction). Asserts nothing.
"""

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.apps import AppConfig

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.throwaway import run_child  # noqa: E402  (after the path: run as a script)


@dataclass(frozen=True)
class Tick:
    n: int


def _event_types():
    from kernel.events import EventType

    return [EventType("bench.tick", Tick)]


def handle(events) -> None:
    """A consumer that does nothing with its events: the outbox's own cost is what is timed."""


class OutboxBenchConfig(AppConfig):
    name = "bench"
    label = "bench_outbox"
    domain_events = "bench.outbox.EVENT_TYPES"
    event_consumers = {"bench.a": "bench.outbox.handle", "bench.b": "bench.outbox.handle"}


def __getattr__(name):  # EVENT_TYPES without importing the kernel before Django is set up
    if name == "EVENT_TYPES":
        return _event_types()
    raise AttributeError(name)


def consume(consumer: str, until: int, budget: float = 120.0) -> int:
    """The task each worker runs: consume until the cursor reaches ``until`` (or the budget)."""
    from kernel.events import events_consume_pending
    from kernel.models import ConsumerCursor

    deadline, total = time.monotonic() + budget, 0
    while time.monotonic() < deadline:
        total += events_consume_pending(consumer=consumer, budget=deadline - time.monotonic())
        if ConsumerCursor.objects.filter(consumer=consumer, last_event_id__gte=until).exists():
            break
        time.sleep(0.01)
    return total


def child(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django_q.tasks import async_task

    from kernel.events import publish, publish_many
    from kernel.models import ConsumerCursor, DomainEvent

    tick = _event_types()[0]
    call_command("migrate", verbosity=0)
    label = connection.vendor
    n = args.events

    started = time.perf_counter()
    for i in range(n):
        with transaction.atomic():
            publish(tick, payload=Tick(n=i), subject=f"tick:{i}")
    one = n / (time.perf_counter() - started)
    started = time.perf_counter()
    for start in range(0, n, 500):
        with transaction.atomic():
            publish_many(tick, items=[(Tick(n=i), f"tick:{i}") for i in range(start, min(n, start + 500))])
    bulk = n / (time.perf_counter() - started)
    print(f"{label}: append one per transaction {one:,.0f} events/s; bulk (500 per transaction) {bulk:,.0f} events/s")

    connection.close()
    env = {**os.environ, "Q_WORKERS": "2"}
    cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Warm up: the cluster is running once it has run a task.
        async_task("bench.outbox.handle", [], task_name="warm-up")
        from django_q.models import Success

        deadline = time.monotonic() + 60
        while not Success.objects.filter(name="warm-up").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        last = DomainEvent.objects.order_by("-id").values_list("id", flat=True).first()
        total = DomainEvent.objects.count()
        started = time.perf_counter()
        for consumer in ("bench.a", "bench.b"):
            async_task("bench.outbox.consume", consumer, last)
        while ConsumerCursor.objects.filter(last_event_id__gte=last).count() < 2:
            time.sleep(0.01)
        elapsed = time.perf_counter() - started
        print(f"{label}: consume {total:,} events with 2 django-q2 workers, one consumer each: "
              f"{total / elapsed:,.0f} events/s per consumer, {2 * total / elapsed:,.0f} events/s together "
              f"({elapsed:.1f} s, including the task pick-up)")

        # Live: --publishers processes append for --seconds while both consumers follow.
        before = DomainEvent.objects.count()
        for consumer in ("bench.a", "bench.b"):
            async_task("bench.outbox.consume", consumer, 2**62, args.seconds + 15)
        connection.close()
        publishers = [subprocess.Popen([sys.executable, __file__, "--publish", str(args.seconds), "--batch", str(args.batch),
                                       "--rate", str(args.rate / args.publishers)], cwd=ROOT,
                                       env=os.environ, stdout=subprocess.PIPE, text=True)
                      for _ in range(args.publishers)]
        appended = sum(int(p.communicate()[0].split()[-1]) for p in publishers)
        rate = appended / args.seconds  # each publisher appends for --seconds after its own start-up
        last = DomainEvent.objects.order_by("-id").values_list("id", flat=True).first()
        behind = {c.consumer: last - c.last_event_id for c in ConsumerCursor.objects.all()}
        time.sleep(args.grace)
        cursors = ConsumerCursor.objects.all()
        caught = {c.consumer: last - c.last_event_id for c in cursors}
        total = DomainEvent.objects.count()
        exact = {c.consumer: c.handled == total for c in cursors}
        print(f"{label}: live, {args.publishers} publishers ({args.batch} per transaction) appending {rate:,.0f} events/s together "
              f"({appended:,} events in {args.seconds:.0f} s, {before:,} before): behind at the end {behind}, "
              f"{args.grace:.0f} s later {caught}; every event handled exactly once: {exact}")
    finally:
        cluster.terminate()
        try:
            cluster.wait(30)
        except subprocess.TimeoutExpired:
            cluster.kill()


def publish_for(seconds: float, batch: int, rate: float) -> None:
    """A live-phase publisher process: append ``batch`` events per transaction for ``seconds``,
    at ``rate`` events/s (0: as fast as it can)."""
    import django

    django.setup()
    from django.db import transaction

    from kernel.events import publish_many

    tick = _event_types()[0]
    started, i = time.perf_counter(), 0
    while (elapsed := time.perf_counter() - started) < seconds:
        if rate and i > elapsed * rate:
            time.sleep(min(0.005, i / rate - elapsed))
            continue
        with transaction.atomic():
            publish_many(tick, items=[(Tick(n=n), f"tick:{n}") for n in range(i, i + batch)])
        i += batch
    print(i)


def run(args, backend: str) -> None:
    run_child(script=__file__, backend=backend, postgres=args.postgres, prefix="outbox-bench",
              settings_module="bench.outbox_settings",
              args=["--events", str(args.events), "--seconds", str(args.seconds), "--publishers", str(args.publishers),
                    "--grace", str(args.grace), "--batch", str(args.batch), "--rate", str(args.rate)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20000, help="events per append phase (default 20,000)")
    parser.add_argument("--seconds", type=float, default=10, help="length of the live phase (default 10 s)")
    parser.add_argument("--publishers", type=int, default=4, help="publisher processes of the live phase (default 4)")
    parser.add_argument("--grace", type=float, default=12,
                        help="seconds to let the consumers catch up after the live phase (default 12: "
                             "past EVENTS_GAP_GRACE)")
    parser.add_argument("--batch", type=int, default=1, help="events per transaction in the live phase (default 1)")
    parser.add_argument("--rate", type=float, default=0,
                        help="events/s the live publishers aim at together (default 0: as fast as they can)")
    parser.add_argument("--publish", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.publish:
        publish_for(args.publish, args.batch, args.rate)
        return
    if args.child:
        child(args)
        return
    for backend in ("sqlite", "postgresql"):
        if (backend == "sqlite" and args.postgres_only) or (backend == "postgresql" and args.sqlite_only):
            continue
        run(args, backend)


if __name__ == "__main__":
    main()
