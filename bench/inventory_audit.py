"""Stock audit benchmark: ``manage.py inventory_audit`` (inventory.audit.stock_audit) at scale.

    .venv/bin/python bench/inventory_audit.py [--variants 10000] [--locations 20] [--movements 5]

Builds in a throwaway SQLite database under a temporary OMNISHOP_VAR_DIR: ``--variants``
variants with a stock level at each of ``--locations`` locations, ``--movements`` ledger rows
per level (summing to its on_hand) and an active hold on one level in ten; then times the audit
(three SQL queries) when everything agrees, and again after breaking 3 levels, which it must
name. Prints figures; asserts nothing.
"""

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", type=int, default=10_000)
    parser.add_argument("--locations", type=int, default=20)
    parser.add_argument("--movements", type=int, default=5, help="ledger rows per stock level (default 5)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args()


def setup_django(var_dir: Path) -> None:
    os.environ["OMNISHOP_VAR_DIR"] = str(var_dir)
    os.environ["OMNISHOP_MODE"] = "dev"
    os.environ["DEBUG"] = "0"
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnishop.settings")
    os.environ["PYTHONWARNINGS"] = "ignore:No directory at"
    warnings.filterwarnings("ignore", message="No directory at")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def build(args) -> int:
    from django.core.management import call_command

    from inventory.models import Product, Reservation, StockLevel, StockMovement, Variant
    from kernel.models import Location, LocationKind

    call_command("migrate", verbosity=0)
    Location.objects.bulk_create([Location(code=f"bench-{n:02d}", name=f"ベンチ{n}", kind=LocationKind.STORE,
                                           prefecture="13") for n in range(args.locations)])
    locations = list(Location.objects.filter(code__startswith="bench-"))
    products = Product.objects.bulk_create([Product(code=f"b-{n}", name=f"商品{n}")
                                            for n in range(args.variants // 4 + 1)], batch_size=2000)
    variants = Variant.objects.bulk_create([
        Variant(product=products[n // 4], sku=f"B-{n}", barcode=f"{n:013d}", price=1000)
        for n in range(args.variants)], batch_size=2000)
    levels, movements, holds = [], [], []
    for index, variant in enumerate(variants):
        for location in locations:
            reserved = 1 if (index + location.pk) % 10 == 0 else 0
            levels.append(StockLevel(variant=variant, location=location, on_hand=args.movements * 3,
                                     reserved=reserved))
            movements += [StockMovement(variant=variant, location=location, quantity=3, reason="receipt")
                          for _m in range(args.movements)]
            if reserved:
                holds.append(Reservation(variant=variant, location=location, quantity=1, reference=f"b:{index}"))
    StockLevel.objects.bulk_create(levels, batch_size=5000)
    StockMovement.objects.bulk_create(movements, batch_size=5000)
    Reservation.objects.bulk_create(holds, batch_size=5000)
    return len(levels), len(movements), len(holds)


def timed(runs: int):
    from inventory.audit import stock_audit

    times, result = [], None
    for _run in range(runs):
        started = time.perf_counter()
        result = stock_audit()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), result


def main() -> None:
    args = parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="omnishop-bench-audit-"))
    try:
        setup_django(var_dir)
        started = time.perf_counter()
        levels, movements, holds = build(args)
        build_seconds = time.perf_counter() - started
        from inventory.models import StockLevel

        median, worst, result = timed(args.runs)
        print(f"Python {platform.python_version()}, SQLite; {levels:,} stock levels, {movements:,} ledger rows, "
              f"{holds:,} holds (built in {build_seconds:.1f} s)")
        print(f"audit, everything agrees: median {median:.0f} ms, max {worst:.0f} ms, {len(result)} differences")
        broken = list(StockLevel.objects.order_by("pk").values_list("pk", flat=True)[:3])
        StockLevel.objects.filter(pk__in=broken).update(on_hand=999)
        median, worst, result = timed(args.runs)
        print(f"audit, 3 levels broken:   median {median:.0f} ms, max {worst:.0f} ms, {len(result)} differences")
    finally:
        if args.keep:
            print(f"kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
