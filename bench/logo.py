"""Time a logo upload through the console's path: ``LogoForm`` checks the file, then
``brandkit.services.logo_add`` stores it with its renditions (full, mono, reversed, favicons).

    .venv/bin/python bench/logo.py [--runs 3] [--keep]

The case that motivated it (issue 6, defect 8): a 4900x4900 PNG logo of about 60 KB (flat
colours, an indexed palette with transparency) took 13.9 s and about 720 MB in one worker.
Each case runs in a fresh child process (``--child``); the memory figure is that process's
peak resident size during the uploads (``VmHWM``, reset through ``/proc/self/clear_refs``) above
its size just before them (Linux only). Points ``OMNISHOP_VAR_DIR`` at a temporary directory (its own SQLite
database, migrated once). Prints figures; asserts nothing.
"""

import argparse
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASES = {
    # name: (width, height, palette?) -- what a designer exports
    "4900x4900 indexed PNG (the issue's logo)": (4900, 4900, True),
    "4900x4900 RGBA PNG": (4900, 4900, False),
    "1200x480 RGBA PNG (a typical logo)": (1200, 480, False),
}


def setup_django(var_dir: Path) -> None:
    os.environ["OMNISHOP_VAR_DIR"] = str(var_dir)
    os.environ["OMNISHOP_MODE"] = "dev"
    os.environ["DEBUG"] = "0"
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnishop.settings")
    warnings.filterwarnings("ignore", message="No directory at")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def logo_png(width: int, height: int, palette: bool) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    s = min(width, height) / 4900
    draw.ellipse((400 * s, 400 * s, 4500 * s, 4500 * s), fill=(31, 78, 121, 255))
    draw.ellipse((1200 * s, 1200 * s, 3700 * s, 3700 * s), fill=(0, 0, 0, 0))
    for i in range(6):
        draw.rectangle(((700 + i * 600) * s, 2200 * s, (1000 + i * 600) * s, 2700 * s), fill=(230, 120, 40, 255))
    draw.polygon([(2450 * s, 600 * s), (4300 * s, 4000 * s), (600 * s, 4000 * s)], outline=(255, 255, 255, 255),
                 width=max(1, round(40 * s)))
    if palette:
        image = image.quantize(4)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def status_kib(field: str) -> int:
    """A size from /proc/self/status, in KiB (VmRSS: now; VmHWM: the peak since clear_refs)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def child(case: str, runs: int, source: Path) -> None:
    """One case in this process: print a JSON line with the timings and the peak memory (the file
    was made by the parent, so drawing it does not count)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from brandkit import services
    from brandkit.forms import LogoForm

    data = source.read_bytes()
    kit = services.brand_start(name=f"bench {os.getpid()}", slug=f"bench-{os.getpid()}")
    draft = kit.versions.get(status="draft")
    Path("/proc/self/clear_refs").write_text("5")  # reset the high-water mark (VmHWM) to the current size
    baseline = status_kib("VmRSS")
    seconds, cpu, outcome = [], [], ""
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        form = LogoForm(data={"name": "bench"}, files={"logo": SimpleUploadedFile("logo.png", data, "image/png")})
        if form.is_valid():
            logo = services.logo_add(version=draft, upload=form.cleaned_data["logo"], name="bench")
            outcome = f"stored, original {logo.width}x{logo.height}, {len(logo.variants)} renditions"
        else:
            outcome = "refused: " + " ".join(form.errors["logo"])
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    peak = status_kib("VmHWM")
    print(json.dumps({"bytes": len(data), "seconds": seconds, "cpu": cpu, "peak_mb": (peak - baseline) / 1024,
                      "outcome": outcome}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="uploads per case (default 3; the median is shown)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        setup_django(Path(os.environ["OMNISHOP_VAR_DIR"]))
        child(args.child, args.runs, Path(args.source))
        return
    var_dir = Path(tempfile.mkdtemp(prefix="omnishop-bench-logo-"))
    try:
        setup_django(var_dir)
        import django
        import PIL
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(f"Python {platform.python_version()}, Django {django.get_version()}, Pillow {PIL.__version__}; "
              f"{os.cpu_count()} CPUs; load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
        for index, (case, (width, height, palette)) in enumerate(CASES.items()):
            source = var_dir / f"logo-{index}.png"
            source.write_bytes(logo_png(width, height, palette))
            result = subprocess.run([sys.executable, __file__, "--child", case, "--runs", str(args.runs),
                                     "--source", str(source)],
                                    env=os.environ, capture_output=True, text=True, check=True)
            row = json.loads(result.stdout.strip().splitlines()[-1])
            print(f"{case}, {row['bytes'] // 1024} KiB: median {statistics.median(row['seconds']) * 1000:,.0f} ms "
                  f"(min {min(row['seconds']) * 1000:,.0f} ms; CPU median "
                  f"{statistics.median(row['cpu']) * 1000:,.0f} ms; {args.runs} runs), "
                  f"peak +{row['peak_mb']:,.0f} MB; {row['outcome']}")
    finally:
        if args.keep:
            print(f"kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
