"""Render one social card (1080x1080 and 1200x630) and one POP sign; print ms per render.

Also the whole request path of the console's card page: a 4000x3000 camera JPEG upload is
checked and decoded (JPEG draft mode: at reduced scale), composed and encoded as PNG.

Goal: a social card in under 150 ms. Needs `manage.py fonts_install` (the Japanese font).
Run: .venv/bin/python bench/social_card.py
"""

import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnishop.settings")

import django  # noqa: E402

django.setup()

from PIL import Image, ImageDraw  # noqa: E402

from brandkit import assets  # noqa: E402
from brandkit.theme import DEFAULT_COLOURS  # noqa: E402


def sample_photo() -> Image.Image:
    photo = Image.new("RGB", (1600, 1200), (220, 210, 190))
    draw = ImageDraw.Draw(photo)
    for i in range(0, 1600, 40):
        draw.line((i, 0, 1600 - i, 1200), fill=(120 + i % 100, 140, 160), width=6)
    return photo


def main(runs: int = 20) -> None:
    photo = sample_photo()
    source_logo = Image.new("RGBA", (400, 160), (31, 78, 121, 255))
    started = time.perf_counter()
    assets.warm_fonts()  # what the first card of each format pays once per process
    print(f"fonts: {(time.perf_counter() - started) * 1000:.0f} ms to load every face once per process")
    for kind in ("square", "landscape", "pop"):
        limit = 160 if kind == "pop" else 120
        started = time.perf_counter()
        logo = assets.prepared_logo(("bench", kind), lambda: source_logo, limit)  # once per kit version
        assets.png_bytes(assets.compose_card(kind=kind, headline="夏のリネンシャツ入荷", colours=DEFAULT_COLOURS,
                                             photo=photo, logo=logo, subline="¥5,500（税込）"))
        first = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        for _ in range(runs):
            png = assets.png_bytes(assets.compose_card(kind=kind, headline="夏のリネンシャツ入荷",
                                                       colours=DEFAULT_COLOURS, photo=photo, logo=logo,
                                                       subline="¥5,500（税込）", brand_name="ミナト商店"))
        ms = (time.perf_counter() - started) / runs * 1000
        goal = "" if kind == "pop" else (" OK" if ms < 150 else " MISSED")
        print(f"{kind:9s} {assets.SIZES[kind][0]}x{assets.SIZES[kind][1]}: {ms:.1f} ms per PNG "
              f"(first {first:.1f} ms, {len(png) // 1024} KiB){goal if kind != 'pop' else ' (print sign, no goal)'}")


def upload_path(runs: int = 10) -> None:
    buffer = io.BytesIO()
    sample_photo().resize((4000, 3000)).save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    logo = assets.prepared_logo(("bench", "upload"), lambda: Image.new("RGBA", (400, 160), (31, 78, 121, 255)), 120)
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        photo = assets.open_upload(io.BytesIO(data), max_bytes=10 * 1024 * 1024, min_side=200,
                                   draft_size=(1200, 900), mode="RGB")
        assets.png_bytes(assets.compose_card(kind="square", headline="夏のリネンシャツ入荷", colours=DEFAULT_COLOURS,
                                             photo=photo, logo=logo, subline="¥5,500（税込）"))
        times.append((time.perf_counter() - started) * 1000)
    ms = statistics.median(times[1:])
    print(f"upload    4000x3000 JPEG ({len(data) // 1024} KiB) -> 1080x1080 PNG: {ms:.1f} ms median "
          f"{'OK' if ms < 150 else 'MISSED'}")


if __name__ == "__main__":
    main()
    upload_path()
