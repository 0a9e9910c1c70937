"""Render one social card (1080x1080 and 1200x630) and one POP sign; print ms per render.

Goal: a social card in under 150 ms. Needs `manage.py fonts_install` (the Japanese font).
Run: .venv/bin/python bench/social_card.py
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnishop.settings")

import django  # noqa: E402

django.setup()

from PIL import Image, ImageDraw  # noqa: E402

from brandkit import assets  # noqa: E402
from brandkit.selectors import DEFAULT_COLOURS  # noqa: E402


def sample_photo() -> Image.Image:
    photo = Image.new("RGB", (1600, 1200), (220, 210, 190))
    draw = ImageDraw.Draw(photo)
    for i in range(0, 1600, 40):
        draw.line((i, 0, 1600 - i, 1200), fill=(120 + i % 100, 140, 160), width=6)
    return photo


def main(runs: int = 20) -> None:
    photo = sample_photo()
    logo = Image.new("RGBA", (400, 160), (31, 78, 121, 255))
    assets.font(64)  # load the font once, as a long-running server does
    for kind in ("square", "landscape", "pop"):
        assets.png_bytes(assets.compose_card(kind=kind, headline="夏のリネンシャツ入荷", colours=DEFAULT_COLOURS,
                                             photo=photo, logo=logo, subline="¥5,500（税込）"))
        started = time.perf_counter()
        for _ in range(runs):
            png = assets.png_bytes(assets.compose_card(kind=kind, headline="夏のリネンシャツ入荷",
                                                       colours=DEFAULT_COLOURS, photo=photo, logo=logo,
                                                       subline="¥5,500（税込）", brand_name="ミナト商店"))
        ms = (time.perf_counter() - started) / runs * 1000
        goal = "" if kind == "pop" else (" OK" if ms < 150 else " MISSED")
        print(f"{kind:9s} {assets.SIZES[kind][0]}x{assets.SIZES[kind][1]}: {ms:.1f} ms per PNG "
              f"({len(png) // 1024} KiB){goal if kind != 'pop' else ' (print sign, no goal)'}")


if __name__ == "__main__":
    main()
