"""Code redemption benchmark: a till checks and redeems single-use codes among 500,000.

    .venv/bin/python bench/code_redemption.py [--codes 500000] [--redemptions 500]
        [--sqlite-only | --postgres-only] [--postgres postgres://postgres@127.0.0.1:5432]

For each backend, in a child process with a throwaway database (bench/throwaway.py):

1. migrate; one store (its POS channel), one product, one customer, a 10 % offer of a campaign;
2. generate ``--codes`` single-use codes through the real job (``campaigns.offers.code_batch_fill``:
   chunks of 5,000, ``bulk_create(ignore_conflicts=True)``), timed;
3. redeem ``--redemptions`` codes picked at random, one after the other, the way the till does:
   ``code_check`` when the code is scanned (with the cart's lines), then, in the order's
   transaction, ``OfferDiscounts.evaluate`` and ``OfferDiscounts.commit`` (conditional UPDATE of
   the code's uses, the offer's spent, the Redemption row, the customer's coupon_redeemed event);
   every other redemption has the customer attached. The order rows themselves are not written.
   Before timing, ANALYZE (and on SQLite a WAL checkpoint: the 500,000-row insert's log is not
   the till's to write back);
4. scan the same codes again: each refused as already used;
5. print the median and p95 of each step (target: check + commit median <= 20 ms), the order
   transaction split into its statements and its COMMIT (the disk's fsync, which the order's own
   rows share in ``order_place``).

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

from bench.throwaway import run_child  # noqa: E402  (after the path: run as a script)


def ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered) * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms"


def child(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from campaigns import offers
    from campaigns.models import Campaign, OfferCode
    from customers.services import customer_create
    from inventory import services as inventory
    from inventory.services import VariantIn
    from kernel import channels
    from orders.discounts import DiscountContext, PricedLine

    call_command("migrate", verbosity=0)
    print(f"{connection.vendor}: {connection.settings_dict['NAME']}  codes {args.codes:,}, "
          f"redemptions {args.redemptions:,}", flush=True)
    store = inventory.location_create(code="bench-store", name="ベンチ店", kind="store", prefecture="13")
    pos = channels.pos_channel(store)
    product = inventory.product_create(code="bench-shirt", name="ベンチシャツ", category="シャツ",
                                       variants=[VariantIn(sku="BS-1", barcode="4901234567894", price=5500)])
    variant = product.variants.get()
    customer = customer_create(email="bench@example.jp", family_name="山田", given_name="花子")
    campaign = Campaign.objects.create(name="ベンチキャンペーン")
    offer = offers.offer_create(acting_user=None, name="DM 10%オフ", kind="percent", value=10, campaign=campaign,
                                channel_kinds=["pos", "web"])
    batch = offers.codes_generate(offer=offer, count=args.codes, prefix="DM", acting_user=None)
    started = time.perf_counter()
    offers.code_batch_fill(batch.pk)
    took = time.perf_counter() - started
    print(f"  generate {args.codes:,} codes{'':<22} {took:8.1f} s  ({args.codes / took:,.0f} codes/s)", flush=True)
    with connection.cursor() as cursor:  # the generation job ran earlier: the till does not pay for its writes
        cursor.execute("ANALYZE")
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    ids = list(OfferCode.objects.filter(batch=batch).values_list("pk", flat=True))
    picked = random.Random(9).sample(ids, min(args.redemptions, len(ids)))
    codes = list(OfferCode.objects.filter(pk__in=picked).values_list("code", flat=True))
    lines = [PricedLine(sku="BS-1", variant_id=variant.pk, product_id=product.pk, category="シャツ", quantity=2,
                        unit_price=5500, tax_rate=10)]
    provider = offers.OfferDiscounts()
    check_t, order_t, total_t, rescan_t, body_t, fsync_t = [], [], [], [], [], []
    for index, code in enumerate(codes):
        typed = offers.code_printed(code).lower()  # as typed from the postcard
        context = DiscountContext(customer_id=customer.pk if index % 2 else None, channel_id=pos.pk,
                                  channel_kind=pos.kind, location_id=store.pk, codes=(typed,), at=timezone.now(),
                                  subtotal=11000, shipping_fee=0)
        t0 = time.perf_counter()
        _offer, refused = offers.code_check(typed, context, lines=lines)
        t1 = time.perf_counter()
        assert refused is None, refused
        with transaction.atomic():
            result = provider.evaluate(lines=lines, context=context)
            provider.commit(order_id=index + 1, order_number=f"P-{index + 1:06d}", lines=lines, context=context,
                            result=result)
            t_body = time.perf_counter()
        t2 = time.perf_counter()
        body_t.append(t_body - t1)
        fsync_t.append(t2 - t_body)
        check_t.append(t1 - t0)
        order_t.append(t2 - t1)
        total_t.append(t2 - t0)
    for code in codes:
        context = DiscountContext(customer_id=None, channel_id=pos.pk, channel_kind=pos.kind, location_id=store.pk,
                                  codes=(code,), at=timezone.now(), subtotal=11000, shipping_fee=0)
        t0 = time.perf_counter()
        _offer, refused = offers.code_check(code, context, lines=lines)
        rescan_t.append(time.perf_counter() - t0)
        assert refused is not None and refused.reason == "already_used"
    offer.refresh_from_db()
    print(f"  code_check (scan at the till){'':<20} {ms(check_t)}")
    print(f"  evaluate + commit (order transaction){'':<12} {ms(order_t)}")
    print(f"    of which the statements{'':<24} {ms(body_t)}")
    print(f"    of which the COMMIT (the disk's fsync){'':<9} {ms(fsync_t)}")
    print(f"  check + evaluate + commit{'':<24} {ms(total_t)}")
    print(f"  code_check of a used code (already_used){'':<9} {ms(rescan_t)}")
    print(f"  offer: {offer.redeemed:,} redemptions, ¥{offer.spent:,} given", flush=True)


def run(args, backend: str) -> None:
    run_child(script=__file__, backend=backend, postgres=args.postgres, prefix="code-redemption-bench",
              args=["--codes", str(args.codes), "--redemptions", str(args.redemptions)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--codes", type=int, default=500_000, help="single-use codes (default 500,000)")
    parser.add_argument("--redemptions", type=int, default=500, help="codes redeemed and timed (default 500)")
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
