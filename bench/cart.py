"""Persistent cart benchmark: median milliseconds of adding to a cart and of merging a guest cart
on sign-in (orders.cart), on SQLite and on PostgreSQL.

    .venv/bin/python bench/cart.py [--carts 20000] [--samples 300] [--sqlite-only | --postgres-only]

For SQLite (a throwaway WAL file in a temporary OMNISHOP_VAR_DIR) and PostgreSQL (a throwaway
database ``cart_bench_<pid>`` on ``--postgres``, default postgres://postgres@127.0.0.1:5432,
created and dropped here), in a child process each:

1. migrate; create 200 products × 4 sizes through ``inventory.services.product_create``;
2. fill the tables to a realistic size: ``--carts`` guest carts and as many customer carts with
   3 lines each (``bulk_create``: the background, not what is measured);
3. time ``--samples`` calls of each service, each in its own transaction like a request:
   - ``cart_add`` to a guest cart (new line), to a guest cart (same line again), to a customer's cart;
   - ``cart_merge`` of a 3-line guest cart into a customer's 3-line cart (one SKU shared);
4. time the same through the storefront with Django's test client: ``POST /cart/add/`` for a
   guest (with its browser-id cookie) and for a signed-in customer, and a sign-in that merges a
   guest cart (``POST /account/login/``, password hashing included: shown apart);
5. print median and p95 milliseconds of each, and the number of queries each service call makes.

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


def jan(number: int) -> str:
    """A valid EAN-13 (JAN) from a running number."""
    body = f"49{number:010d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def figures(label: str, samples: list[float], queries: int | None = None) -> None:
    samples = sorted(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    extra = f"  ({queries} queries)" if queries is not None else ""
    print(f"  {label:<58} median {statistics.median(samples):7.2f} ms   p95 {p95:7.2f} ms{extra}")


def child(args) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from customers.models import Customer
    from inventory import services as inventory
    from inventory.services import VariantIn
    from orders import cart as carts
    from orders.models import Cart, CartLine

    call_command("migrate", verbosity=0)
    print(f"{connection.vendor}: {connection.settings_dict['NAME']}")
    variants = []
    for index in range(200):
        product = inventory.product_create(
            code=f"bench-{index}", name=f"ベンチ商品{index}", category="雑貨",
            variants=[VariantIn(sku=f"B-{index}-{size}", barcode=jan(index * 4 + k), price=1000 + index, size=size)
                      for k, size in enumerate("SMLX")])
        variants.extend(product.variants.all())
    skus = [v.sku for v in variants]

    User = get_user_model()
    users = User.objects.bulk_create([User(email=f"c{n}@bench.example", display_name=f"c{n}")
                                      for n in range(args.carts + 2 * args.samples + 10)], batch_size=2000)
    customers = Customer.objects.bulk_create([Customer(user=user, email=user.email, family_name="ベンチ")
                                              for user in users], batch_size=2000)
    guests = Cart.objects.bulk_create([Cart(browser_id=f"{n:032x}") for n in range(args.carts)], batch_size=2000)
    owned = Cart.objects.bulk_create([Cart(customer=c) for c in customers[:args.carts]], batch_size=2000)
    CartLine.objects.bulk_create([CartLine(cart=cart, sku=skus[(cart.pk * 7 + k) % len(skus)], quantity=1)
                                  for cart in guests + owned for k in range(3)], batch_size=5000)
    spare = customers[args.carts:]
    print(f"  background: {Cart.objects.count():,} carts, {CartLine.objects.count():,} lines, "
          f"{len(variants)} variants")

    def timed(call) -> float:
        started = time.perf_counter()
        call()
        return (time.perf_counter() - started) * 1000

    def count_queries(call) -> int:
        with CaptureQueriesContext(connection) as captured:
            call()
        return len(captured)

    n = args.samples
    new_ids = [f"f{k:031x}" for k in range(n + 1)]
    queries = count_queries(lambda: carts.cart_add(variant=variants[0], quantity=1, browser_id=new_ids[n]))
    figures("cart_add, a new guest cart (first item)",
            [timed(lambda k=k: carts.cart_add(variant=variants[k % len(variants)], quantity=1,
                                              browser_id=new_ids[k])) for k in range(n)], queries)
    figures("cart_add, the same line again (guest)",
            [timed(lambda k=k: carts.cart_add(variant=variants[k % len(variants)], quantity=1,
                                              browser_id=new_ids[k])) for k in range(n)])
    queries = count_queries(lambda: carts.cart_add(variant=variants[5], quantity=1, customer=owned[0].customer))
    figures("cart_add, a customer's cart (event + timeline entry)",
            [timed(lambda k=k: carts.cart_add(variant=variants[(k * 13) % len(variants)], quantity=1,
                                              customer=customers[k % args.carts])) for k in range(n)], queries)

    merge_guests = [f"e{k:031x}" for k in range(n + 1)]
    for k, guest in enumerate(merge_guests):
        for j in range(3):
            carts.cart_add(variant=variants[(k + j * 50) % len(variants)], quantity=1, browser_id=guest)
    for k, customer in enumerate(spare[:n + 1]):
        for j in range(3):
            carts.cart_add(variant=variants[(k + j * 77) % len(variants)], quantity=2, customer=customer)
    queries = count_queries(lambda: carts.cart_merge(customer=spare[n], browser_id=merge_guests[n]))
    figures("cart_merge, 3-line guest cart into a 3-line customer cart",
            [timed(lambda k=k: carts.cart_merge(customer=spare[k], browser_id=merge_guests[k])) for k in range(n)],
            queries)

    # Through the storefront (view, form, middleware, template for the redirect).
    from django.conf import settings
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_HOSTS = ["*"]
    settings.SESSION_COOKIE_SECURE = False
    settings.AXES_ENABLED = False
    guest = Client()
    guest.post("/cart/add/", {"sku": skus[0], "quantity": "1"})
    figures("POST /cart/add/ as a guest",
            [timed(lambda k=k: guest.post("/cart/add/", {"sku": skus[k % 40], "quantity": "1"})) for k in range(n)])
    signed = Client()
    signed.force_login(users[0])
    figures("POST /cart/add/ as a signed-in customer",
            [timed(lambda k=k: signed.post("/cart/add/", {"sku": skus[k % 40], "quantity": "1"})) for k in range(n)])
    logins = []
    last = spare[-(n // 3 + 1):]
    for customer in last:
        customer.user.set_password("bench-pass-1234")
        customer.user.save(update_fields=["password"])
    for customer in last[:-1]:
        browser = Client()
        for j in range(3):
            browser.post("/cart/add/", {"sku": skus[(customer.pk + j) % len(skus)], "quantity": "1"})
        logins.append(timed(lambda b=browser, c=customer: b.post(
            "/account/login/", {"username": c.email, "password": "bench-pass-1234"})))
    figures("POST /account/login/ merging a 3-line guest cart (MD5 hasher)", logins)


def run(args, backend: str) -> None:
    run_child(script=__file__, backend=backend, postgres=args.postgres, prefix="cart-bench",
              args=["--carts", str(args.carts), "--samples", str(args.samples)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--carts", type=int, default=20000, help="background guest and customer carts (default 20,000 each)")
    parser.add_argument("--samples", type=int, default=300, help="timed calls per figure (default 300)")
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
