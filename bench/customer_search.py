"""Customer search-as-you-type benchmark: median and p95 milliseconds of ``Customer.objects.search``
(the console's lookup: 25 results sorted by furigana) by kana, kanji, phone and email.

    .venv/bin/python bench/customer_search.py [--customers 1000000] [--sqlite-customers 100000]
                                               [--samples 200] [--sqlite-only | --postgres-only]

For PostgreSQL (a throwaway database ``customer_search_bench_<pid>`` on ``--postgres``, default
postgres://postgres@127.0.0.1:5432, created and dropped here) and SQLite (a throwaway WAL file in
a temporary OMNISHOP_VAR_DIR), in a child process each:

1. migrate (migration 0009 creates the trigram and prefix indexes on PostgreSQL);
2. generate ``--customers`` customers with one INSERT ... SELECT (PostgreSQL: generate_series;
   SQLite: a recursive CTE): names drawn from 100 family names × 100 given names in kanji and
   katakana, a mobile number and an email each; ``search_text`` and ``phone_digits`` computed
   in SQL exactly as ``Customer.fill_search_fields`` does;
3. ANALYZE; time ``--samples`` searches of each kind with queries drawn from the data
   (different ones each time, so no cache answers them all), each run to the list of 25:
   kana (2 characters, 4 characters, full name), kanji (2 characters, full name), phone (last
   4 digits, full number), email (full address);
4. print median / p95 ms per kind, and the plan of one query per kind on PostgreSQL.

Asserts nothing.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.throwaway import run_child  # noqa: E402  (after the path: run as a script)

FAMILY = [("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"), ("伊藤", "イトウ"),
          ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ"),
          ("吉田", "ヨシダ"), ("山田", "ヤマダ"), ("佐々木", "ササキ"), ("山口", "ヤマグチ"), ("松本", "マツモト"),
          ("井上", "イノウエ"), ("木村", "キムラ"), ("林", "ハヤシ"), ("斎藤", "サイトウ"), ("清水", "シミズ"),
          ("山崎", "ヤマザキ"), ("森", "モリ"), ("池田", "イケダ"), ("橋本", "ハシモト"), ("阿部", "アベ"),
          ("石川", "イシカワ"), ("山下", "ヤマシタ"), ("中島", "ナカジマ"), ("石井", "イシイ"), ("小川", "オガワ"),
          ("前田", "マエダ"), ("岡田", "オカダ"), ("長谷川", "ハセガワ"), ("藤田", "フジタ"), ("後藤", "ゴトウ"),
          ("近藤", "コンドウ"), ("村上", "ムラカミ"), ("遠藤", "エンドウ"), ("青木", "アオキ"), ("坂本", "サカモト"),
          ("斉藤", "サイトウ"), ("福田", "フクダ"), ("太田", "オオタ"), ("西村", "ニシムラ"), ("藤井", "フジイ"),
          ("金子", "カネコ"), ("岡本", "オカモト"), ("藤原", "フジワラ"), ("中野", "ナカノ"), ("三浦", "ミウラ"),
          ("原田", "ハラダ"), ("中川", "ナカガワ"), ("松田", "マツダ"), ("竹内", "タケウチ"), ("小野", "オノ"),
          ("田村", "タムラ"), ("中山", "ナカヤマ"), ("和田", "ワダ"), ("石田", "イシダ"), ("森田", "モリタ"),
          ("上田", "ウエダ"), ("原", "ハラ"), ("内田", "ウチダ"), ("柴田", "シバタ"), ("酒井", "サカイ"),
          ("宮崎", "ミヤザキ"), ("横山", "ヨコヤマ"), ("高木", "タカギ"), ("安藤", "アンドウ"), ("宮本", "ミヤモト"),
          ("大野", "オオノ"), ("小島", "コジマ"), ("工藤", "クドウ"), ("谷口", "タニグチ"), ("今井", "イマイ"),
          ("高田", "タカダ"), ("丸山", "マルヤマ"), ("増田", "マスダ"), ("杉山", "スギヤマ"), ("村田", "ムラタ"),
          ("大塚", "オオツカ"), ("小山", "コヤマ"), ("平野", "ヒラノ"), ("藤本", "フジモト"), ("河野", "コウノ"),
          ("上野", "ウエノ"), ("野口", "ノグチ"), ("武田", "タケダ"), ("松井", "マツイ"), ("千葉", "チバ"),
          ("岩崎", "イワサキ"), ("菅原", "スガワラ"), ("木下", "キノシタ"), ("久保", "クボ"), ("佐野", "サノ"),
          ("野村", "ノムラ"), ("松尾", "マツオ"), ("市川", "イチカワ"), ("菊地", "キクチ"), ("杉本", "スギモト")]
GIVEN = [("花子", "ハナコ"), ("太郎", "タロウ"), ("陽菜", "ヒナ"), ("蓮", "レン"), ("結衣", "ユイ"), ("大翔", "ヒロト"),
         ("葵", "アオイ"), ("湊", "ミナト"), ("凛", "リン"), ("陽翔", "ハルト"), ("美咲", "ミサキ"), ("悠真", "ユウマ"),
         ("さくら", "サクラ"), ("颯太", "ソウタ"), ("結菜", "ユイナ"), ("樹", "イツキ"), ("芽依", "メイ"),
         ("大和", "ヤマト"), ("莉子", "リコ"), ("翔", "ショウ"), ("美月", "ミツキ"), ("健太", "ケンタ"),
         ("愛", "アイ"), ("拓海", "タクミ"), ("彩", "アヤ"), ("翼", "ツバサ"), ("千尋", "チヒロ"), ("直樹", "ナオキ"),
         ("真由美", "マユミ"), ("誠", "マコト"), ("恵子", "ケイコ"), ("浩", "ヒロシ"), ("裕子", "ユウコ"),
         ("隆", "タカシ"), ("明美", "アケミ"), ("学", "マナブ"), ("由美", "ユミ"), ("修", "オサム"),
         ("久美子", "クミコ"), ("豊", "ユタカ"), ("智子", "トモコ"), ("剛", "ツヨシ"), ("直美", "ナオミ"),
         ("達也", "タツヤ"), ("香織", "カオリ"), ("和也", "カズヤ"), ("麻衣", "マイ"), ("大輔", "ダイスケ"),
         ("舞", "マイ"), ("亮", "リョウ"), ("絵美", "エミ"), ("翔太", "ショウタ"), ("沙織", "サオリ"),
         ("健一", "ケンイチ"), ("瞳", "ヒトミ"), ("雄一", "ユウイチ"), ("奈々", "ナナ"), ("洋平", "ヨウヘイ"),
         ("優子", "ユウコ"), ("康介", "コウスケ"), ("遥", "ハルカ"), ("悠人", "ユウト"), ("七海", "ナナミ"),
         ("海斗", "カイト"), ("楓", "カエデ"), ("蒼", "アオ"), ("紬", "ツムギ"), ("律", "リツ"), ("澪", "ミオ"),
         ("陸", "リク"), ("心春", "コハル"), ("朝陽", "アサヒ"), ("杏", "アン"), ("奏", "カナデ"), ("詩", "ウタ"),
         ("新", "アラタ"), ("咲", "サキ"), ("岳", "ガク"), ("琴音", "コトネ"), ("慎也", "シンヤ"), ("綾香", "アヤカ"),
         ("昌平", "ショウヘイ"), ("由佳", "ユカ"), ("光", "ヒカル"), ("夏美", "ナツミ"), ("俊介", "シュンスケ"),
         ("理沙", "リサ"), ("哲也", "テツヤ"), ("早紀", "サキ"), ("祐介", "ユウスケ"), ("雅美", "マサミ"),
         ("一郎", "イチロウ"), ("春香", "ハルカ"), ("秀樹", "ヒデキ"), ("京子", "キョウコ"), ("進", "ススム"),
         ("文子", "フミコ"), ("茂", "シゲル"), ("幸子", "サチコ"), ("勇", "イサム")]


def figures(label: str, samples: list[float], rows: list[int]) -> None:
    samples = sorted(samples)
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    print(f"  {label:<40} median {statistics.median(samples):8.2f} ms   p95 {p95:8.2f} ms"
          f"   (results: median {statistics.median(rows):.0f})")


def search_indexes_migration():
    """The customers migration that creates the search indexes (whatever its number)."""
    import importlib

    path = next((ROOT / "customers" / "migrations").glob("*_profile_privacy.py"))
    return importlib.import_module(f"customers.migrations.{path.stem}")


def generate(connection, count: int) -> None:
    """``count`` customers in one INSERT ... SELECT; search columns as ``fill_search_fields``."""
    family = ",".join(f"('{k}','{kana}')" for k, kana in FAMILY)
    given = ",".join(f"('{k}','{kana}')" for k, kana in GIVEN)
    nf, ng = len(FAMILY), len(GIVEN)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # a bulk load: drop the search indexes, insert, build them again (as a restore would)
            migration = search_indexes_migration()
            for name in migration.SEARCH_INDEX_NAMES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
            cursor.execute(f"""
                WITH f(i, k, kana) AS (SELECT row_number() OVER () - 1, * FROM (VALUES {family}) v),
                     g(i, k, kana) AS (SELECT row_number() OVER () - 1, * FROM (VALUES {given}) v),
                     n AS (SELECT s AS n FROM generate_series(1::bigint, %s::bigint) s)
                INSERT INTO customers_customer (email, family_name, given_name, family_name_kana, given_name_kana,
                    phone, phone_digits, postal_code, prefecture, address, preferred_size, city, gender, language,
                    preferred_channel, sizes, interests, search_text, name_key, kana_key, created_at, time_zone)
                SELECT 'c' || n || '@example.jp', f.k, g.k, f.kana, g.kana,
                       '090-' || lpad(((n * 7919) %% 10000)::text, 4, '0') || '-' || lpad((n %% 10000)::text, 4, '0'),
                       '090' || lpad(((n * 7919) %% 10000)::text, 4, '0') || lpad((n %% 10000)::text, 4, '0'),
                       '', lpad((1 + n %% 47)::text, 2, '0'), '', '', '', '', '', '', '{{}}', '[]',
                       f.k || g.k || f.kana || g.kana || f.k || g.k || f.kana || g.kana || 'c' || n || '@example.jp',
                       f.k || g.k, f.kana || g.kana,
                       now() - (n || ' minutes')::interval, ''
                FROM n JOIN f ON f.i = (n * 31) %% {nf} JOIN g ON g.i = (n * 17 + n / {nf}) %% {ng}
            """, [count])
            started = time.perf_counter()
            for statement in migration.SEARCH_INDEXES:
                cursor.execute(statement)
            print(f"  search indexes built in {time.perf_counter() - started:.1f} s")
            cursor.execute("ANALYZE customers_customer")
        else:
            cursor.execute(f"""
                WITH RECURSIVE n(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM n WHERE n < %s),
                     f(i, k, kana) AS (SELECT row_number() OVER () - 1, * FROM (VALUES {family})),
                     g(i, k, kana) AS (SELECT row_number() OVER () - 1, * FROM (VALUES {given}))
                INSERT INTO customers_customer (email, family_name, given_name, family_name_kana, given_name_kana,
                    phone, phone_digits, postal_code, prefecture, address, preferred_size, city, gender, language,
                    preferred_channel, sizes, interests, search_text, name_key, kana_key, created_at, time_zone)
                SELECT 'c' || n || '@example.jp', f.k, g.k, f.kana, g.kana,
                       '090-' || substr('0000' || ((n * 7919) %% 10000), -4) || '-' || substr('0000' || (n %% 10000), -4),
                       '090' || substr('0000' || ((n * 7919) %% 10000), -4) || substr('0000' || (n %% 10000), -4),
                       '', substr('0' || (1 + n %% 47), -2), '', '', '', '', '', '', '{{}}', '[]',
                       f.k || g.k || f.kana || g.kana || f.k || g.k || f.kana || g.kana || 'c' || n || '@example.jp',
                       f.k || g.k, f.kana || g.kana,
                       datetime('now', '-' || n || ' minutes'), ''
                FROM n JOIN f ON f.i = (n * 31) %% {nf} JOIN g ON g.i = (n * 17 + n / {nf}) %% {ng}
            """, [count])
            cursor.execute("ANALYZE")


def child(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from customers.models import Customer
    from customers.selectors import customer_search
    from kernel.japan import search_key

    call_command("migrate", verbosity=0)
    count = args.customers
    started = time.perf_counter()
    generate(connection, count)  # autocommit: the index builds must not follow pending FK checks
    print(f"{connection.vendor}: {count:,} customers generated in {time.perf_counter() - started:.1f} s")
    check = Customer.objects.order_by("id").first()
    expected = (check.search_text, check.name_key, check.kana_key)
    check.fill_search_fields()
    assert (check.search_text, check.name_key, check.kana_key) == expected, "search columns differ from Python"
    assert search_key(expected[0]) == expected[0], "search_text is not a search key"

    rng = random.Random(8)
    picks = list(Customer.objects.filter(pk__in=[rng.randint(1, count) for _ in range(args.samples * 3)]).values(
        "family_name", "given_name", "family_name_kana", "given_name_kana", "phone", "email"))
    kinds = {
        "kana, 2 characters (ヤマ)": lambda c: c["family_name_kana"][:2],
        "kana, 4 characters (ヤマダハ)": lambda c: (c["family_name_kana"] + c["given_name_kana"])[:4],
        "kana, full name (ヤマダハナコ)": lambda c: c["family_name_kana"] + c["given_name_kana"],
        "hiragana family name (やまだ)": lambda c: "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch
                                                      for ch in c["family_name_kana"]),
        "kanji, 2 characters (山田)": lambda c: c["family_name"][:2],
        "kanji, full name (山田花子)": lambda c: c["family_name"] + c["given_name"],
        "phone, last 4 digits": lambda c: c["phone"][-4:],
        "phone, full number (full-width)": lambda c: c["phone"].translate(str.maketrans("0123456789-", "０１２３４５６７８９－")),
        "email, full address": lambda c: c["email"],
    }
    for label, make in kinds.items():
        samples, rows = [], []
        queries = [make(c) for c in picks[:args.samples]]
        for query in queries[:5]:  # warm the caches a little, as a running server would be
            list(customer_search(query=query))
        for query in queries:
            t0 = time.perf_counter()
            found = list(customer_search(query=query))
            samples.append((time.perf_counter() - t0) * 1000)
            rows.append(len(found))
        figures(label, samples, rows)
        if connection.vendor == "postgresql" and args.plans:
            sql, params = customer_search(query=queries[0]).query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
                for (line,) in cursor.fetchall()[:12]:
                    print("      " + line)


def run(backend: str, args) -> None:
    count = args.customers if backend == "postgresql" else args.sqlite_customers
    run_child(script=__file__, backend=backend, postgres=args.postgres, prefix="customer-search-bench",
              args=["--customers", str(count), "--samples", str(args.samples), *(["--plans"] if args.plans else [])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="PostgreSQL scale")
    parser.add_argument("--sqlite-customers", type=int, default=100_000, help="SQLite scale")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    parser.add_argument("--plans", action="store_true", help="print one EXPLAIN ANALYZE per kind (PostgreSQL)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnishop.settings")
        child(args)
        return
    for backend in ("postgresql", "sqlite"):
        if (backend == "sqlite" and args.postgres_only) or (backend == "postgresql" and args.sqlite_only):
            continue
        run(backend, args)


if __name__ == "__main__":
    main()
