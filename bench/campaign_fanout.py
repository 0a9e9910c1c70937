"""Campaign fan-out benchmark (issue 9, "Speed"): recipients enqueued per second for a campaign to
a 1,000,000-customer segment.

    .venv/bin/python bench/campaign_fanout.py [--customers 1000000]
        [--database-url postgres://postgres@127.0.0.1:5432[/db]] [--redis [URL]]

In a child process with a throwaway database (SQLite: a WAL file in a temporary OMNISHOP_VAR_DIR;
``--database-url`` with a server only: a database ``campaign_fanout_<pid>`` created there and
dropped afterwards; with a database name: that database, as is):

1. migrate; the demo brand kit, two HQ marketers and three stores through the services; then
   ``--customers`` customers and one email marketing opt-in each with set-based SQL, as
   bench/segments.py builds its population (``INSERT … SELECT`` over ``generate_series`` on
   PostgreSQL, a recursive CTE on SQLite; 80 % with a favourite store), then ``VACUUM ANALYZE`` /
   ``ANALYZE``;
2. a dynamic segment "email marketing opt-in now" over them, and a campaign with one email
   message written, submitted, approved and started through ``campaigns.services`` (its fan-out
   task is queued; no worker runs);
3. times what the fan-out task (``campaigns.sending.campaign_fan_out``) does, step by step:
   ``recipients_materialise`` (one ``INSERT … SELECT`` of the audience), ``batch_bounds`` (the
   (first, last) id of every batch of 500, one query) and enqueueing one ``campaign_send_batch``
   task per batch (django-q2 ``async_task``: the ORM broker on the same database, or Redis with
   ``--redis``); prints each and recipients enqueued per second for the three together (goal
   ≥ 5,000/s). Asserts nothing.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.campaign_send import campaign_ready, launch, load_average, marketers, opt_in_segment, stores  # noqa: E402

CUSTOMER_COLUMNS = ("email, family_name, given_name, family_name_kana, given_name_kana, phone, phone_digits, "
                    "postal_code, prefecture, address, favourite_location_id, preferred_size, city, gender, language, "
                    "preferred_channel, sizes, interests, search_text, name_key, kana_key, created_at, time_zone")


def population(connection, n: int, store_ids: list[int]) -> None:
    """``n`` customers (Tokyo, Japanese, 80 % with a favourite store) and an email marketing opt-in
    each, a day old: set-based SQL, nothing per row in Python."""
    pg = connection.vendor == "postgresql"
    if pg:
        prefix, series = "", f"generate_series(CAST(1 AS BIGINT), {int(n)}) AS s(g)"
        yesterday, true = "now() - INTERVAL '1 day'", "TRUE"
    else:
        prefix = f"WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {int(n)}) "
        series = "s"
        yesterday, true = "strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 day')", "1"
    store = "CASE g % 5 WHEN 0 THEN NULL " + " ".join(
        f"WHEN {i + 1} THEN {pk}" for i, pk in enumerate(store_ids)) + f" ELSE {store_ids[0]} END"
    with connection.cursor() as cursor:
        cursor.execute(f"""{prefix}INSERT INTO customers_customer ({CUSTOMER_COLUMNS})
            SELECT 'c' || g || '@bench.example.jp', '山田', '花子', 'ヤマダ', 'ハナコ', '', '', '', '13', '', {store},
                   '', '', '', 'ja', '', '{{}}', '[]', 'c' || g, '', '', {yesterday}, ''
            FROM {series}""")  # noqa: S608  (integers and constants only)
        cursor.execute(f"""INSERT INTO customers_consentrecord (customer_id, channel, purpose, granted, source,
                source_detail, user_agent, created_at)
            SELECT id, 'email', 'marketing', {true}, 'import', 'bench', '', {yesterday} FROM customers_customer""")  # noqa: S608
        cursor.execute("VACUUM ANALYZE" if pg else "ANALYZE")


def child(args) -> None:
    import django

    django.setup()
    import logging

    logging.getLogger("django-q").setLevel(logging.WARNING)  # not one line per task enqueued
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from brandkit.services import brandkit_seed_default
    from campaigns import sending, services
    from campaigns.models import CampaignRecipient

    call_command("migrate", verbosity=0)
    broker = "Redis" if settings.Q_CLUSTER.get("redis") else "ORM broker"
    n = args.customers
    print(f"{connection.vendor} ({connection.settings_dict['NAME']}), django-q2 {broker}, {n:,} customers; "
          f"load average {load_average()}", flush=True)
    brandkit_seed_default()
    author, approver = marketers()
    started = time.perf_counter()
    population(connection, n, [store.pk for store in stores()])
    print(f"  population built in {time.perf_counter() - started:.1f} s", flush=True)
    segment = opt_in_segment()
    campaign = campaign_ready(name="秋の新作 (配信準備)", segment=segment, author=author, approver=approver)
    services.campaign_start(campaign=campaign, acting_user=approver)  # queues its fan-out task; no worker runs

    timings = {}
    started = time.perf_counter()
    total = sending.recipients_materialise(campaign)
    timings["recipients_materialise (INSERT … SELECT)"] = time.perf_counter() - started
    started = time.perf_counter()
    bounds = sending.batch_bounds(campaign.pk)
    timings[f"batch_bounds ({len(bounds):,} batches of {sending.BATCH})"] = time.perf_counter() - started
    started = time.perf_counter()
    sending._enqueue_batches(campaign.pk, bounds)  # what campaign_fan_out does next
    timings[f"enqueue {len(bounds):,} campaign_send_batch tasks ({broker})"] = time.perf_counter() - started
    for label, seconds in timings.items():
        print(f"  {label:<58} {seconds:8.2f} s", flush=True)
    elapsed = sum(timings.values())
    in_batches = sum(CampaignRecipient.objects.filter(campaign=campaign, pk__gte=first, pk__lte=last).count()
                     for first, last in bounds[:3]) if bounds else 0
    queued = queue_size()
    print(f"  {total:,} recipients materialised, {len(bounds):,} batches enqueued in {elapsed:.2f} s: "
          f"{total / elapsed:,.0f} recipients enqueued per second (goal ≥ 5,000/s); "
          f"first three batches hold {in_batches:,}; tasks in the queue {queued}; load average {load_average()}",
          flush=True)
    if settings.Q_CLUSTER.get("redis"):  # the database goes away; a Redis queue would stay
        from django_q.brokers import get_broker

        get_broker().delete_queue()


def queue_size() -> str:
    from django_q.brokers import get_broker

    try:
        return f"{get_broker().queue_size():,}"
    except Exception as exc:  # noqa: BLE001  (a figure, not a check)
        return f"? ({type(exc).__name__})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers in the segment (1,000,000)")
    parser.add_argument("--database-url", default="",
                        help="PostgreSQL: a server URL (a throwaway database is created and dropped) or a "
                             "database to use as is; default SQLite in a temporary directory")
    parser.add_argument("--redis", nargs="?", const="redis://127.0.0.1:6379/9", default=os.environ.get("REDIS_URL", ""),
                        help="django-q2 on Redis (default URL redis://127.0.0.1:6379/9; REDIS_URL is used if set)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    launch(script=__file__, args=["--customers", str(args.customers)], database_url=args.database_url,
           redis_url=args.redis, prefix="campaign-fanout")


if __name__ == "__main__":
    main()
