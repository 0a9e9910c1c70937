"""Segments benchmark: count and materialise a four-rule segment and recompute RFM for everyone,
on PostgreSQL (1,000,000 customers, 20,000,000 events by default) and on SQLite (100,000).

    .venv/bin/python bench/segments.py [--customers 1000000] [--events-per-customer 20]
        [--orders-per-customer 1.5] [--sqlite-customers 100000] [--sqlite-only | --postgres-only]
        [--explain]

For each backend, in a child process with a throwaway database (PostgreSQL: ``segments_bench_<pid>``
on ``--postgres``, created and dropped here; SQLite: a WAL file in a temporary OMNISHOP_VAR_DIR):

1. migrate; one store and 50 products in 10 categories through ``inventory.services``;
2. generate the data with set-based SQL (``INSERT ... SELECT`` over ``generate_series`` on
   PostgreSQL, a recursive CTE on SQLite; the orders tables are written with raw SQL here only):
   customers (a quarter in Tokyo, birthdays, genders), orders over three years for 60% of them
   (one fulfilment and one line each, 5% cancelled), events of eight kinds over a year, and an
   email-marketing consent ledger (70% opt in, every ninth customer later opts out); ANALYZE;
3. time ``scores_recompute`` (RFM + historic CLV for everyone, one SQL statement);
4. define the segment "RFM champions/loyal/potential loyalists AND lives in Tokyo, Kanagawa,
   Saitama or Chiba AND bought in category cat-3 in the last 90 days AND email marketing opt-in
   now" and time its count (three runs), fetching every member id into Python, and a snapshot
   that keeps its members (one ``INSERT ... SELECT``);
5. print the figures (``--explain`` also prints PostgreSQL's plan of the count).

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

from bench.throwaway import run_child  # noqa: E402  (after the path: run as a script)

KINDS = ["product_viewed", "cart_added", "email_sent", "email_opened", "store_visit", "order_placed",
         "email_clicked", "product_viewed"]


def timed(label: str, call, runs: int = 1):
    samples, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        samples.append(time.perf_counter() - started)
    shown = " / ".join(f"{s:.3f}" for s in samples)
    extra = f"  (median {statistics.median(samples):.3f} s)" if runs > 1 else ""
    print(f"  {label:<62} {shown} s{extra}", flush=True)
    return result


def child(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from customers import scores, segments
    from customers.models import Customer
    from inventory import services as inventory
    from inventory.services import VariantIn
    from kernel import channels

    call_command("migrate", verbosity=0)
    pg = connection.vendor == "postgresql"
    n = args.customers
    print(f"{connection.vendor}: {connection.settings_dict['NAME']}  customers {n:,}, "
          f"events {n * args.events_per_customer:,}, orders ~{int(n * args.orders_per_customer):,}", flush=True)
    store = inventory.location_create(code="bench-store", name="ベンチ店", kind="store", prefecture="13",
                                      offers_pickup=True)
    web = channels.web_channel()
    for index in range(50):
        inventory.product_create(code=f"bench-{index}", name=f"ベンチ商品{index}", category=f"cat-{index % 10}",
                                 variants=[VariantIn(sku=f"B-{index}", barcode=jan(index), price=3000)])
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id), COUNT(*) FROM inventory_variant")
        vmin, vcount = cursor.fetchone()

    def series(count: int) -> tuple[str, str]:
        """(WITH prefix, FROM clause) of the integers 1..count as column g."""
        if pg:
            return "", f"generate_series(CAST(1 AS BIGINT), {int(count)}) AS s(g)"
        return f"WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {int(count)}) ", "s"

    def ago(days_expr: str, seconds_expr: str) -> str:
        if pg:
            return f"(now() - ({days_expr}) * INTERVAL '1 day' - ({seconds_expr}) * INTERVAL '1 second')"
        return f"datetime('now', '-' || ({days_expr}) || ' days', '-' || ({seconds_expr}) || ' seconds')"

    def rnd(k) -> str:
        """A random integer in [0, k): the generated rows are independent of each other."""
        return f"CAST(floor(random() * {k}) AS BIGINT)" if pg else f"(abs(random()) % {k})"

    def two_digits(expr: str) -> str:
        return f"lpad(CAST({expr} AS TEXT), 2, '0')" if pg else f"substr('0' || ({expr}), -2)"

    birthday = ("(DATE '1950-01-01' + CAST((g * 37) % 20000 AS INTEGER))" if pg
                else "date('1950-01-01', '+' || ((g * 37) % 20000) || ' days')")

    def secondary_indexes(table: str) -> list[tuple[str, str]]:
        """(name, CREATE statement) of the table's indexes that back no constraint."""
        with connection.cursor() as cursor:
            if pg:
                cursor.execute("""SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
                    JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
                    WHERE t.relname = %s AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)""",
                               [table])
            else:
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                               "AND sql IS NOT NULL", [table])
            return cursor.fetchall()

    class bulk_load:
        """Load ``tables`` the way a bulk import does: their secondary indexes dropped and rebuilt
        after (timed apart), and on PostgreSQL the foreign-key triggers off for this session
        (``session_replication_role = replica``; the generated keys are valid by construction)."""

        def __init__(self, *tables):
            self.indexes = [index for table in tables for index in secondary_indexes(table)]

        def __enter__(self):
            with connection.cursor() as cursor:
                for name, _sql in self.indexes:
                    cursor.execute(f'DROP INDEX "{name}"')
                if pg:
                    cursor.execute("SET session_replication_role = replica")

        def __exit__(self, *exc):
            def rebuild():
                with connection.cursor() as cursor:
                    if pg:
                        cursor.execute("SET session_replication_role = DEFAULT")
                        cursor.execute("SET maintenance_work_mem = '256MB'")
                    for _name, sql in self.indexes:
                        cursor.execute(sql)
            timed(f"  rebuild {len(self.indexes)} indexes", rebuild)

    def run(label: str, sql: str) -> None:
        def go():
            with connection.cursor() as cursor:
                cursor.execute(sql)
        timed(label, go)

    w, f = series(n)
    run(f"generate {n:,} customers", f"""{w}
        INSERT INTO customers_customer (email, family_name, given_name, family_name_kana, given_name_kana, phone,
            phone_digits, postal_code, prefecture, address, preferred_size, city, birthday, gender, language,
            preferred_channel, sizes, interests, search_text, name_key, kana_key, created_at, time_zone)
        SELECT 'c' || g || '@bench.example', 'ベンチ', '', '', '', '', '', '',
               CASE WHEN g % 4 = 0 THEN '13' ELSE {two_digits("1 + " + rnd(47))} END, '', '', '',
               {birthday}, CASE g % 3 WHEN 0 THEN 'female' WHEN 1 THEN 'male' ELSE '' END, '', '', '{{}}', '[]', '',
               '', '', {ago("g % 1000", "0")}, ''
        FROM {f}""")
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id) FROM customers_customer")
        cmin = cursor.fetchone()[0]
    buyers = int(n * 0.6)
    n_orders = int(n * args.orders_per_customer)
    orders_load = bulk_load("orders_order", "orders_fulfillment", "orders_orderline")
    orders_load.__enter__()
    w, f = series(n_orders)
    # customer of order g: skewed towards the first buyers (repeat customers), spread over 60%
    # customer of an order: squaring a uniform number favours the first buyers (repeat customers)
    customer = (f"{cmin} + CAST(floor(power(random(), 2) * {buyers}) AS BIGINT)" if pg
                else f"{cmin} + ((abs(random()) % {buyers}) * (abs(random()) % {buyers})) / {buyers}")
    run(f"generate {n_orders:,} orders", f"""{w}
        INSERT INTO orders_order (number, channel_id, customer_id, status, email, name, phone, phone_digits,
            search_text, currency, total, payment_method, payment_status, created_at, discount_total, shipping_fee,
            shipping_discount)
        SELECT 'B' || g, {web.pk}, {customer}, CASE WHEN g % 20 = 0 THEN 'cancelled' ELSE 'completed' END,
               '', '', '', '', '', 'JPY', 1000 + (g * 37) % 20000, 'card', 'paid',
               {ago(rnd(1095), rnd(86400))}, 0, 0, 0
        FROM {f}""")
    run("  + one fulfilment each", f"""
        INSERT INTO orders_fulfillment (order_id, method, location_id, status, pickup_code, address, carrier,
            tracking_number)
        SELECT id, 'pickup', {store.pk}, 'collected', '', '{{}}', '', '' FROM orders_order""")
    run("  + one line each", f"""
        INSERT INTO orders_orderline (order_id, fulfillment_id, variant_id, sku, product_name, variant_label,
            quantity, unit_price, tax_rate, line_total, discount, discount_reason)
        SELECT o.id, fu.id, v.id, v.sku, 'ベンチ商品', '', 1, 3000, 10, 3000, 0, ''
        FROM orders_order o JOIN orders_fulfillment fu ON fu.order_id = o.id
        JOIN inventory_variant v ON v.id = {vmin} + (o.id * 7919 + o.customer_id * 31) % {vcount}""")
    orders_load.__exit__(None, None, None)
    kind = "CASE g % 8 " + " ".join(f"WHEN {i} THEN '{k}'" for i, k in enumerate(KINDS)) + " END"
    total_events = n * args.events_per_customer
    chunk = 2_000_000
    started = time.perf_counter()
    events_load = bulk_load("customers_customerevent")
    events_load.__enter__()
    for offset in range(0, total_events, chunk):
        size = min(chunk, total_events - offset)
        w, f = series(size)
        with connection.cursor() as cursor:
            cursor.execute(f"""{w}
                INSERT INTO customers_customerevent (customer_id, kind, occurred_at, channel_id, subject, data,
                    browser_id, interaction, campaign, utm_source, utm_medium, utm_campaign, utm_content, utm_term)
                SELECT {cmin} + {rnd(n)}, {kind},
                       {ago(rnd(365), rnd(86400))},
                       CASE WHEN g % 3 = 0 THEN NULL ELSE {web.pk} END, '', '{{}}', '', '', '', '', '', '', '', ''
                FROM {f}""")
        print(f"    events {offset + size:,} / {total_events:,}  ({time.perf_counter() - started:.0f} s)",
              flush=True)
    events_load.__exit__(None, None, None)
    w, f = series(n)
    run(f"generate the consent ledger ({n:,} + {n // 9:,} rows)", f"""{w}
        INSERT INTO customers_consentrecord (customer_id, channel, purpose, granted, source, source_detail, user_agent,
            created_at)
        SELECT {cmin} + g - 1, 'email', 'marketing', {rnd(10)} < 7, 'bench', '', '', {ago("400 + g % 500", "0")}
        FROM {f}""")
    run("  + later opt-outs", f"""
        INSERT INTO customers_consentrecord (customer_id, channel, purpose, granted, source, source_detail, user_agent,
            created_at)
        SELECT id, 'email', 'marketing', {"false" if pg else "0"}, 'bench', '', '', {ago("(id % 300)", "0")}
        FROM customers_customer WHERE {rnd(9)} = 0""")
    # what autovacuum does on a live database after a load: statistics and the visibility map
    # (index-only scans); SQLite: statistics
    run("VACUUM ANALYZE" if pg else "ANALYZE", "VACUUM ANALYZE" if pg else "ANALYZE")

    run_ = timed("RFM + historic CLV recompute for everyone (scores_recompute)", scores.scores_recompute)
    print(f"    {run_.customers:,} customers scored")
    run("VACUUM ANALYZE (scores)" if pg else "ANALYZE (scores)", "VACUUM ANALYZE" if pg else "ANALYZE")
    segment = segments.segment_create(name="bench", rules={"match": "all", "groups": [{"match": "all", "conditions": [
        {"field": "rfm_segment", "operator": "in", "value": ["champions", "loyal", "potential_loyalists"]},
        {"field": "prefecture", "operator": "in", "value": ["13", "14", "11", "12"]},
        {"field": "bought_category", "operator": "in_last_days", "value": "cat-3", "days": 90},
        {"field": "consent", "operator": "granted", "value": "email", "purpose": "marketing"}]}]})
    members = segments.segment_customers(segment)
    for condition in segment.rules["groups"][0]["conditions"]:
        alone = segments.rules_customers({"match": "all", "groups": [{"match": "all", "conditions": [condition]}]})
        print(f"    rule {condition['field']:<16} alone: {alone.count():>9,} customers")
    if args.explain and pg:
        sql, params = members.order_by().values("id").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN ANALYZE SELECT COUNT(*) FROM ({sql}) m", params)
            print("\n".join("    " + row[0] for row in cursor.fetchall()))
    count = timed("count of the four-rule segment", lambda: members.count(), runs=3)
    print(f"    {count:,} members")
    ids = timed("materialise its members (every id into Python)",
                lambda: list(members.order_by().values_list("pk", flat=True)))
    snapshot = timed("snapshot keeping its members (INSERT ... SELECT)",
                     lambda: segments.segment_snapshot_take(segment=segment, with_members=True))
    print(f"    {len(ids):,} ids, snapshot of {snapshot.count:,}; customers in the table: "
          f"{Customer.objects.count():,}")


def jan(number: int) -> str:
    body = f"49{number:010d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def run(args, backend: str) -> None:
    customers = args.customers if backend == "postgresql" else args.sqlite_customers
    run_child(script=__file__, backend=backend, postgres=args.postgres, prefix="segments-bench",
              args=["--customers", str(customers), "--events-per-customer", str(args.events_per_customer),
                    "--orders-per-customer", str(args.orders_per_customer), *(["--explain"] if args.explain else [])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="PostgreSQL customers (default 1,000,000)")
    parser.add_argument("--sqlite-customers", type=int, default=100_000, help="SQLite customers (default 100,000)")
    parser.add_argument("--events-per-customer", type=int, default=20, help="events per customer (default 20)")
    parser.add_argument("--orders-per-customer", type=float, default=1.5, help="orders per customer (default 1.5)")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    parser.add_argument("--explain", action="store_true", help="print PostgreSQL's plan of the count")
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
