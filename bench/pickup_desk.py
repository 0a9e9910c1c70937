"""Pickup desk search benchmark (issue 10, "Speed"): median and p95 milliseconds of the desk's search
(``orders.selectors.desk_search``: every state, at one store, up to 50 rows with their lines and the
count of matches up to 1,000) at 1,000,000 orders. Goal: median ≤ 50 ms on PostgreSQL.

    .venv/bin/python bench/pickup_desk.py [--orders 1000000] [--customers 200000] [--stores 20]
        [--samples 200] [--database-url postgres://postgres@127.0.0.1:5432[/db]] [--plans]

In a child process with a throwaway database (SQLite: a WAL file in a temporary OMNISHOP_VAR_DIR;
``--database-url`` with a server only: a database ``pickup_desk_<pid>`` created there and dropped
afterwards; with a database name: that database, as is):

1. migrate (orders 0015 creates the desk's token table); ``--stores`` pickup stores and one product
   through the services;
2. ``--customers`` customers as bench/customer_search.py builds them (100 family × 100 given names
   in kanji and katakana, a mobile number, an email; one INSERT … SELECT), then ``--orders`` pickup
   orders, their fulfilments and one line each with set-based SQL (``generate_series`` on
   PostgreSQL, a recursive CTE on SQLite): each order a customer's (name, phone, email and the
   search columns as ``Order.fill_search_fields`` computes them), at store ``n mod stores``, ids
   growing with time, a pickup code, and a state: the newest 2 % to prepare and 1 % ready, of the
   rest 7 % cancelled and the others collected. The orders' trigram indexes are dropped during the
   load and built after it; then the desk's tokens (``desk_tokens_generate``), then ANALYZE;
3. times ``--samples`` searches of each kind, with queries drawn from orders at the store searched
   (different ones each time): pickup code, order number, phone (full and last 4 digits), name in
   kana (full, 2 characters, in hiragana) and in kanji (full, family name of 2 characters, one
   character); each run to the rows the desk shows (four queries);
4. prints median / p95 ms per kind (wall clock, inside the database, Python CPU, rows and matches)
   and, with ``--plans``, EXPLAIN ANALYZE of the two id queries per kind on PostgreSQL.

Asserts nothing.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.campaign_send import launch, load_average  # noqa: E402  (after the path: run as a script)
from bench.customer_search import FAMILY, GIVEN, search_indexes_migration  # noqa: E402


def desk_indexes_migration():
    import importlib

    path = next((ROOT / "orders" / "migrations").glob("*_desk.py"))
    return importlib.import_module(f"orders.migrations.{path.stem}")


def figures(label: str, samples: list[float], in_db: list[float], cpu: list[float], rows: list[int],
            totals: list[int]) -> None:
    def p95(values):
        values = sorted(values)
        return values[max(0, int(len(values) * 0.95) - 1)]

    print(f"  {label:<34} median {statistics.median(samples):7.2f} ms  p95 {p95(samples):7.2f} ms"
          f" | in the database: median {statistics.median(in_db):6.2f} ms  p95 {p95(in_db):6.2f} ms"
          f" | Python CPU: median {statistics.median(cpu):5.2f} ms"
          f"  (rows: median {statistics.median(rows):.0f}; matches: median {statistics.median(totals):.0f},"
          f" max {max(totals)})")


class DatabaseClock:
    """Sums the time spent inside the database calls (``connection.execute_wrapper``): what the
    queries cost, apart from the Python around them, which a loaded machine slows most."""

    def __init__(self):
        self.total = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.total += time.perf_counter() - started


def customers_generate(connection, count: int) -> None:
    """``count`` customers in one INSERT … SELECT, as bench/customer_search.py makes them (its own
    generator predates the ``time_zone`` column); search columns as ``Customer.fill_search_fields``."""
    family = ",".join(f"('{k}','{kana}')" for k, kana in FAMILY)
    given = ",".join(f"('{k}','{kana}')" for k, kana in GIVEN)
    nf, ng = len(FAMILY), len(GIVEN)
    postgres = connection.vendor == "postgresql"
    if postgres:
        head = f"""WITH f(i, k, kana) AS (SELECT row_number() OVER () - 1, * FROM (VALUES {family}) v),
                   g(i, k, kana) AS (SELECT row_number() OVER () - 1, * FROM (VALUES {given}) v),
                   n AS (SELECT s AS n FROM generate_series(1::bigint, %s::bigint) s)"""
        four = "lpad(((n * 7919) %% 10000)::text, 4, '0')", "lpad((n %% 10000)::text, 4, '0')"
        ago = "now() - (n || ' minutes')::interval"
    else:
        head = f"""WITH RECURSIVE n(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM n WHERE n < %s),
                   f(i, k, kana) AS (SELECT row_number() OVER () - 1, * FROM (VALUES {family})),
                   g(i, k, kana) AS (SELECT row_number() OVER () - 1, * FROM (VALUES {given}))"""
        four = "substr('0000' || ((n * 7919) %% 10000), -4)", "substr('0000' || (n %% 10000), -4)"
        ago = "datetime('now', '-' || n || ' minutes')"
    migration = search_indexes_migration()
    with connection.cursor() as cursor:
        if postgres:
            for name in migration.SEARCH_INDEX_NAMES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
        cursor.execute(f"""{head}
            INSERT INTO customers_customer (email, family_name, given_name, family_name_kana, given_name_kana,
                phone, phone_digits, postal_code, prefecture, address, preferred_size, city, gender, language,
                time_zone, preferred_channel, sizes, interests, search_text, name_key, kana_key, created_at)
            SELECT 'c' || n || '@example.jp', f.k, g.k, f.kana, g.kana,
                   '090-' || {four[0]} || '-' || {four[1]}, '090' || {four[0]} || {four[1]},
                   '', '13', '', '', '', '', '', '', '', '{{}}', '[]',
                   f.k || g.k || f.kana || g.kana || f.k || g.k || f.kana || g.kana || 'c' || n || '@example.jp',
                   f.k || g.k, f.kana || g.kana, {ago}
            FROM n JOIN f ON f.i = (n * 31) %% {nf} JOIN g ON g.i = (n * 17 + n / {nf}) %% {ng}
        """, [count])
        if postgres:
            for statement in migration.SEARCH_INDEXES:
                cursor.execute(statement)
            cursor.execute("VACUUM ANALYZE customers_customer")


def orders_generate(connection, *, count: int, stores: list[int], channel_id: int, variant) -> None:
    """``count`` pickup orders of the customers already there, with their fulfilments and lines."""
    from orders.models import PICKUP_CODE_ALPHABET

    nstores = len(stores)
    store_case = " ".join(f"WHEN {i} THEN {pk}" for i, pk in enumerate(stores))
    code = " || ".join(f"substr('{PICKUP_CODE_ALPHABET}', CAST(1 + ((n * {p} + n / {p}) %% 26) AS INTEGER), 1)"
                       for p in (7, 11, 13, 17, 19, 23))
    postgres = connection.vendor == "postgresql"
    series = ("generate_series(1::bigint, %s::bigint) AS s(n)" if postgres else "n")
    cte = "" if postgres else "WITH RECURSIVE n(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM n WHERE n < %s) "
    number = "'W' || lpad(n::text, 8, '0')" if postgres else "'W' || substr('00000000' || n, -8)"
    # the newest order has the highest id, as in a running shop
    ago = (f"now() - (({count} - n) || ' minutes')::interval" if postgres
           else f"datetime('now', '-' || ({count} - n) || ' minutes')")
    # the newest 3 % wait (the newest 2 % to prepare, then 1 % ready), as in a running shop; of the
    # others 7 % were cancelled and the rest collected, spread over the stores (by n / stores: the
    # store is n mod stores)
    waiting, to_prepare = count - count * 3 // 100, count - count * 2 // 100
    state = (f"CASE WHEN n > {to_prepare} THEN '{{0}}' WHEN n > {waiting} THEN '{{1}}' "
             f"WHEN (n / {nstores}) %% 100 < 7 THEN '{{2}}' ELSE '{{3}}' END")
    done = f"(n <= {waiting} AND (n / {nstores}) %% 100 >= 7)"
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), count(*) FROM customers_customer")
        first, customers = cursor.fetchone()
        migration = desk_indexes_migration()
        if postgres:
            for name in migration.SEARCH_INDEX_NAMES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
        indexes = [statement for statement, name in zip(migration.SEARCH_INDEXES, migration.SEARCH_INDEX_NAMES,
                                                        strict=True) if name not in DROPPED_SINCE]
        started = time.perf_counter()
        cursor.execute(f"""{cte}
            INSERT INTO orders_order (id, number, channel_id, customer_id, status, email, name, phone, phone_digits,
                search_text, currency, total, discount_total, shipping_fee, shipping_discount, payment_method,
                payment_status, created_at, completed_at)
            SELECT n, {number}, {channel_id}, c.id,
                   {state.format("placed", "ready", "cancelled", "completed")},
                   c.email, c.family_name || ' ' || c.given_name, c.phone, c.phone_digits,
                   lower(c.family_name || c.given_name || c.family_name_kana || c.given_name_kana || c.email),
                   'JPY', {variant.price}, 0, 0, 0, 'pay_in_store',
                   CASE WHEN {done} THEN 'paid' ELSE 'unpaid' END, {ago},
                   CASE WHEN {done} THEN {ago} END
            FROM {series} JOIN customers_customer c ON c.id = {first} + (n * 7919) %% {customers}
        """, [count])
        cursor.execute(f"""{cte}
            INSERT INTO orders_fulfillment (id, order_id, method, location_id, status, pickup_code, address,
                carrier, tracking_number, ready_at, closed_at)
            SELECT n, n, 'pickup', CASE n %% {nstores} {store_case} END,
                   {state.format("reserved", "ready", "cancelled", "collected")}, {code}, '{{}}', '', '',
                   CASE WHEN (n > {waiting} AND n <= {to_prepare}) OR {done} THEN {ago} END,
                   CASE WHEN n <= {waiting} THEN {ago} END
            FROM {series}
        """, [count])
        cursor.execute(f"""{cte}
            INSERT INTO orders_orderline (id, order_id, fulfillment_id, variant_id, sku, product_name, variant_label,
                quantity, unit_price, tax_rate, line_total, discount, discount_reason)
            SELECT n, n, n, {variant.pk}, %s, %s, %s, 1, {variant.price}, 10, {variant.price}, 0, ''
            FROM {series}
        """, [variant.sku, variant.product.name, variant.label, count] if postgres  # placeholders in text order
            else [count, variant.sku, variant.product.name, variant.label])
        print(f"  orders, fulfilments and lines inserted in {time.perf_counter() - started:.1f} s")
        if postgres:
            for table in ("orders_order", "orders_fulfillment", "orders_orderline"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [count])
            started = time.perf_counter()
            for statement in indexes:
                cursor.execute(statement)
            print(f"  order search indexes (trigram) built in {time.perf_counter() - started:.1f} s")
        desk_tokens_generate(connection, cursor)
        if postgres:
            for table in ("orders_order", "orders_fulfillment", "orders_orderline", "orders_desksearchtoken"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute("ANALYZE")


# orders 0015 dropped the prefix index of 0011: the desk reads its token index instead
DROPPED_SINCE = {"order_search_text_prefix"}


def desk_tokens_generate(connection, cursor) -> None:
    """The desk's token index (``DeskSearchToken``) of every pickup: the tokens depend only on the
    order's name, furigana and phone, here those of its customer, so ``orders.models.desk_tokens``
    (the application's own function) runs once per customer into a scratch table, and one
    INSERT … SELECT gives each fulfilment its customer's tokens at its store. On PostgreSQL the
    table's indexes are dropped for the load and built after it."""
    from orders.models import desk_tokens

    postgres = connection.vendor == "postgresql"
    started = time.perf_counter()
    cursor.execute("SELECT id, family_name || ' ' || given_name, family_name_kana || ' ' || given_name_kana,"
                   " phone_digits FROM customers_customer")
    rows = [(pk, token) for pk, name, kana, phone in cursor.fetchall()
            for token in sorted(desk_tokens(name=name, kana=kana, phone_digits=phone))]
    cursor.execute("CREATE TEMPORARY TABLE bench_customer_token (customer_id bigint, token varchar(16))")
    if postgres:
        with cursor.connection.cursor().copy("COPY bench_customer_token FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'orders_desksearchtoken'")
        indexes = cursor.fetchall()
        cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = 'orders_desksearchtoken'::regclass"
                       " AND contype = 'p'")
        (primary,) = cursor.fetchone()
        cursor.execute(f"ALTER TABLE orders_desksearchtoken DROP CONSTRAINT {primary}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
    else:
        cursor.executemany("INSERT INTO bench_customer_token VALUES (%s, %s)", rows)
    cursor.execute("""INSERT INTO orders_desksearchtoken (location_id, token, fulfillment_id)
        SELECT f.location_id, t.token, f.id FROM orders_fulfillment f JOIN orders_order o ON o.id = f.order_id
        JOIN bench_customer_token t ON t.customer_id = o.customer_id WHERE f.method = 'pickup'""")
    cursor.execute("SELECT count(*) FROM orders_desksearchtoken")
    (count,) = cursor.fetchone()
    inserted = time.perf_counter()
    if postgres:
        cursor.execute(f"ALTER TABLE orders_desksearchtoken ADD CONSTRAINT {primary} "
                       "PRIMARY KEY (location_id, token, fulfillment_id)")
        for name, definition in indexes:
            if name != primary:
                cursor.execute(definition)
    cursor.execute("DROP TABLE bench_customer_token")
    print(f"  desk tokens: {len(rows):,} for the customers, {count:,} for the pickups, inserted in "
          f"{inserted - started:.1f} s, indexed in {time.perf_counter() - inserted:.1f} s")


def child(args) -> None:
    import django

    sys.stdout.reconfigure(line_buffering=True)

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from inventory import services as inventory
    from inventory.services import VariantIn
    from kernel import channels
    from kernel.models import LocationKind
    from orders import selectors
    from orders.models import Fulfillment, Order

    call_command("migrate", verbosity=0)
    print(f"{connection.vendor}: load average {load_average()}")
    stores = [inventory.location_create(code=f"store-{i:02d}", name=f"店舗{i:02d}", kind=LocationKind.STORE,
                                        prefecture="13", offers_pickup=True) for i in range(args.stores)]
    product = inventory.product_create(code="bench-shirt", name="リネンシャツ", category="シャツ",
                                       variants=[VariantIn(sku="BENCH-S", barcode="4901234567894", price=5500,
                                                           size="S")])
    variant = product.variants.select_related("product").get()
    started = time.perf_counter()
    customers_generate(connection, args.customers)
    print(f"  {args.customers:,} customers in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    orders_generate(connection, count=args.orders, stores=[s.pk for s in stores],
                    channel_id=channels.web_channel().pk, variant=variant)
    print(f"{connection.vendor}: {args.orders:,} orders at {args.stores} stores built in "
          f"{time.perf_counter() - started:.1f} s")
    check = Order.objects.select_related("customer").order_by("id").first()
    stored = check.search_text
    check.fill_search_fields()
    assert check.search_text == stored, ("search_text differs from Python", stored, check.search_text)

    rng = random.Random(10)
    picks = list(Fulfillment.objects.filter(pk__in=[rng.randint(1, args.orders) for _ in range(args.samples * 2)])
                 .select_related("order__customer", "location")[:args.samples])
    kinds = {
        "pickup code": lambda f: f.pickup_code,
        "order number": lambda f: f.order.number,
        "phone, full number": lambda f: f.order.phone,
        "phone, last 4 digits": lambda f: f.order.phone[-4:],
        "kana, full name (ヤマダハナコ)": lambda f: f.order.customer.family_name_kana + f.order.customer.given_name_kana,
        "kana, 2 characters (ヤマ)": lambda f: f.order.customer.family_name_kana[:2],
        "hiragana family name (やまだ)": lambda f: "".join(
            chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in f.order.customer.family_name_kana),
        "kanji, full name (山田 花子)": lambda f: f.order.name,
        "kanji, family name (山田)": lambda f: f.order.customer.family_name[:2],
        "kanji, 1 character (山)": lambda f: f.order.customer.family_name[:1],
    }
    print(f"load average {load_average()}")
    print(f"desk search at one store of {args.stores} ({args.orders // args.stores:,} orders each), "
          f"{len(picks)} samples per kind:")
    for label, make in kinds.items():
        samples, in_db, cpu, rows, totals = [], [], [], [], []
        queries = [(f.location, make(f)) for f in picks]
        for location, query in queries[:5]:  # warm the caches a little, as a running server would be
            selectors.desk_search(location=location, query=query)
        for location, query in queries:
            clock = DatabaseClock()
            with connection.execute_wrapper(clock):
                t0, c0 = time.perf_counter(), time.process_time()
                found = selectors.desk_search(location=location, query=query)
                samples.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
            in_db.append(clock.total * 1000)
            rows.append(len(found.rows))
            totals.append(found.total + found.capped)
        figures(label, samples, in_db, cpu, rows, totals)
        if connection.vendor == "postgresql" and args.plans:
            from django.test.utils import CaptureQueriesContext

            location, query = queries[0]
            with CaptureQueriesContext(connection) as captured:
                selectors.desk_search(location=location, query=query)
            with connection.cursor() as cursor:
                for number, captured_query in enumerate(captured.captured_queries[:2], start=1):
                    cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + captured_query["sql"])
                    print(f"      query {number}: {captured_query['sql'][:160]}…")
                    for (line,) in cursor.fetchall()[:30]:
                        print("        " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--database-url", default="",
                        help="PostgreSQL: a server URL (a throwaway database is created and dropped) or a "
                             "database to use as is; default SQLite in a temporary directory")
    parser.add_argument("--plans", action="store_true", help="print one EXPLAIN ANALYZE per kind (PostgreSQL)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    launch(script=__file__, args=["--orders", str(args.orders), "--customers", str(args.customers), "--stores",
                                  str(args.stores), "--samples", str(args.samples), *(["--plans"] if args.plans else [])],
           database_url=args.database_url, redis_url="", prefix="pickup-desk")


if __name__ == "__main__":
    main()
