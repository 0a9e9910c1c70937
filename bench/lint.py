"""Lint 10,000 product descriptions of ~300 characters against a kit with 200 rules.

Goal: >= 5,000 descriptions/s on one core. Run: .venv/bin/python bench/lint.py
The kit is compiled once (as in production, where it is cached per published version);
the loop calls the same CompiledKit.lint the ``lint()`` service uses.
"""

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnishop.settings")

import django  # noqa: E402

django.setup()

from brandkit.linting import CompiledKit  # noqa: E402
from brandkit.services import DEFAULT_CHANNEL_RULES  # noqa: E402

WORDS = ["リネン", "シャツ", "コットン", "やわらか", "定番", "毎日", "洗える", "軽い", "夏", "通気性", "肌触り",
         "ミナト商店", "サイズ", "ゆったり", "シルエット", "天然素材", "丁寧", "縫製", "長く", "使える", "。", "、",
         "の", "が", "を", "に", "で", "です", "ます", "オーガニック", "ボタン", "ポケット", "カラー", "ネイビー"]
NOISE = ["激安", "お客", "１２", "ｻｲｽﾞ", "コンピュ-タ", "！", "送料無料！", "30% OFF", "😀"]


def build_kit(n_rules: int = 200) -> CompiledKit:
    rng = random.Random(1)
    rules = []
    for i in range(n_rules - 20):
        kind = "banned" if i % 3 == 0 else "preferred"
        term = "".join(rng.choice("アイウエオカキクケコサシスセソタチツテトナニヌネノ") for _ in range(rng.randint(2, 5)))
        rules.append({"kind": kind, "pattern": term + str(i), "replacement": "" if kind == "banned" else term,
                      "severity": "warning", "channels": []})
    rules += [{"kind": "banned", "pattern": "激安", "replacement": "", "severity": "error", "channels": []},
              {"kind": "preferred", "pattern": "お客", "replacement": "お客様", "severity": "warning", "channels": []}]
    patterns = [r"[0-9]+%\s*OFF", r"送料\s*無料[!！]+", r"今だけ.{0,5}限定", r"No\.\s?1", r"[★☆]{2,}",
                r"最[高強]級", r"(?:超|激)お得", r"\d{1,3}(?:,\d{3})+円", r"#[A-Za-z]{20,}", r"https?://\S+",
                r"必ず(?:痩せ|治)", r"業界初", r"[!！]{2,}", r"驚きの価格", r"[0-9０-９]+倍", r"完全無料",
                r"限定[0-9]+名", r"先着[0-9]+", ]
    rules += [{"kind": "pattern", "pattern": p, "replacement": "", "severity": "warning", "channels": []}
              for p in patterns]
    assert len(rules) == n_rules, len(rules)
    return CompiledKit.build(rules=rules, channel_rules=DEFAULT_CHANNEL_RULES,
                             notation={"fullwidth_alnum": True, "halfwidth_katakana": True, "long_vowel": True},
                             legal_footer="")


def descriptions(n: int = 10_000) -> list[str]:
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


def main() -> None:
    kit = build_kit()
    texts = descriptions()
    kit.lint(texts[0], "web", "ja")
    started = time.perf_counter()
    violations = 0
    for text in texts:
        violations += len(kit.lint(text, "web", "ja"))
    elapsed = time.perf_counter() - started
    rate = len(texts) / elapsed
    print(f"lint: {len(texts)} descriptions x ~{sum(map(len, texts)) // len(texts)} chars, 200 rules: "
          f"{elapsed:.2f} s, {rate:,.0f} rows/s ({violations} violations); goal >= 5,000 rows/s "
          f"{'OK' if rate >= 5000 else 'MISSED'}")


if __name__ == "__main__":
    main()
