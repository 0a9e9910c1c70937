"""Offline till benchmark (issue 10): 500 sales queued by a till with no connection, sent through
the batch endpoint as the till's script sends them; exactly 500 orders, then the whole queue
sent again and not one order more. Also the price list the till keeps for offline use.

    .venv/bin/python bench/offline_sync.py [--variants 100000] [--sales 500] [--chunk 100]
                                           [--sqlite-only | --postgres-only]
                                           [--postgres postgres://postgres@127.0.0.1:5432]

For SQLite (a throwaway WAL file) and PostgreSQL (a throwaway database, created and dropped here),
in a child process each:

1. migrate; a store with its POS channel, a register with an open session, a store staff member;
   ``--variants`` variants (4 per product, each with a JAN) with stock at the store;
2. the price list as ``GET /console/till/<register>/prices/`` serves it: time, size raw and
   gzipped, and a second request with its ETag (304);
3. ``--sales`` sales as ``static/js/till-offline.js`` queues them: the same payload (an
   ``idempotency_key`` from uuid4, ``register``, ``sold_at``, ``codes``, 1 to 5 ``lines`` by SKU,
   a cash tender with change), sent as the browser does (the console session and its CSRF token)
   to ``POST /api/v1/till/sales/batch/`` in chunks of ``--chunk`` (the script's 100);
4. print the time and sales per second; assert exactly ``--sales`` orders, till sales and sale
   ledger rows for every line, and the stock down by exactly the units sold;
5. send the whole queue again (a till that never heard back): print the time; assert 0 created,
   every sale replayed with the same order number, and nothing in the database changed.

``--browser``: instead, the browser's side in headless Chromium (Debian's): a price list of
``--variants`` rows shaped as the endpoint's, parsed and indexed as ``static/js/till-offline.js``
does on page load (a Map by JAN and SKU), a scan's lookup, and the slowest name search (a scan
of the whole list; the first one also folds the names, kept for the next).
"""

import argparse
import gzip
import json
import random
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


def child(args) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Sum
    from django.test import Client
    from django.utils import timezone

    from inventory import services as inventory
    from inventory.models import Product, StockLevel, StockMovement, Variant
    from kernel import roles
    from kernel.models import LocationKind
    from orders.models import Order, Register, RegisterSession, TillSale

    call_command("migrate", verbosity=0)
    print(f"{connection.vendor}: {connection.settings_dict['NAME']}", flush=True)
    store = inventory.location_create(code="bench-store", name="ベンチ店", kind=LocationKind.STORE, prefecture="13",
                                      offers_pickup=True)
    register = Register.objects.create(location=store, code="1", name="レジ1")
    RegisterSession.objects.create(register=register, opening_float=50000)
    user = get_user_model().objects.create_user("till@bench.example", "bench-pass-1234", display_name="till")
    roles.assign_role(user, roles.STORE_STAFF, location=store)

    started = time.perf_counter()
    n_products = max(args.variants // 4, 1)
    products = Product.objects.bulk_create([Product(code=f"p{k}", name=f"ベンチ商品{k}", category="雑貨",
                                                    search_text=f"ベンチショウヒン{k}") for k in range(n_products)],
                                           batch_size=5000)
    Variant.objects.bulk_create([Variant(product=p, sku=f"B{p.pk}-{size}", barcode=jan(index * 4 + k),
                                         price=1000 + index % 500, size=size, position=k)
                                 for index, p in enumerate(products) for k, size in enumerate("SMLX")], batch_size=5000)
    inventory.stock_import(rows=[inventory.StockBalanceIn(sku=sku, location=store.code, on_hand=1_000)
                                 for sku in Variant.objects.values_list("sku", flat=True)], source="bench")
    print(f"  background: {Variant.objects.count():,} variants with stock at the store "
          f"({time.perf_counter() - started:.0f} s)", flush=True)

    settings.ALLOWED_HOSTS = ["*"]
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    page = browser.get(f"/console/till/{register.pk}/").content.decode()
    token = page.split('data-csrf="', 1)[1].split('"', 1)[0]

    # the price list the till keeps in IndexedDB
    url = f"/console/till/{register.pk}/prices/"
    began = time.perf_counter()
    response = browser.get(url, HTTP_ACCEPT_ENCODING="gzip")
    took = (time.perf_counter() - began) * 1000
    raw = gzip.decompress(response.content) if response.get("Content-Encoding") == "gzip" else response.content
    count = json.loads(raw)["count"]
    began = time.perf_counter()
    again = browser.get(url, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=response["ETag"])
    took_304 = (time.perf_counter() - began) * 1000
    print(f"  price list: {count:,} variants, {took:,.0f} ms, {len(raw) / 1e6:.2f} MB JSON, "
          f"{len(response.content) / 1e6:.2f} MB gzipped; with its ETag: {again.status_code} in {took_304:,.0f} ms",
          flush=True)

    # the queue, as the script builds it
    skus = dict(Variant.objects.values_list("sku", "price"))
    rng = random.Random(10)
    sku_list = list(skus)
    queue, units = [], {}
    for _ in range(args.sales):
        lines = [{"code": sku, "quantity": rng.randint(1, 3)} for sku in rng.sample(sku_list, rng.randint(1, 5))]
        due = sum(skus[line["code"]] * line["quantity"] for line in lines)
        for line in lines:
            units[line["code"]] = units.get(line["code"], 0) + line["quantity"]
        queue.append({"idempotency_key": str(uuid.uuid4()), "register": register.pk,
                      "sold_at": timezone.now().isoformat(), "codes": [], "lines": lines,
                      "tenders": [{"kind": "cash", "amount": -(-due // 1000) * 1000, "reference": ""}]})
    touched = list(units)

    def snapshot():
        return (Order.objects.count(), TillSale.objects.count(),
                StockMovement.objects.filter(location=store, reason="sale").count(),
                StockLevel.objects.filter(location=store, variant__sku__in=touched).aggregate(s=Sum("on_hand"))["s"])

    def send_all() -> tuple[float, list[dict]]:
        results = []
        began = time.perf_counter()
        for start in range(0, len(queue), args.chunk):
            chunk = queue[start:start + args.chunk]
            response = browser.post("/api/v1/till/sales/batch/", json.dumps({"sales": chunk}),
                                    content_type="application/json", HTTP_X_CSRFTOKEN=token)
            assert response.status_code == 200, response.content[:500]
            results += response.json()["results"]
        return time.perf_counter() - began, results

    before = snapshot()
    seconds, first = send_all()
    after = snapshot()
    statuses = [r["status"] for r in first]
    lines = sum(len(sale["lines"]) for sale in queue)
    print(f"  sent {args.sales} queued sales ({lines} lines, {sum(units.values())} units) in chunks of {args.chunk}: "
          f"{seconds:.2f} s, {args.sales / seconds:,.0f} sales/s, {seconds * 1000 / args.sales:.1f} ms a sale",
          flush=True)
    print(f"  created {statuses.count('created')}, replayed {statuses.count('replayed')}, "
          f"refused {statuses.count('refused')}; orders made: {after[0] - before[0]}, till sales: {after[1] - before[1]}, "
          f"sale ledger rows: {after[2] - before[2]}, units off the shelf: {before[3] - after[3]}", flush=True)
    assert statuses.count("created") == args.sales, [r for r in first if r["status"] != "created"][:3]
    assert after[0] - before[0] == args.sales and after[1] - before[1] == args.sales
    assert after[2] - before[2] == lines and before[3] - after[3] == sum(units.values())

    seconds, second = send_all()
    again = snapshot()
    statuses = [r["status"] for r in second]
    print(f"  the same {args.sales} sent again: {seconds:.2f} s; created {statuses.count('created')}, "
          f"replayed {statuses.count('replayed')}; new orders: {again[0] - after[0]}, "
          f"units moved: {after[3] - again[3]}", flush=True)
    assert statuses.count("replayed") == args.sales and again == after
    assert [r["number"] for r in second] == [r["number"] for r in first]
    print(f"  exactly {args.sales} orders", flush=True)


BROWSER_SCRIPT = r"""(n) => {
  const rows = [];
  for (let i = 0; i < n; i++) rows.push(["B" + i + "-M", String(4500000000000 + i), "ベンチ商品リネンシャツ" + i, "紺 / M",
                                         1000 + i % 500, 10]);
  const text = JSON.stringify({fields: ["sku", "barcode", "name", "label", "price", "tax_rate"], items: rows});
  // as till-offline.js: fold() and usePrices()
  const fold = (t) => String(t || "").normalize("NFKC").toLowerCase()
    .replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60)).replace(/\s+/g, "");
  const t0 = performance.now();
  const body = JSON.parse(text);
  const t1 = performance.now();
  const byCode = new Map();
  const items = body.items.map((r) => {
    const item = {sku: r[0], barcode: r[1], name: r[2], label: r[3], price: r[4], rate: r[5]};
    byCode.set(item.barcode, item); byCode.set(item.sku, item); byCode.set(item.sku.toUpperCase(), item);
    return item;
  });
  const t2 = performance.now();
  const lookups = [];
  for (let k = 0; k < 1000; k++) {
    const s = performance.now();
    byCode.get(String(4500000000000 + Math.floor(Math.random() * n)));
    lookups.push(performance.now() - s);
  }
  const t3 = performance.now();
  // the search text is folded on the first search, then kept
  const search = (q) => {
    const query = fold(q);
    const hits = [];
    for (let i = 0; i < items.length && hits.length < 12; i++) {
      const item = items[i];
      if (item.search === undefined) item.search = fold(item.name + item.label + item.sku);
      if (item.search.indexOf(query) !== -1) hits.push(i);
    }
    return hits;
  };
  const first = search("りねんしゃつ" + (n - 1));  // the last item: the whole list is read
  const t4 = performance.now();
  const hits = search("リネンシャツ" + (n - 2));
  const t5 = performance.now();
  return {bytes: text.length, parse: t1 - t0, index: t2 - t1, lookups: (t3 - t2) / 1000, first: t4 - t3,
          search: t5 - t4, hits: first.length + hits.length};
}"""


def browser(args) -> None:
    import shutil

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                              args=["--no-sandbox", "--disable-gpu"])
        figures = chromium.new_page().evaluate(BROWSER_SCRIPT, args.variants)
        chromium.close()
    assert figures["hits"] == 2
    print(f"Chromium: price list of {args.variants:,} variants, {figures['bytes'] / 1e6:.1f} MB JSON: parsed in "
          f"{figures['parse']:.0f} ms, indexed in {figures['index']:.0f} ms (once per page load); a scan's lookup "
          f"{figures['lookups'] * 1000:.1f} µs; the slowest name search {figures['search']:.1f} ms (the first "
          f"search of the page, which folds the names: {figures['first']:.0f} ms)", flush=True)


def run(args, backend: str) -> None:
    run_child(script=__file__, backend=backend, postgres=args.postgres, prefix="offline-sync-bench",
              args=["--variants", str(args.variants), "--sales", str(args.sales), "--chunk", str(args.chunk)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", type=int, default=100_000, help="variants in the catalogue (default 100,000)")
    parser.add_argument("--sales", type=int, default=500, help="queued sales (default 500)")
    parser.add_argument("--chunk", type=int, default=100, help="sales per batch request (the script's 100)")
    parser.add_argument("--postgres", "--database-url", dest="postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    parser.add_argument("--browser", action="store_true", help="the browser's side in Chromium instead")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.browser:
        browser(args)
        return
    for backend in ("sqlite", "postgresql"):
        if (backend == "sqlite" and args.postgres_only) or (backend == "postgresql" and args.sqlite_only):
            continue
        run(args, backend)


if __name__ == "__main__":
    main()
