"""The allowed arrows between apps are import-linter contracts (pyproject.toml,
[tool.importlinter]); .ci/run runs `lint-imports` on the tree. These tests show the contracts
hold and that they do fail when an import points back."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
PACKAGES = ["kernel", "brandkit", "inventory", "customers", "orders", "campaigns", "omnishop"]

pytestmark = pytest.mark.skipif(LINT_IMPORTS is None, reason="import-linter is not installed (pip install -e .[dev])")


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run([LINT_IMPORTS, "--config", str(tree / "pyproject.toml"), "--no-cache"], cwd=tree,
                          capture_output=True, text=True, timeout=120)


def copy_of_the_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    ignore = shutil.ignore_patterns("__pycache__", "templates", "static", "*.mo", "*.po")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tree / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_tree_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(("module", "back_arrow", "contracts"), [
    ("kernel/japan.py", "import orders", 2),  # the kernel importing a domain: both contracts
    ("inventory/models.py", "from customers import models as customer_models", 1),  # siblings
    ("brandkit/models.py", "import inventory.models", 1),
    ("orders/models.py", "import omnishop.demo", 1),  # nothing imports the shell
])
def test_an_import_that_points_back_fails(tmp_path, module, back_arrow, contracts):
    tree = copy_of_the_tree(tmp_path)
    clean = lint_imports(tree)
    assert clean.returncode == 0  # the copy alone passes
    total = clean.stdout.count(" KEPT")  # every contract in pyproject.toml
    with (tree / module).open("a") as source:
        source.write(f"\n{back_arrow}  # noqa\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert f"Contracts: {total - contracts} kept, {contracts} broken." in result.stdout
