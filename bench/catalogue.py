"""Storefront catalogue benchmark: queries per request and latency at a given scale.

    .venv/bin/python bench/catalogue.py [--variants 10000] [--locations 20] [--requests 200]

Builds a synthetic catalogue (products × 4 sizes, a stock level for every variant at
every location) with bulk_create in a throwaway SQLite database under a temporary
OMNISHOP_VAR_DIR, then measures the catalogue page (plain and with a search query) and
the product page: queries per request (CaptureQueriesContext) and median / p95
milliseconds over N requests, first through Django's test client, then through
``gunicorn omnishop.wsgi -w 2`` on a free loopback port. Query counts are taken at a
small scale first and again at the full scale, to show they do not grow with the
catalogue. Prints figures; asserts nothing (the tests pin query counts).
"""

import argparse
import http.client
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = ("S", "M", "L", "XL")
MATERIALS = ("リネン", "オーガニックコットン", "ウール", "カシミヤ混", "デニム", "ガーゼ", "藍染め", "綿麻")
ITEMS = ("シャツ", "Tシャツ", "ニット", "ワイドパンツ", "ワンピース", "ジャケット", "マグカップ", "煎茶")
CATEGORIES = ("トップス", "ボトムス", "アウター", "食器", "お茶")
SEARCH = "リネン"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", type=int, default=10_000, help="variants at full scale (default 10,000)")
    parser.add_argument("--small", type=int, default=100, help="variants at the small scale (default 100)")
    parser.add_argument("--locations", type=int, default=20, help="locations with stock (default 20)")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page and server (default 100)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads for the gunicorn throughput run")
    parser.add_argument("--no-gunicorn", action="store_true", help="only measure through the test client")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database directory")
    return parser.parse_args()


def setup_django(var_dir: Path) -> None:
    os.environ["OMNISHOP_VAR_DIR"] = str(var_dir)
    os.environ["OMNISHOP_MODE"] = "dev"
    os.environ["DEBUG"] = "0"  # measure what production does, not the debug toolbar of Django
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnishop.settings")
    os.environ["PYTHONWARNINGS"] = "ignore:No directory at"  # whitenoise: no collectstatic in a temp run
    warnings.filterwarnings("ignore", message="No directory at")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def build(*, locations: int) -> dict:
    """Migrate and create the locations, channel and a shared product photo."""
    from django.core.management import call_command

    from kernel.models import Channel, ChannelKind, Location, LocationKind

    call_command("migrate", verbosity=0)
    rows = [Location(code="bench-wh", name="ベンチ倉庫", kind=LocationKind.WAREHOUSE, prefecture="11",
                     ships_orders=True)]
    for n in range(1, locations):
        rows.append(Location(code=f"bench-store-{n:02d}", name=f"ベンチ{n}号店", kind=LocationKind.STORE,
                             prefecture=f"{(n % 47) + 1:02d}", offers_pickup=True))
    Location.objects.bulk_create(rows)
    Channel.objects.get_or_create(code="web", defaults={"name": "オンラインストア", "kind": ChannelKind.WEB})  # the migrations make it
    return {"locations": list(Location.objects.all()), "photo": _photo()}


def _photo():
    """One real image with its renditions; every synthetic product points at it."""
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from inventory import services
    from inventory.models import ProductImage

    buffer = BytesIO()
    Image.new("RGB", (600, 600), (31, 78, 121)).save(buffer, format="JPEG")
    product = services.product_create(code="bench-photo", name="写真", is_active=False, variants=[
        services.VariantIn(sku="BENCH-PHOTO", barcode=_barcode(9_999_999_999), price=1)])
    record = services.product_image_add(product=product, upload=SimpleUploadedFile("p.jpg", buffer.getvalue()))
    return ProductImage(original=record.original.name, thumbnail=record.thumbnail.name, large=record.large.name,
                        width=record.width, height=record.height)


def _barcode(n: int) -> str:
    from inventory.validators import ean13_check_digit

    first12 = f"49{n:010d}"
    return first12 + str(ean13_check_digit(first12))


def grow(*, to_variants: int, locations, photo) -> int:
    """Add products (4 sizes each) until the catalogue holds ``to_variants`` variants."""
    from django.db import transaction

    with transaction.atomic():
        return _grow(to_variants=to_variants, locations=locations, photo=photo)


def _grow(*, to_variants: int, locations, photo) -> int:
    from inventory.models import Product, ProductImage, StockLevel, Variant
    from kernel.japan import search_key

    have = Product.objects.filter(code__startswith="p-").count()
    want = to_variants // len(SIZES)
    products = []
    for n in range(have, want):
        name = f"{MATERIALS[n % len(MATERIALS)]}{ITEMS[(n // len(MATERIALS)) % len(ITEMS)]} No.{n + 1}"
        code = f"p-{n + 1:05d}"
        category = CATEGORIES[n % len(CATEGORIES)]
        products.append(Product(code=code, name=name, category=category, description="ベンチマーク用の商品です。",
                                tax_class="reduced" if category == "お茶" else "standard",
                                search_text=search_key(" ".join([name, code, category]))))
    products = Product.objects.bulk_create(products, batch_size=2000)
    ProductImage.objects.bulk_create([
        ProductImage(product=p, original=photo.original.name, thumbnail=photo.thumbnail.name, large=photo.large.name,
                     width=photo.width, height=photo.height, alt=p.name) for p in products], batch_size=2000)
    variants = []
    for p in products:
        number = int(p.code[2:])
        for index, size in enumerate(SIZES):
            variants.append(Variant(product=p, sku=f"{p.code.upper()}-{size}", size=size, position=index,
                                    barcode=_barcode(number * 10 + index), price=3300 + 1100 * (number % 7)))
    variants = Variant.objects.bulk_create(variants, batch_size=2000)
    levels = [StockLevel(variant=v, location=loc, on_hand=(v.id * 7 + loc.id) % 12)
              for v in variants for loc in locations]
    StockLevel.objects.bulk_create(levels, batch_size=5000)
    return Variant.objects.filter(product__code__startswith="p-").count()


def pages(sample_codes: list[str]) -> dict[str, list[str]]:
    from django.urls import reverse

    catalogue = reverse("storefront:catalogue")
    return {
        "catalogue": [catalogue],
        f"catalogue ?q={SEARCH}": [f"{catalogue}?q={SEARCH}"],
        "catalogue page 3": [f"{catalogue}?page=3"],
        "product": [reverse("storefront:product", kwargs={"code": code}) for code in sample_codes],
    }


def query_counts(urls: dict[str, list[str]]) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    counts = {}
    for label, paths in urls.items():
        client.get(paths[0])  # warm caches (content types, templates)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(paths[-1])
        if response.status_code != 200:
            raise SystemExit(f"{label}: {paths[-1]} answered {response.status_code}")
        counts[label] = len(captured)
    return counts


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def time_test_client(urls: dict[str, list[str]], n: int) -> dict[str, tuple[float, float]]:
    from django.test import Client

    client = Client()
    result = {}
    for label, paths in urls.items():
        for path in paths[:3]:
            client.get(path)
        samples = []
        for i in range(n):
            path = paths[i % len(paths)]
            started = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        result[label] = (statistics.median(samples), percentile(samples, 95))
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": "localhost"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def time_gunicorn(urls: dict[str, list[str]], n: int, concurrency: int, var_dir: Path) -> dict:
    from urllib.parse import quote

    port = free_port()
    config = var_dir / "gunicorn-bench.conf.py"
    config.write_text("# empty: keep the repository's gunicorn.conf.py out of the benchmark\n")
    env = {**os.environ, "OMNISHOP_VAR_DIR": str(var_dir), "DEBUG": "0", "OMNISHOP_MODE": "dev"}
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    process = subprocess.Popen(
        [gunicorn, "omnishop.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}", "-c", str(config),
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    quoted = {label: [quote(p, safe="/?=&") for p in paths] for label, paths in urls.items()}
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if fetch(port, quoted["catalogue"][0]) == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("gunicorn did not start")
            time.sleep(0.2)
        result = {}
        for label, paths in quoted.items():
            for i in range(6):  # warm both workers
                fetch(port, paths[i % len(paths)])
            samples = []
            for i in range(n):
                started = time.perf_counter()
                status = fetch(port, paths[i % len(paths)])
                samples.append((time.perf_counter() - started) * 1000)
                assert status == 200, (label, status)
            result[label] = (statistics.median(samples), percentile(samples, 95))
        # Throughput: ``concurrency`` client threads hitting the product page.
        product_paths = quoted["product"]
        done = []

        def worker(offset: int) -> None:
            for i in range(n // concurrency):
                fetch(port, product_paths[(offset + i) % len(product_paths)])
                done.append(1)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(concurrency)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        return {"latency": result, "throughput": len(done) / elapsed}
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> None:
    args = parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="omnishop-bench-"))
    started = time.perf_counter()
    setup_django(var_dir)
    import django

    from inventory.models import Product, StockLevel

    print(f"Omnishop catalogue benchmark — {time.strftime('%Y-%m-%d %H:%M')}, Python {platform.python_version()}, "
          f"Django {django.get_version()}, SQLite, {os.cpu_count()} CPUs ({platform.machine()}), "
          f"load average {os.getloadavg()[0]:.1f}")
    base = build(locations=args.locations)
    small = grow(to_variants=args.small, locations=base["locations"], photo=base["photo"])
    codes = list(Product.objects.filter(code__startswith="p-").order_by("code").values_list("code", flat=True)[:20])
    small_counts = query_counts(pages(codes))
    t = time.perf_counter()
    big = grow(to_variants=args.variants, locations=base["locations"], photo=base["photo"])
    build_seconds = time.perf_counter() - t
    codes = list(Product.objects.filter(code__startswith="p-").order_by("?").values_list("code", flat=True)[:50])
    urls = pages(codes)
    big_counts = query_counts(urls)
    print(f"Catalogue: {big:,} variants ({big // len(SIZES):,} products × {len(SIZES)} sizes) at "
          f"{args.locations} locations = {StockLevel.objects.count():,} stock levels "
          f"(bulk_create {build_seconds:.1f} s)\n")

    print(f"Queries per request ({small:,} variants vs {big:,} variants):")
    for label in urls:
        print(f"  {label:<22} {small_counts[label]:>3}  vs {big_counts[label]:>3}"
              f"{'' if small_counts[label] == big_counts[label] else '   <-- grows with the catalogue'}")

    client = time_test_client(urls, args.requests)
    print(f"\nDjango test client, {args.requests} requests per page (ms):")
    print(f"  {'page':<22} {'median':>8} {'p95':>8}")
    for label, (median, p95) in client.items():
        print(f"  {label:<22} {median:>8.1f} {p95:>8.1f}")

    if not args.no_gunicorn:
        served = time_gunicorn(urls, args.requests, args.concurrency, var_dir)
        print(f"\ngunicorn omnishop.wsgi -w 2 (sync workers), http.client, {args.requests} sequential "
              f"requests per page (ms):")
        print(f"  {'page':<22} {'median':>8} {'p95':>8}")
        for label, (median, p95) in served["latency"].items():
            print(f"  {label:<22} {median:>8.1f} {p95:>8.1f}")
        print(f"  product page with {args.concurrency} concurrent clients: {served['throughput']:.0f} requests/s")

    print(f"\nTotal {time.perf_counter() - started:.0f} s, load average at the end {os.getloadavg()[0]:.1f}")
    if args.keep:
        print(f"Database kept in {var_dir}")
    else:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
