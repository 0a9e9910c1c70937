"""First-party events benchmark: events per second through ``POST /api/v1/events/`` in batches of
500, on PostgreSQL and on SQLite (customers.tracking).

    .venv/bin/python bench/events_ingest.py [--customers 100000] [--background 1000000] [--batches 40]
                                            [--concurrency 4] [--sqlite-only | --postgres-only] [--no-gunicorn]

For PostgreSQL (a throwaway database ``events_bench_<pid>`` on ``--postgres``, default
postgres://postgres@127.0.0.1:5432, created and dropped here) and SQLite (a throwaway WAL file,
at a tenth of the customers and background events, as the issue asks: 100,000 customers there
when run with the defaults' full scale ``--customers 1000000``), in a child process each:

1. migrate; ``--customers`` customers (bulk insert; each with a loyalty-card identity) and
   ``--background`` events already in the stream (one SQL statement), so the unique index on the
   event id and the stream's other indexes have a realistic size;
2. generate ``--batches`` batches of 500 events: page views, product views, searches and
   add-to-cart from browsers, email opens and store visits naming a customer by id or by
   loyalty card, each with its own UUID and UTM fields (built before timing, outside the clock);
3. time them through Django's test client as a system with a token
   (``customers.ingest_events``), one after the other: the whole request (JSON parsing,
   validation of every event, identity and customer look-ups, the bulk insert, the audit row);
4. the same batches again (a retry: every event a duplicate, nothing stored);
5. a storefront browser's path (session cookie, CSRF token, analytics consent, bot and rate
   rules) through the test client with batches of 10 (what the script sends) — rate rule off;
6. unless ``--no-gunicorn``: ``gunicorn omnishop.wsgi -w 2`` on a free loopback port, fresh
   batches posted by ``--concurrency`` client threads over keep-alive connections;
7. print events per second and milliseconds per batch of each.

Asserts nothing.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.throwaway import run_child  # noqa: E402  (after the path: run as a script)

BATCH = 500
UTM = [{}, {"utm_source": "line", "utm_medium": "social", "utm_campaign": "winter-sale"},
       {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "w48", "campaign": "W48"}]


def make_batch(rng: random.Random, customers: list[int], cards: list[str], size: int = BATCH,
               system: bool = True) -> list[dict]:
    events = []
    for _ in range(size):
        roll = rng.random()
        if roll < 0.45:
            event = {"type": "page_view", "properties": {"path": f"/products/P{rng.randrange(5000)}/",
                                                         "title": "リネンシャツ | Omnishop", "referrer": ""}}
        elif roll < 0.7:
            event = {"type": "product_view", "properties": {"code": f"P{rng.randrange(5000)}"}}
        elif roll < 0.8:
            event = {"type": "search", "properties": {"query": rng.choice(["リネン", "シャツ", "ギフト"]),
                                                      "results": rng.randrange(40)}}
        elif roll < 0.9 or not system:
            event = {"type": "add_to_cart", "properties": {"sku": f"P{rng.randrange(5000)}-M", "quantity": 1}}
        elif roll < 0.95:
            event = {"type": "email_opened", "properties": {"message": "w48-newsletter", "client": "iOS Mail"}}
        else:
            event = {"type": "store_visit", "location": "bench-store", "properties": {"note": "試着"}}
        event["id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        event.update(rng.choice(UTM))
        if system:
            who = rng.random()
            if who < 0.5:
                event["customer"] = rng.choice(customers)
            elif who < 0.7:
                event["identity"] = {"kind": "loyalty_card", "value": rng.choice(cards)}
            elif event["type"] in ("email_opened", "store_visit"):
                event["customer"] = rng.choice(customers)
            else:
                event["browser_id"] = f"{rng.getrandbits(128):032x}"
        events.append(event)
    return events


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(customers: int, background: int) -> tuple[list[int], list[str]]:
    from django.db import connection, transaction

    from customers.models import Customer, Identity, IdentityKind
    from kernel.models import Location

    Location.objects.get_or_create(code="bench-store", defaults={"name": "ベンチ店", "kind": "store"})
    started = time.perf_counter()
    rows = []
    for index in range(customers):
        customer = Customer(email=f"bench{index}@example.jp", family_name="山田", given_name=f"花子{index}",
                            family_name_kana="ヤマダ", given_name_kana="ハナコ", phone="090" + str(index).zfill(8))
        customer.fill_search_fields()
        rows.append(customer)
        if len(rows) == 5000:
            Customer.objects.bulk_create(rows)
            rows = []
    Customer.objects.bulk_create(rows)
    ids = list(Customer.objects.values_list("pk", flat=True))
    cards = [f"{7000000000 + pk:012d}" for pk in ids]
    for start in range(0, len(ids), 5000):
        Identity.objects.bulk_create([Identity(customer_id=pk, kind=IdentityKind.LOYALTY_CARD, value=card,
                                               source="bench")
                                      for pk, card in zip(ids[start:start + 5000], cards[start:start + 5000],
                                                          strict=True)])
    low, high = min(ids), max(ids)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"""
                INSERT INTO customers_customerevent (customer_id, kind, occurred_at, subject, data, uid, browser_id,
                    interaction, campaign, utm_source, utm_medium, utm_campaign, utm_content, utm_term)
                SELECT CASE WHEN g % 3 = 0 THEN NULL ELSE {low} + (g % ({high - low + 1})) END,
                       (ARRAY['page_viewed','product_viewed','searched','cart_added'])[1 + g % 4],
                       now() - (g % 8640000) * interval '1 second', '', '{{"path": "/"}}'::jsonb,
                       gen_random_uuid(), md5(g::text), '', '', '', '', '', '', ''
                FROM generate_series(1, {background}) AS g""")
        else:
            cursor.execute(f"""
                WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {background})
                INSERT INTO customers_customerevent (customer_id, kind, occurred_at, subject, data, uid, browser_id,
                    interaction, campaign, utm_source, utm_medium, utm_campaign, utm_content, utm_term)
                SELECT CASE WHEN n % 3 = 0 THEN NULL ELSE {low} + (n % {high - low + 1}) END,
                       CASE n % 4 WHEN 0 THEN 'page_viewed' WHEN 1 THEN 'product_viewed' WHEN 2 THEN 'searched'
                                  ELSE 'cart_added' END,
                       strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || (n % 8640000) || ' seconds'), '', '{{"path": "/"}}',
                       lower(hex(randomblob(16))), lower(hex(randomblob(16))), '', '', '', '', '', '', ''
                FROM g""")
    print(f"  seeded {customers:,} customers and {background:,} events in {time.perf_counter() - started:.0f} s")
    return ids, cards


def rate(label: str, events: int, seconds: float, batches: int) -> None:
    print(f"  {label:<64} {events / seconds:9,.0f} events/s   {seconds / batches * 1000:7.1f} ms/batch")


def child(args) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from customers.models import CustomerEvent
    from kernel import roles

    call_command("migrate", verbosity=0)
    print(f"{connection.vendor}: {connection.settings_dict['NAME']}")
    customers, cards = seed(args.customers, args.background)
    user = get_user_model().objects.create_user("pos-bridge@example.jp", "pass-Word-123")
    roles.assign_role(user, roles.ADMINISTRATOR)
    token = Token.objects.create(user=user).key
    rng = random.Random(8)
    bodies = [json.dumps(make_batch(rng, customers, cards)) for _ in range(args.batches)]
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    warm = json.dumps(make_batch(rng, customers, cards, size=50))
    assert client.post("/api/v1/events/", warm, content_type="application/json").status_code == 202

    def timed(body_list, client, expect_stored: bool) -> float:
        started = time.perf_counter()
        for body in body_list:
            response = client.post("/api/v1/events/", body, content_type="application/json")
            assert response.status_code == 202, response.content[:500]
            assert (response.json()["stored"] > 0) == expect_stored, response.json()
        return time.perf_counter() - started

    before = CustomerEvent.objects.count()
    seconds = timed(bodies, client, True)
    stored = CustomerEvent.objects.count() - before
    rate(f"test client, system token, {args.batches} batches of {BATCH}", stored, seconds, len(bodies))
    seconds = timed(bodies, client, False)
    rate("test client, the same batches retried (all duplicates)", BATCH * len(bodies), seconds, len(bodies))

    # the storefront script's path: cookies, CSRF, consent; batches of 10
    from django.conf import settings
    from django.test.utils import override_settings

    override_settings(EVENTS_BROWSER_MAX_PER_MINUTE=10**9, REST_FRAMEWORK={
        **settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"events_browser": "1000000/min"}}).enable()
    browser = Client(HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
                                     "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
                     enforce_csrf_checks=True)
    browser.get("/")
    csrf = browser.cookies["csrftoken"].value
    browser.post("/privacy/analytics/", {"choice": "accept", "csrfmiddlewaretoken": csrf})
    small = [json.dumps(make_batch(rng, customers, cards, size=10, system=False)) for _ in range(args.batches * 10)]
    started = time.perf_counter()
    for body in small:
        response = browser.post("/api/v1/events/", body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
        assert response.status_code == 202 and response.json()["stored"] == 10, response.content[:300]
    rate(f"test client, storefront browser (consent, CSRF), {len(small)} batches of 10",
         len(small) * 10, time.perf_counter() - started, len(small))
    connection.close()

    if not args.no_gunicorn:
        fresh = [json.dumps(make_batch(rng, customers, cards)).encode() for _ in range(args.batches)]
        before = CustomerEvent.objects.count()
        seconds = through_gunicorn(fresh, token, args.concurrency, Path(os.environ["OMNISHOP_VAR_DIR"]))
        stored = CustomerEvent.objects.count() - before
        rate(f"gunicorn -w 2, {args.concurrency} client threads, {len(fresh)} batches of {BATCH}", stored, seconds,
             len(fresh))
    print(f"  events in the stream at the end: {CustomerEvent.objects.count():,}")


def through_gunicorn(bodies: list[bytes], token: str, concurrency: int, var_dir: Path) -> float:
    port = free_port()
    config = var_dir / "gunicorn-bench.conf.py"
    config.write_text("# empty: keep the repository's gunicorn.conf.py out of the benchmark\n")
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    process = subprocess.Popen([gunicorn, "omnishop.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}", "-c", str(config),
                                "--log-level", "warning"], cwd=ROOT, env=os.environ.copy())
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                probe.request("OPTIONS", "/api/v1/events/")
                probe.getresponse().read()
                probe.close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.2)
        pending = list(bodies)
        lock = threading.Lock()
        failures = []

        def worker() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            while True:
                with lock:
                    if not pending:
                        break
                    body = pending.pop()
                connection.request("POST", "/api/v1/events/", body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                if response.status != 202:
                    failures.append((response.status, answer[:300]))
            connection.close()

        threads = [threading.Thread(target=worker) for _ in range(concurrency)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        if failures:
            raise SystemExit(f"gunicorn answered {failures[:3]}")
        return elapsed
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def run(args, backend: str) -> None:
    customers, background = args.customers, args.background
    if backend != "postgresql":
        customers, background = max(1, customers // 10), max(1, background // 10)
    run_child(script=__file__, backend=backend, postgres=args.postgres, prefix="events-bench",
              args=["--customers", str(customers), "--background", str(background), "--batches", str(args.batches),
                    "--concurrency", str(args.concurrency), *(["--no-gunicorn"] if args.no_gunicorn else [])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000,
                        help="customers on PostgreSQL (SQLite: a tenth); the issue's scale is 1,000,000")
    parser.add_argument("--background", type=int, default=1_000_000,
                        help="events already in the stream on PostgreSQL (SQLite: a tenth); the issue's is 20,000,000")
    parser.add_argument("--batches", type=int, default=40, help="timed batches of 500 (default 40: 20,000 events)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads against gunicorn")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    parser.add_argument("--no-gunicorn", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    for backend in ("postgresql", "sqlite"):
        if (backend == "sqlite" and args.postgres_only) or (backend == "postgresql" and args.sqlite_only):
            continue
        run(args, backend)
    print("(one run each; figures vary with the machine's other load)")


if __name__ == "__main__":
    main()
