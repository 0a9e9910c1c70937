"""Till benchmark: median milliseconds of scan-to-line and of completing a 5-line sale at
100,000 variants (issue 10: goals ≤ 30 ms and ≤ 100 ms), on SQLite and on PostgreSQL.

    .venv/bin/python bench/till.py [--variants 100000] [--samples 200] [--sqlite-only | --postgres-only]
                                   [--postgres postgres://postgres@127.0.0.1:5432]

For SQLite (a throwaway WAL file in a temporary OMNISHOP_VAR_DIR) and PostgreSQL (a throwaway
database ``till_bench_<pid>`` on ``--postgres``, created and dropped here), in a child process each:

1. migrate; a store (``location_create``, with its POS channel), a register with an open session,
   a store staff member;
2. ``--variants`` variants (4 per product, ``bulk_create``: the background) each with a JAN and
   stock at the store (opening balances through ``stock_import``);
3. time ``--samples`` of each:
   - ``orders.till.variant_lookup`` of a random JAN (the service);
   - scan-to-line through the console: ``POST /console/till/<register>/scan/`` as htmx (session,
     lookup, the ticket re-priced through the discount hook, the partial rendered), with a
     ticket of 1 to 5 lines;
   - ``orders.till.till_sale`` of 5 lines (5 JANs, cash with change): order, ledger, tenders,
     events, in its own transaction like a request;
   - the same through ``POST /api/v1/till/sales/`` with an Idempotency-Key;
4. print median and p95 and the queries of one call.

Asserts nothing.
"""

import argparse
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.throwaway import run_child  # noqa: E402  (after the path: run as a script)


def jan(number: int) -> str:
    body = f"45{number:010d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def figures(label: str, samples: list[float], queries: int | None = None) -> None:
    samples = sorted(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    extra = f"  ({queries} queries)" if queries is not None else ""
    print(f"  {label:<58} median {statistics.median(samples):7.2f} ms   p95 {p95:7.2f} ms{extra}", flush=True)


def child(args) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from inventory import services as inventory
    from inventory.models import Product, Variant
    from kernel import roles
    from kernel.models import LocationKind
    from orders.models import Register, RegisterSession
    from orders.payments import TenderIn
    from orders.till import TillLineIn, till_sale, variant_lookup

    call_command("migrate", verbosity=0)
    print(f"{connection.vendor}: {connection.settings_dict['NAME']}", flush=True)
    store = inventory.location_create(code="bench-store", name="ベンチ店", kind=LocationKind.STORE, prefecture="13",
                                      offers_pickup=True)
    register = Register.objects.create(location=store, code="1", name="レジ1")
    session = RegisterSession.objects.create(register=register, opening_float=50000)
    user = get_user_model().objects.create_user("till@bench.example", "bench-pass-1234", display_name="till")
    roles.assign_role(user, roles.STORE_STAFF, location=store)

    started = time.perf_counter()
    n_products = args.variants // 4
    products = Product.objects.bulk_create([Product(code=f"p{k}", name=f"ベンチ商品{k}", category="雑貨",
                                                    search_text=f"ベンチショウヒン{k}") for k in range(n_products)],
                                           batch_size=5000)
    Variant.objects.bulk_create([Variant(product=p, sku=f"B{p.pk}-{size}", barcode=jan(index * 4 + k),
                                         price=1000 + index % 500, size=size, position=k)
                                 for index, p in enumerate(products) for k, size in enumerate("SMLX")], batch_size=5000)
    rows = [inventory.StockBalanceIn(sku=sku, location=store.code, on_hand=1_000)
            for sku in Variant.objects.values_list("sku", flat=True)]
    inventory.stock_import(rows=rows, source="bench")
    print(f"  background: {Variant.objects.count():,} variants with stock at the store "
          f"({time.perf_counter() - started:.0f} s)", flush=True)
    jans = list(Variant.objects.values_list("barcode", flat=True))
    rng = random.Random(10)

    def timed(call) -> float:
        began = time.perf_counter()
        call()
        return (time.perf_counter() - began) * 1000

    def count_queries(call) -> int:
        with CaptureQueriesContext(connection) as captured:
            call()
        return len(captured)

    n = args.samples
    queries = count_queries(lambda: variant_lookup(rng.choice(jans)))
    figures("variant_lookup of a JAN (service)", [timed(lambda: variant_lookup(rng.choice(jans))) for _ in range(n)],
            queries)

    settings.ALLOWED_HOSTS = ["*"]
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    client = Client()
    client.force_login(user)
    scan = f"/console/till/{register.pk}/scan/"
    clear = f"/console/till/{register.pk}/line/"
    samples = []
    for k in range(n):
        if k % 5 == 0:
            client.post(clear, {"clear": "1"}, HTTP_HX_REQUEST="true")
        code = rng.choice(jans)
        samples.append(timed(lambda code=code: client.post(scan, {"code": code}, HTTP_HX_REQUEST="true",
                                                           HTTP_HX_TARGET="ticket")))
    client.post(clear, {"clear": "1"}, HTTP_HX_REQUEST="true")
    for _ in range(4):
        client.post(scan, {"code": rng.choice(jans)}, HTTP_HX_REQUEST="true")
    queries = count_queries(lambda: client.post(scan, {"code": rng.choice(jans)}, HTTP_HX_REQUEST="true"))
    figures("scan-to-line: POST /console/till/…/scan/ (htmx, 1-5 lines)", samples, queries)

    def sell():
        return till_sale(register_session=session, idempotency_key=uuid.uuid4().hex, acting_user=user,
                         lines=[TillLineIn(code) for code in rng.sample(jans, 5)],
                         tenders=[TenderIn("cash", 20_000)])

    queries = count_queries(sell)
    figures("till_sale, 5 lines, cash with change (service)", [timed(sell) for _ in range(n)], queries)

    api = Client()
    api.force_login(user)

    def sell_api():
        body = {"register": register.pk, "lines": [{"code": code} for code in rng.sample(jans, 5)],
                "tenders": [{"kind": "cash", "amount": 20_000}]}
        response = api.post("/api/v1/till/sales/", body, content_type="application/json",
                            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
        assert response.status_code == 201, response.content

    figures("POST /api/v1/till/sales/, 5 lines", [timed(sell_api) for _ in range(n)])


def run(args, backend: str) -> None:
    run_child(script=__file__, backend=backend, postgres=args.postgres, prefix="till-bench",
              args=["--variants", str(args.variants), "--samples", str(args.samples)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", type=int, default=100_000, help="variants in the catalogue (default 100,000)")
    parser.add_argument("--samples", type=int, default=200, help="timed calls per figure (default 200)")
    parser.add_argument("--postgres", "--database-url", dest="postgres", default="postgres://postgres@127.0.0.1:5432")
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
