"""Attribution benchmark: all six models over N touchpoints and M orders (the issue's goal:
1,000,000 touchpoints and 100,000 orders in at most 60 s).

    .venv/bin/python bench/attribution.py [--touches 1000000] [--orders 100000] [--customers 200000]
        [--campaigns 40] [--days 90] [--window 30] [--anchor 2026-11-30T12:00:00+09:00]
        [--sqlite-only | --postgres-only]

For each backend, in a child process with a throwaway database (bench.throwaway):

1. migrate; ``--campaigns`` campaigns; ``--customers`` customers, ``--orders`` orders spread over
   ``--days`` days (drawn at random over the customers), and
   ``--touches`` customer events spread over the same days plus the window: campaign emails sent,
   opened (1 in 10 by a machine, which never counts) and clicked, SMS and LINE clicks, on-site
   clicks, postcard and POP QR scans, coupon redemptions, store visits and ad visits with UTM.
   Rows are written with ``bulk_create`` (the bench's only shortcut; orders get their time from
   the draw instead of ``auto_now_add``);
2. times ``campaigns.attribution.conversions_read`` (the two streamed queries and the path
   building) and ``attribution_report`` (all six models per channel and per campaign, the costs);
3. prints the figures and the size of the paths.

Asserts nothing. Deterministic: seed 11 and a fixed ``--anchor`` instant that every drawn time is
counted back from and whose local date ends the range. (Until 2026-12-01 the anchor was the wall
clock when each backend's child started: the PostgreSQL child, started minutes after the SQLite
one, got every row shifted by those minutes against the same midnight boundary, so a touch or an
order near the range's start fell on the other side of it: 118,372 non-converting paths on SQLite
against 118,371 on PostgreSQL at full scale. Not a backend difference: the two runs read
different data. tests/campaigns/test_attribution_bench_data.py holds the bench to it.)
"""

import argparse
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.throwaway import run_child  # noqa: E402  (after the path: run as a script)

BATCH = 10_000
ANCHOR = "2026-11-30T12:00:00+09:00"


def anchor_of(args) -> datetime:
    """The instant every drawn time is counted back from (``--anchor``): fixed, so two runs (one
    per backend, minutes apart) build the same rows against the same range."""
    return datetime.fromisoformat(args.anchor)


def params_of(args):
    """The report's range: the ``--days`` up to the anchor's local date."""
    from django.utils import timezone

    from campaigns import attribution

    last = timezone.localdate(anchor_of(args))
    return attribution.params_validate(start=last - timedelta(days=args.days), end=last,
                                       window_days=args.window, half_life_days=7)


def build(args) -> None:
    """Customers, orders, touches and costs, drawn from seed 11 back from the anchor."""
    from django.db import transaction
    from django.utils import timezone

    from campaigns.models import Campaign, ChannelCost
    from customers.models import Customer, CustomerEvent, EventKind
    from kernel import channels
    from orders.models import Order

    rng = random.Random(11)
    web = channels.web_channel()
    campaign_ids = [Campaign.objects.create(name=f"ベンチ {i}").pk for i in range(args.campaigns)]
    now = anchor_of(args)
    span = args.days * 86400
    with transaction.atomic():
        Customer.objects.bulk_create([Customer(family_name="ベンチ", given_name=str(i)) for i in range(args.customers)],
                                     batch_size=BATCH)
    customer_ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    field = Order._meta.get_field("created_at")
    field.auto_now_add = False  # the bench's orders keep their drawn time
    try:
        with transaction.atomic():
            Order.objects.bulk_create([
                Order(number=f"B{i:09d}", channel=web, customer_id=rng.choice(customer_ids),
                      total=rng.randrange(1000, 30000, 100), created_at=now - timedelta(seconds=rng.randrange(span)))
                for i in range(args.orders)], batch_size=BATCH)
    finally:
        field.auto_now_add = True
    kinds = [  # (kind, data channel, weight)
        (EventKind.EMAIL_SENT, "email", 30), (EventKind.EMAIL_OPENED, "email", 15), (EventKind.EMAIL_CLICKED, "email", 6),
        (EventKind.SMS_SENT, "sms", 6), (EventKind.SMS_CLICKED, "sms", 3), (EventKind.SMS_SENT, "line", 6),
        (EventKind.LINE_CLICKED, "line", 3), (EventKind.ONSITE_CLICKED, "onsite", 5),
        (EventKind.QR_SCANNED, "postcard", 3), (EventKind.QR_SCANNED, "pop", 2), (EventKind.COUPON_REDEEMED, "", 2),
        (EventKind.STORE_VISIT, "", 9), (EventKind.PAGE_VIEWED, "", 10)]
    population, weights = kinds, [w for _k, _c, w in kinds]
    total_span = span + args.window * 86400
    written = 0
    while written < args.touches:
        rows = []
        for _ in range(min(BATCH, args.touches - written)):
            kind, channel, _w = rng.choices(population, weights)[0]
            event = CustomerEvent(customer_id=rng.choice(customer_ids), kind=kind,
                                  occurred_at=now - timedelta(seconds=rng.randrange(total_span)))
            if kind == EventKind.PAGE_VIEWED:
                event.utm_source, event.utm_medium = rng.choice((("google", "cpc"), ("instagram", "social")))
                event.utm_campaign = rng.choice(("winter", "spring", "brand"))
            elif kind == EventKind.STORE_VISIT:
                event.interaction = "store"
            else:
                event.data = {"campaign": rng.choice(campaign_ids), "channel": channel}
                if kind == EventKind.EMAIL_OPENED and rng.random() < 0.1:
                    event.data["machine"] = True
            rows.append(event)
        with transaction.atomic():
            CustomerEvent.objects.bulk_create(rows, batch_size=BATCH)
        written += len(rows)
    month = timezone.localdate(now).replace(day=1)
    for channel in ("email", "sms", "line", "dm", "ads"):
        ChannelCost.objects.create(month=month, channel=channel, amount=rng.randrange(100_000, 1_000_000))


def paths_digest(conversions, lost) -> str:
    """A short digest of every path (times, revenue, touch channels and campaigns by name order):
    two backends that read the same rows print the same."""
    import hashlib

    digest = hashlib.sha256()
    for conversion in sorted(conversions, key=lambda c: (c.at, c.revenue, c.touches)):
        digest.update(repr((conversion.at.timestamp(), conversion.revenue,
                            [(t.at.timestamp(), t.channel) for t in conversion.touches])).encode())
    for path in sorted(lost, key=lambda p: [(t.at, t.channel) for t in p]):
        digest.update(repr([(t.at.timestamp(), t.channel) for t in path]).encode())
    return digest.hexdigest()[:16]


def child(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from campaigns import attribution

    call_command("migrate", verbosity=0)
    print(f"{connection.vendor}: touches {args.touches:,}, orders {args.orders:,}, customers {args.customers:,}, "
          f"campaigns {args.campaigns}, {args.days} days, window {args.window} days, anchor {args.anchor}",
          flush=True)
    started = time.perf_counter()
    build(args)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"  built in {time.perf_counter() - started:.1f} s", flush=True)

    params = params_of(args)
    started = time.perf_counter()
    conversions, lost = attribution.conversions_read(params)
    read = time.perf_counter() - started
    touches = sum(len(c.touches) for c in conversions)
    print(f"  paths read (2 queries + merge)              {read:8.3f} s   orders {len(conversions):,}, "
          f"touches on paths {touches:,}, non-converting paths {len(lost):,}", flush=True)
    print(f"  paths digest {paths_digest(conversions, lost)} (the same on both backends: the same rows)", flush=True)
    started = time.perf_counter()
    report = attribution.attribution_report(params)
    total = time.perf_counter() - started
    print(f"  attribution_report, six models x (channel, campaign)  {total:8.3f} s", flush=True)
    for row in report.channels:
        cells = "  ".join(f"{m[:5]} {row.credits[m].conversions:9.1f}" for m in attribution.MODELS)
        print(f"    {row.key:<7} {cells}", flush=True)


def run(args, backend: str) -> None:
    run_child(script=__file__, backend=backend, postgres=args.postgres, prefix="attribution-bench",
              args=["--touches", str(args.touches), "--orders", str(args.orders), "--customers", str(args.customers),
                    "--campaigns", str(args.campaigns), "--days", str(args.days), "--window", str(args.window),
                    "--anchor", args.anchor])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--touches", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--campaigns", type=int, default=40)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--window", type=int, default=30)
    parser.add_argument("--anchor", default=ANCHOR, help="The instant the drawn times count back from (ISO 8601).")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if not args.postgres_only:
        run(args, "sqlite")
    if not args.sqlite_only:
        run(args, "postgresql")


if __name__ == "__main__":
    main()
