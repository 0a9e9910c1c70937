"""HQ's report pages benchmark (issue 11, "Speed"): median and p95 milliseconds and the query count
of each report page (campaigns.reports through the console views) over a year of demo data. Goal:
median ≤ 300 ms per page at demo scale, the query count the same whatever the data.

    .venv/bin/python bench/reports.py [--customers 2000] [--days 365] [--requests 30]
        [--database-url postgres://postgres@127.0.0.1:5432[/db]]

In a child process with a throwaway database (SQLite in a temporary OMNISHOP_VAR_DIR, or a database
created on the PostgreSQL server named and dropped afterwards: bench.campaign_send.launch):

1. migrate, then the demo shop (``seed_demo --customers N --days D``: orders of every channel and
   store over D days through the import services, pickups made ready and collected, a campaign);
2. signs in as the demo's HQ marketer (Django's test client) and, for each page, first counts the
   queries of one request over the last 28 days and over the whole year (they must be equal), then
   times ``--requests`` requests over the year: the sales report, the pickup and fulfilment times,
   the campaign performance, the engagement by segment and message type, and the sales report's CSV;
3. prints median / p95 ms (wall clock, test client, DEBUG off) and the queries per page.

Asserts nothing.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.campaign_send import launch, load_average  # noqa: E402  (after the path: run as a script)

PAGES = [("sales", "console:report_sales", ""), ("fulfilment times", "console:report_fulfilment", ""),
         ("campaign performance", "console:report_performance", ""),
         ("engagement by segment", "console:report_engagement", ""),
         ("sales CSV", "console:report_sales", "&format=csv")]


def child(options) -> None:
    import django

    django.setup()
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from campaigns.reports import shop_zone
    from orders.models import Order

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", customers=options.customers, days=options.days, verbosity=0)
    print(f"built in {time.perf_counter() - started:.0f} s: {Order.objects.count():,} orders over "
          f"{options.days} days, {options.customers:,} customers ({connection.vendor}); load {load_average()}")
    client = Client()
    client.force_login(get_user_model().objects.get(email="hq@demo.omnishop.jp"))
    today = timezone.now().astimezone(shop_zone()).date()
    year = f"?start={today - timedelta(days=options.days - 1)}&end={today}"
    month = f"?start={today - timedelta(days=27)}&end={today}"
    for label, name, extra in PAGES:
        url = reverse(name)
        client.get(url + month + extra)  # warm
        counts = []
        for query in (month, year):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url + query + extra)
            assert response.status_code == 200, (url, response.status_code)
            counts.append(len(captured.captured_queries))
        samples = []
        for _ in range(options.requests):
            begin = time.perf_counter()
            client.get(url + year + extra)
            samples.append((time.perf_counter() - begin) * 1000)
        ordered = sorted(samples)
        p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
        print(f"  {label:<22} median {statistics.median(samples):7.1f} ms  p95 {p95:7.1f} ms"
              f"  | queries: {counts[0]} over 28 days, {counts[1]} over {options.days} days")
    print(f"load {load_average()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options)
        return
    args = ["--customers", str(options.customers), "--days", str(options.days), "--requests", str(options.requests)]
    launch(script=__file__, args=args, database_url=options.database_url, redis_url="", prefix="bench-reports")


if __name__ == "__main__":
    main()
