"""Constants are defined once and imported (issue 7, item 9). The behaviour each one drives is
tested where it is used (tests/orders/test_tax_rates.py, tests/inventory/test_low_stock.py,
tests/orders/test_order_numbers.py, ...); this module guards against a copy creeping back in:
each pattern below is what a copy looked like before."""

import re
from pathlib import Path

import pytest

from orders.models import PICKUP_CODE_ALPHABET

ROOT = Path(__file__).resolve().parents[2]


def _sources(*suffixes: str) -> dict[str, str]:
    """Source and template files of the project's packages and top-level templates (no tests,
    no migrations: a migration freezes the values of its day)."""
    roots = [path for path in ROOT.iterdir()
             if path.is_dir() and ((path / "__init__.py").exists() or path.name == "templates") and path.name != "tests"]
    return {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
            for root in roots for path in root.rglob("*")
            if path.suffix in suffixes and "migrations" not in path.parts and "__pycache__" not in path.parts}


def _hits(pattern: str, files: dict[str, str]) -> list[str]:
    compiled = re.compile(pattern)
    return sorted(f"{name}: {match.group(0)}" for name, text in files.items() for match in compiled.finditer(text))


PYTHON = _sources(".py")
TEMPLATES = _sources(".html", ".txt")


@pytest.mark.parametrize(("what", "pattern", "files", "allowed"), [
    # tax rates: kernel.japan
    ("a tax rate compared with a number", r"rate\s*[=!]=\s*\d+", PYTHON, []),
    ("the rates listed by hand", r"tax_rate__in\s*=\s*[\[(]\s*\d", PYTHON, []),
    ("a rate assigned", r"(?m)^(?:REDUCED|STANDARD)_(?:TAX_)?RATE\s*=", PYTHON,
     ["kernel/japan.py: REDUCED_TAX_RATE =", "kernel/japan.py: STANDARD_TAX_RATE ="]),
    ("a rate written into a template", r"(?<![\w{.])(?:8|10)\s?%(?!\})", TEMPLATES, []),
    ("a tax class compared in a template", r"tax_class\s*==", TEMPLATES, []),
    # the staff's low-stock threshold: inventory.models
    ("a low-stock threshold", r"(?m)^LOW_STOCK_THRESHOLD\s*=|threshold: int = \d", PYTHON,
     ["inventory/models.py: LOW_STOCK_THRESHOLD ="]),
    # order numbers and pickup codes: orders.models
    ("an order number padded by hand", r":08d|LPad\([^)]*\)\s*,\s*\d", PYTHON, []),
    ("the letters of order numbers", r"(?m)^ORDER_NUMBER_\w+", PYTHON,
     ["orders/models.py: ORDER_NUMBER_DIGITS", "orders/models.py: ORDER_NUMBER_PREFIXES"]),
    ("a quantity limit in a template", r'max="\d+"', TEMPLATES, []),
])
def test_defined_once(what, pattern, files, allowed):
    assert _hits(pattern, files) == sorted(allowed), what


def test_the_pickup_code_alphabet_is_written_once():
    assert [name for name, text in PYTHON.items() if PICKUP_CODE_ALPHABET in text] == ["orders/models.py"]


def test_order_event_kinds_are_not_written_as_strings():
    """Order events are read and written through OrderEventKind (see tests/orders/test_order_events.py)."""
    kinds = "placed|ready|handed_over|shipped|tracking|cancelled|cancel_reason|expired"
    # (a journey's step compares its own StepKind: only an order event kind written as a string counts)
    pattern = rf"""kind\s*(?:=|==)\s*["'](?:{kinds})["']|step\.kind\s*==\s*["'](?:{kinds})["']|\("(?:{kinds})", _\("""
    assert _hits(pattern, {**PYTHON, **TEMPLATES}) == []


def test_customer_event_subject_keys_are_built_in_one_place():
    """``order:<number>``, ``sku:<SKU>``, ``product:<code>`` are stored keys: kernel.subjects
    builds them (order_subject, sku_subject, product_subject), no module writes one by hand."""
    pattern = r"""(?:f|rf|fr)?["'](?:order|sku|product):(?!W\d)|["'](?:order|sku|product)["']\s*[+%]"""
    assert _hits(pattern, PYTHON) == []


def test_customer_event_subject_keys_keep_their_stored_shape():
    from kernel.subjects import order_subject, product_subject, sku_subject, split

    assert order_subject("W00004348") == "order:W00004348"
    assert order_subject("W00004348", "ready") == "order:W00004348:ready"
    assert sku_subject("HONEY-0168-1") == "sku:HONEY-0168-1"
    assert product_subject("HONEY-0168") == "product:HONEY-0168"
    assert split(order_subject("W1", "ready")) == ("order", "W1:ready")
