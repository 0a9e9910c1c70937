"""Duplicate detection and merge benchmark (customers.merge), on SQLite and on PostgreSQL.

    .venv/bin/python bench/duplicates.py [--customers 100000] [--merges 100] [--sqlite-only | --postgres-only]

For SQLite (a throwaway WAL file in a temporary OMNISHOP_VAR_DIR) and PostgreSQL (a throwaway
database ``duplicates_bench_<pid>`` on ``--postgres``, default postgres://postgres@127.0.0.1:5432,
created and dropped here), in a child process each:

1. migrate; create ``--customers`` customers (``bulk_create`` after ``fill_search_fields``, as an
   import does) with realistic Japanese names (100 family × 100 given names), postal codes out of
   10,000, unique phones and emails, one email identity each; 1 % of them are planted second
   records of someone else, a third each: the same mailbox written differently (upper case, or Gmail
   dots and a +tag, as an identity), the same phone written differently, the same name in hiragana
   with the same postal code;
2. time ``duplicates_scan`` on the empty queue (every pair new) and again (steady state: the
   daily run), and print the pairs per rule, how many planted pairs were found (recall), and the
   namesakes the name + postal code rule found by chance;
3. time ``--merges`` calls of ``customer_merge`` of a planted pair (each with 3 events and a
   consent row on both sides), each its own transaction as from the console, and print the
   median / p95 milliseconds and the queries of one merge.

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

FAMILY = ["佐藤", "サトウ", "鈴木", "スズキ", "高橋", "タカハシ", "田中", "タナカ", "伊藤", "イトウ", "渡辺", "ワタナベ", "山本", "ヤマモト", "中村", "ナカムラ", "小林", "コバヤシ", "加藤", "カトウ", "吉田", "ヨシダ", "山田", "ヤマダ", "佐々木", "ササキ", "山口", "ヤマグチ", "松本", "マツモト", "井上", "イノウエ", "木村", "キムラ", "林", "ハヤシ", "斎藤", "サイトウ", "清水", "シミズ"]
GIVEN = ["花子", "ハナコ", "太郎", "タロウ", "陽子", "ヨウコ", "一郎", "イチロウ", "美咲", "ミサキ", "健太", "ケンタ", "さくら", "サクラ", "翔", "ショウ", "結衣", "ユイ", "大輔", "ダイスケ", "愛", "アイ", "直樹", "ナオキ", "恵", "メグミ", "拓也", "タクヤ", "彩", "アヤ", "誠", "マコト", "舞", "マイ", "亮", "リョウ", "真由美", "マユミ", "悠斗", "ユウト"]


def hiragana(katakana: str) -> str:
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in katakana)


def figures(label: str, samples: list[float], queries: int | None = None) -> None:
    samples = sorted(samples)
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    extra = f"  ({queries} queries)" if queries is not None else ""
    print(f"  {label:<58} median {statistics.median(samples):8.2f} ms   p95 {p95:8.2f} ms{extra}")


def child(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from customers import merge
    from customers.models import ConsentRecord, Customer, CustomerEvent, DuplicateCandidate, Identity
    from kernel.japan import search_key

    call_command("migrate", verbosity=0)
    print(f"{connection.vendor}: {connection.settings_dict['NAME']}, {args.customers:,} customers")
    rng = random.Random(8)
    families = list(zip(FAMILY[::2], FAMILY[1::2], strict=True))
    givens = list(zip(GIVEN[::2], GIVEN[1::2], strict=True))
    # 100 x 100 names from 20 x 20 stems plus a numbered variant, so names repeat as they do in Japan
    families = [(f + s, k + t) for f, k in families for s, t in (("", ""), ("川", "カワ"), ("原", "ハラ"), ("野", "ノ"),
                                                                (("田", "タ")))]
    givens = [(g + s, k + t) for g, k in givens for s, t in (("", ""), ("子", "コ"), ("美", "ミ"), ("香", "カ"),
                                                             ("江", "エ"))]
    planted = args.customers // 100
    started = time.perf_counter()
    batch, originals = [], []
    for i in range(args.customers - planted):
        (family, family_kana), (given, given_kana) = rng.choice(families), rng.choice(givens)
        postal = f"{rng.randrange(100, 110)}-{rng.randrange(0, 1000):04d}"  # 10,000 postal codes
        c = Customer(email=f"c{i}@example.jp", family_name=family, given_name=given, family_name_kana=family_kana,
                     given_name_kana=given_kana, phone=f"090-{i // 10000:04d}-{i % 10000:04d}", postal_code=postal)
        c.fill_search_fields()
        batch.append(c)
        if len(batch) == 5000:
            originals += Customer.objects.bulk_create(batch)
            batch = []
    originals += Customer.objects.bulk_create(batch)
    sources = rng.sample(originals, planted)
    twins, identities = [], []
    for n, source in enumerate(sources):
        rule = n % 3
        twin = Customer(email=f"twin{n}@example.com", family_name=source.family_name,
                        given_name=source.given_name if rule != 2 else source.given_name)
        if rule == 0:  # the same mailbox: upper case, or a Gmail address with dots and a tag
            twin.family_name = rng.choice(families)[0]
            twin.given_name = rng.choice(givens)[0]
            twin.email = f"g.mail.{n}+shop@gmail.com"
            identities.append(Identity(customer=source, kind="email", value=f"gmail{n}@gmail.com"))
        elif rule == 1:  # the same phone, written in full width
            twin.given_name = rng.choice(givens)[0]
            twin.phone = source.phone.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
        else:  # the same name written in hiragana only, same postal code without a hyphen
            twin.family_name = hiragana(source.family_name_kana)
            twin.given_name = hiragana(source.given_name_kana)
            twin.postal_code = source.postal_code.replace("-", "")
            assert search_key(twin.family_name + twin.given_name) == source.kana_key
        twin.fill_search_fields()
        twins.append(twin)
    twins = Customer.objects.bulk_create(twins, batch_size=5000)
    Identity.objects.bulk_create(identities, batch_size=5000)
    Identity.objects.bulk_create([Identity(customer=c, kind="email", value=c.email) for c in originals],
                                 batch_size=5000)
    print(f"  built in {time.perf_counter() - started:.1f} s ({planted:,} planted second records)")
    expected = {tuple(sorted((s.pk, t.pk))) for s, t in zip(sources, twins, strict=True)}

    rule_pairs = {}
    for reason in merge.RULES:
        started = time.perf_counter()
        rule_pairs[reason] = merge.duplicate_pairs(reason)
        print(f"  rule {reason:<12} {len(rule_pairs[reason]):>7,} pairs   {time.perf_counter() - started:7.2f} s")
    started = time.perf_counter()
    scan = merge.duplicates_scan()
    first = time.perf_counter() - started
    started = time.perf_counter()
    merge.duplicates_scan()
    again = time.perf_counter() - started
    found = set(DuplicateCandidate.objects.values_list("low_pk", "high_pk"))
    print(f"  duplicates_scan, empty queue: {first:.2f} s ({scan.pairs_new:,} pairs queued); "
          f"again (daily run): {again:.2f} s")
    print(f"  planted pairs found: {len(expected & found):,} of {len(expected):,}; other pairs: "
          f"{len(found - expected):,} (namesakes in one postal code: {len(rule_pairs['name_postal'] - expected):,})")

    merges = min(args.merges, len(expected))
    pairs = [(s, t) for s, t in zip(sources, twins, strict=True)][:merges]
    for survivor, merged in pairs:
        for customer in (survivor, merged):
            CustomerEvent.objects.bulk_create([CustomerEvent(customer=customer, kind="product_viewed",
                                                             occurred_at=timezone.now())
                                               for _ in range(3)])
            ConsentRecord.objects.create(customer=customer, channel="email", granted=True, source="bench")
    timings, queries = [], None
    for survivor, merged in pairs:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            with transaction.atomic():
                merge.customer_merge(survivor=survivor, merged=merged, acting_user=None, reason="bench")
            timings.append((time.perf_counter() - started) * 1000)
        queries = len(captured.captured_queries)
    figures(f"customer_merge ({merges} merges, 3 events + 1 consent a side)", timings, queries)


def run(args, backend: str) -> None:
    run_child(script=__file__, backend=backend, postgres=args.postgres, prefix="duplicates-bench",
              args=["--customers", str(args.customers), "--merges", str(args.merges)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100000, help="customers (default 100,000)")
    parser.add_argument("--merges", type=int, default=100, help="timed merges (default 100)")
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
