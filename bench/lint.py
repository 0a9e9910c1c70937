"""Lint 10,000 product descriptions of ~300 characters against a kit with 200 rules, through
the real entry point ``brandkit.services.lint``.

    .venv/bin/python bench/lint.py [--texts 10000] [--keep]

Goal: >= 5,000 descriptions/s on one core (one process, one thread; both wall-clock and
CPU-time rates are printed, the second being what a busy machine does not distort). It points
``OMNISHOP_VAR_DIR`` at a temporary directory (its own SQLite database), migrates, and
builds the kit through the services (``brand_start``, ``draft_update``, ``rules_set`` with
200 rules: banned, preferred, product-name spelling and regular-expression rules, and
``version_publish``), so the rules are validated and compiled as in production. Then it
times two paths over the same descriptions (Japanese copy, about 2% of words violations):

* ``services.lint(text, "web", "ja")``: an ad-hoc check (the check-my-copy page, the API);
* ``services.lint(..., record="product-edit")``: what a product description goes through on
  save (``inventory.services.product_description_lint``), which also records the check
  for the consistency score (one ``LintCheck`` row per call, autocommit).

Prints figures; asserts nothing.
"""

import argparse
import os
import platform
import random
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORDS = ["リネン", "シャツ", "コットン", "やわらか", "定番", "毎日", "洗える", "軽い", "夏", "通気性", "肌触り",
         "ミナト商店", "サイズ", "ゆったり", "シルエット", "天然素材", "丁寧", "縫製", "長く", "使える", "。", "、",
         "の", "が", "を", "に", "で", "です", "ます", "オーガニック", "ボタン", "ポケット", "カラー", "ネイビー"]
NOISE = ["激安", "お客", "１２", "ｻｲｽﾞ", "コンピュ-タ", "！", "送料無料！", "30% OFF", "😀", "ミナトショウテン",
         "今だけ特別限定", "No.1"]
PATTERNS = [r"[0-9]+%\s*OFF", r"送料\s*無料[!！]+", r"今だけ.{0,5}限定", r"No\.\s?1", r"[★☆]{2,}",
            r"最[高強]級", r"(?:超|激)お得", r"\d{1,3}(?:,\d{3})+円", r"#[A-Za-z]{20,}", r"https?://\S+",
            r"必ず(?:痩せ|治)", r"業界初", r"[!！]{2,}", r"驚きの価格", r"[0-9０-９]+倍", r"完全無料",
            r"限定[0-9]+名", r"先着[0-9]+", r"(?:今だけ|期間限定)", r"\d+円引き"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=10_000, help="descriptions to lint (default 10,000)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database directory")
    return parser.parse_args()


def load_average() -> str:
    path = Path("/proc/loadavg")
    return " ".join(path.read_text().split()[:3]) if path.exists() else "?"


def setup_django(var_dir: Path) -> None:
    os.environ["OMNISHOP_VAR_DIR"] = str(var_dir)
    os.environ["OMNISHOP_MODE"] = "dev"
    os.environ["DEBUG"] = "0"
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)  # the per-process cache, as in the embedded default
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnishop.settings")
    warnings.filterwarnings("ignore", message="No directory at")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def rules(n_rules: int = 200) -> list:
    """200 rules: 20 regular expressions, 40 product-name spellings, the rest banned and preferred terms."""
    from brandkit.services import RuleIn

    rng = random.Random(1)
    katakana = "アイウエオカキクケコサシスセソタチツテトナニヌネノ"
    out = [RuleIn("pattern", pattern, message="表現ルール") for pattern in PATTERNS]
    out += [RuleIn("banned", "激安", message="「激安」は使わない。", severity="error"),
            RuleIn("preferred", "お客", "お客様"), RuleIn("spelling", "ミナトショウテン", "ミナト商店")]
    index = 0
    while len(out) < n_rules:
        term = "".join(rng.choice(katakana) for _ in range(rng.randint(2, 5))) + str(index)
        kind = ("spelling", "banned", "preferred", "preferred")[index % 4] if index < 160 else "banned"
        out.append(RuleIn(kind, term, "" if kind == "banned" else term + "ー"))
        index += 1
    return out


def build_kit():
    from django.core.management import call_command

    from brandkit import services

    call_command("migrate", verbosity=0)
    kit = services.brand_start(name="ベンチ商店", slug="bench", is_default=True)
    draft = kit.versions.get(status="draft")
    services.draft_update(version=draft, identity={**services.DEFAULT_IDENTITY, "brand_name": "ベンチ商店"},
                          channel_rules=services.DEFAULT_CHANNEL_RULES,
                          notation={"fullwidth_alnum": True, "halfwidth_katakana": True, "long_vowel": True})
    kit_rules = rules()
    started = time.perf_counter()
    services.rules_set(version=draft, rules=kit_rules)
    checked = time.perf_counter() - started
    services.version_publish(version=draft)
    kinds = {}
    for rule in kit_rules:
        kinds[rule.kind] = kinds.get(rule.kind, 0) + 1
    return kit, kinds, checked


def descriptions(n: int) -> list[str]:
    rng = random.Random(2)
    out = []
    for i in range(n):
        parts, length = [], 0
        while length < 300:
            word = rng.choice(NOISE) if rng.random() < 0.02 else rng.choice(WORDS)
            parts.append(word)
            length += len(word)
        out.append("".join(parts)[:300] + str(i))
    return out


def timed(texts: list[str], record: str) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of this thread, violations) for linting every text."""
    from brandkit import services

    services.lint(texts[0], "web", "ja")  # compile the kit once, as the first request of a process does
    violations = 0
    started, cpu_started = time.perf_counter(), time.thread_time()
    for text in texts:
        violations += len(services.lint(text, "web", "ja", record=record))
    return time.perf_counter() - started, time.thread_time() - cpu_started, violations


def main() -> None:
    args = parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="omnishop-bench-lint-"))
    try:
        setup_django(var_dir)
        import sqlite3

        import django
        import regex

        from brandkit.models import LintCheck

        print(f"Python {platform.python_version()}, Django {django.get_version()}, regex {regex.__version__}, "
              f"SQLite {sqlite3.sqlite_version}; {os.cpu_count()} CPUs (one process, one thread); "
              f"load average before: {load_average()}")
        _kit, kinds, checked = build_kit()
        print(f"kit: {sum(kinds.values())} rules ({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))}); "
              f"rules_set validated and probed them in {checked:.2f} s")
        texts = descriptions(args.texts)
        average = sum(map(len, texts)) // len(texts)
        for label, record in (("services.lint, ad-hoc check (not recorded)", ""),
                              ("services.lint(record='product-edit'), the product-save path", "product-edit")):
            before = LintCheck.objects.count()
            wall, cpu, violations = timed(texts, record)
            rate, cpu_rate = len(texts) / wall, len(texts) / cpu
            print(f"{label}: {len(texts)} descriptions x ~{average} chars, {violations} violations, "
                  f"{LintCheck.objects.count() - before} checks recorded\n"
                  f"    wall {wall:.2f} s = {wall / len(texts) * 1000:.3f} ms each = {rate:,.0f} rows/s; "
                  f"CPU {cpu:.2f} s = {cpu / len(texts) * 1000:.3f} ms each = {cpu_rate:,.0f} rows/s per core; "
                  f"goal >= 5,000 rows/s {'OK' if rate >= 5000 else 'MISSED'} (wall), "
                  f"{'OK' if cpu_rate >= 5000 else 'MISSED'} (CPU)")
        print(f"load average after: {load_average()}")
    finally:
        if args.keep:
            print(f"kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
