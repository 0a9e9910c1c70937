"""The README's URL table and the routes agree (its /brand-guide/ answered 404)."""

import re
from pathlib import Path

from django.urls import Resolver404, resolve

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_paths() -> list[str]:
    text = README.read_text(encoding="utf-8")
    table = text.split("## URLs", 1)[1].split("\n## ", 1)[0]
    paths = re.findall(r"`(/[^`]*)`", table)
    assert "/brand-guide/" in " ".join(paths)
    # /api/v1/products/{code}/availability/ and /brand-guide/<token>/: fill in a sample value;
    # "/api/v1/…" is a prefix, not a page
    return [re.sub(r"\{[^}]+\}|<[^>]+>", "sample", path) for path in paths if not path.endswith("…")]


def test_every_path_the_readme_lists_is_routed():
    missing = []
    for path in readme_paths():
        try:
            resolve(path)
        except Resolver404:
            missing.append(path)
    assert missing == []
