import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from PIL import ImageFont

from brandkit import fonts

SOURCE = Path(settings.BASE_DIR) / "node_modules" / fonts.PACKAGE
# ./dev setup installs the npm package; only a run outside it (never CI) may lack it.
pytestmark = pytest.mark.skipif(not (SOURCE / "400.css").exists() and os.environ.get("CI") != "true",
                                reason="npm package not installed (run ./dev setup)")


def test_fonts_install_copies_only_woff2_of_400_and_700_and_writes_font_css(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("fonts_install")
    target = tmp_path / "fonts" / "noto-sans-jp"
    names = {p.name for p in target.iterdir()}
    assert "font.css" in names
    assert "noto-sans-jp-latin-400-normal.woff2" in names
    assert "noto-sans-jp-latin-700-normal.woff2" in names
    assert not any(n.endswith(".woff") for n in names)
    assert not any("-300-" in n or "-500-" in n for n in names)
    css = (target / "font.css").read_text()
    assert "font-display:swap" in css
    assert "format('woff')" not in css
    assert "./files/" not in css
    for referenced in set(__import__("re").findall(r"url\(\./([^)]+)\)", css)):
        assert (target / referenced).exists()
    assert css.count("@font-face") > 200  # every unicode-range subset of both weights


def test_second_fonts_install_copies_nothing(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first = fonts.fonts_install(log=lambda m: None)
    second = fonts.fonts_install(log=lambda m: None)
    assert first.copied > 0
    assert second.copied == 0 and not second.css_written


def test_pillow_sets_japanese_with_the_installed_font(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    fonts.fonts_install(log=lambda m: None)
    face = ImageFont.truetype(str(fonts.pillow_font_path(700)), 40)
    left, top, right, bottom = face.getbbox("港町の定番")
    assert right - left > 150  # five full-width glyphs, not empty boxes of zero width


def test_missing_package_without_npm_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(fonts.FontsUnavailable, match="npm"):
        fonts.ensure_package(tmp_path)
