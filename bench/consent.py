"""Audience consent check benchmark: how long ``customers.consent.customers_consenting`` (one SQL
query) takes to answer "which of these customers may we email for marketing, now and at time T?"
for a whole customer base, on PostgreSQL and SQLite.

    .venv/bin/python bench/consent.py [--customers 1000000] [--sqlite-customers 100000]
                                      [--repeat 3] [--sqlite-only | --postgres-only]

For PostgreSQL (a throwaway database ``consent_bench_<pid>`` on ``--postgres``, default
postgres://postgres@127.0.0.1:5432, created and dropped here) and SQLite (a throwaway WAL file in
a temporary OMNISHOP_VAR_DIR), in a child process each:

1. migrate; generate ``--customers`` customers and their consent ledger with bulk SQL
   (``INSERT ... SELECT`` over ``generate_series`` / a recursive CTE): about 1.65 ledger rows per
   customer over email/SMS × marketing/analytics, with grants, later withdrawals and re-grants
   spread over 60 days, so the latest row is not the only row;
2. time ``--repeat`` runs of each, printing the best and the median seconds:
   - the count of customers consenting to email marketing now, and at a time T 20 days back;
   - materialising the ids of the whole consenting audience now (what a campaign does);
3. check the answer against an independent query (the latest row per customer by a window
   function) and that each check is exactly one SQL query.

Asserts nothing; prints the figures.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.throwaway import run_child  # noqa: E402  (after the path: run as a script)

CUSTOMER_COLUMNS = ("email, family_name, given_name, family_name_kana, given_name_kana, phone, phone_digits, "
                    "postal_code, prefecture, address, preferred_size, city, gender, language, preferred_channel, "
                    "sizes, interests, search_text, name_key, kana_key, created_at, time_zone")
LEDGER_COLUMNS = "customer_id, channel, purpose, granted, source, source_detail, user_agent, created_at"


def generate(connection, customers: int, base) -> None:
    """Customers and ledger rows by bulk SQL: nothing goes through Python per row."""
    postgres = connection.vendor == "postgresql"
    if postgres:
        series = f"generate_series(1, {customers}) AS s(n)"
        prefix = ""
        json_empty_object, json_empty_list = "'{}'::jsonb", "'[]'::jsonb"
        at = f"TIMESTAMP WITH TIME ZONE '{base.isoformat()}'"

        def minutes(expr: str) -> str:
            return f"{at} + ({expr}) * INTERVAL '1 minute'"
    else:
        prefix = f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {customers}) "
        series = "s"
        json_empty_object, json_empty_list = "'{}'", "'[]'"

        def minutes(expr: str) -> str:
            return f"strftime('%Y-%m-%d %H:%M:%f', '{base.strftime('%Y-%m-%d %H:%M:%S')}', '+' || ({expr}) || ' minutes')"
    cursor = connection.cursor()
    cursor.execute(
        f"{prefix}INSERT INTO customers_customer ({CUSTOMER_COLUMNS}) "
        f"SELECT 'c' || n || '@bench.example.jp', '顧客', '' || n, 'コキャク', '', '', '', '', '', '', '', '', '', '', '', "
        f"{json_empty_object}, {json_empty_list}, 'c' || n, '', '', {minutes('0')}, '' FROM {series}")
    # every decision is a ledger row: (which customers, channel, purpose, granted, minute offset)
    passes = [
        ("c.id % 10 < 7", "email", "marketing", "(c.id % 10 < 5)", "c.id % 1440"),           # first decision
        ("c.id % 4 = 0", "email", "marketing", "(c.id % 8 = 4)", "20000 + c.id % 1440"),       # later change
        ("c.id % 10 < 3", "sms", "marketing", "(c.id % 2 = 0)", "c.id % 2000"),
        ("c.id % 10 >= 6", "email", "analytics", "TRUE", "5000 + c.id % 3000"),
        ("c.id % 20 = 7", "email", "marketing", "TRUE", "40000 + c.id % 1440"),                # re-grant
    ]
    for where, channel, purpose, granted, offset in passes:
        true_false = granted if postgres else f"CASE WHEN {granted.replace('TRUE', '1=1')} THEN 1 ELSE 0 END"
        cursor.execute(
            f"INSERT INTO customers_consentrecord ({LEDGER_COLUMNS}) "
            f"SELECT c.id, '{channel}', '{purpose}', {true_false}, 'import', 'bench', '', {minutes(offset)} "
            f"FROM customers_customer c WHERE {where}")
    cursor.execute("ANALYZE")


def child(args) -> None:
    import django

    django.setup()
    from datetime import UTC, datetime, timedelta

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from customers import consent
    from customers.models import ConsentRecord, Customer

    call_command("migrate", verbosity=0)
    size = args.customers
    print(f"{connection.vendor}: {connection.settings_dict['NAME']}, {size:,} customers")
    base = datetime(2026, 9, 1, tzinfo=UTC)
    started = time.perf_counter()
    with transaction.atomic():
        generate(connection, size, base)
    print(f"  generated {Customer.objects.count():,} customers and {ConsentRecord.objects.count():,} ledger rows "
          f"in {time.perf_counter() - started:.1f} s (bulk SQL)")
    moment = base + timedelta(days=20)

    def timed(label: str, call):
        runs, result = [], None
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = call()
            runs.append(time.perf_counter() - start)
        with CaptureQueriesContext(connection) as queries:
            call()
        print(f"  {label:<62} best {min(runs):6.2f} s   median {statistics.median(runs):6.2f} s   "
              f"({len(queries)} query)")
        return result

    now_count = timed("count consenting to email marketing now",
                      lambda: consent.customers_consenting(channel="email", purpose="marketing").count())
    then_count = timed("count consenting to email marketing at T (20 days in)",
                       lambda: consent.customers_consenting(channel="email", purpose="marketing", at=moment).count())
    ids = timed("ids of the whole consenting audience now (list)",
                lambda: list(consent.customers_consenting(channel="email", purpose="marketing")
                             .values_list("pk", flat=True)))

    def independent(at) -> int:
        condition = "AND created_at <= %s" if at else ""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM (SELECT granted, ROW_NUMBER() OVER (PARTITION BY customer_id "
                "ORDER BY created_at DESC, id DESC) AS rn FROM customers_consentrecord "
                f"WHERE channel = 'email' AND purpose = 'marketing' {condition}) AS latest "
                "WHERE rn = 1 AND granted", [at] if at else [])
            return cursor.fetchone()[0]

    check_now, check_then = independent(None), independent(moment)
    print(f"  consenting now {now_count:,} (window-function check {check_now:,}), at T {then_count:,} "
          f"(check {check_then:,}); ids listed {len(ids):,}")
    if (now_count, then_count, len(ids)) != (check_now, check_then, check_now):
        print("  MISMATCH")


def run(args, backend: str) -> None:
    customers = args.customers if backend == "postgresql" else args.sqlite_customers
    run_child(script=__file__, backend=backend, postgres=args.postgres, prefix="consent-bench",
              args=["--customers", str(customers), "--repeat", str(args.repeat)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="PostgreSQL customers (default 1,000,000)")
    parser.add_argument("--sqlite-customers", type=int, default=100_000, help="SQLite customers (default 100,000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each check (default 3)")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    for backend in ("sqlite", "postgresql"):
        if (backend == "sqlite" and args.postgres_only) or (backend == "postgresql" and args.sqlite_only):
            continue
        run(args, backend)


if __name__ == "__main__":
    main()
