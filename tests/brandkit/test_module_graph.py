"""The brand kit's modules import each other in one direction only, and lean on no private
CPython module. Read from the source (every import, also those inside functions), so an
import that only runs later still counts."""

import ast
from pathlib import Path

import brandkit

PACKAGE = Path(brandkit.__file__).parent
PRIVATE_STDLIB = {"sre_parse", "sre_compile", "sre_constants", "re._parser", "re._compiler", "re._constants",
                  "re._casefix"}


def module_name(path: Path) -> str:
    parts = ("brandkit", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts}


def imported_names(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute (``from . import a`` names ``brandkit.a``)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: {other for other in imported_names(path) if other in known and other != name}
            for name, path in known.items()}


def reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for other in edges[todo.pop()]:
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return seen


def test_no_brandkit_module_imports_one_that_imports_it_back():
    edges = graph()
    cycles = sorted(f"{name} -> ... -> {name}" for name in edges if name in reachable(edges, name))
    assert cycles == []


def test_selectors_and_services_do_not_import_each_other():
    edges = graph()
    assert "brandkit.services" not in reachable(edges, "brandkit.selectors")
    assert "brandkit.selectors" not in reachable(edges, "brandkit.services")


def test_the_graph_sees_imports_inside_functions():
    edges = graph()
    # assets is imported at module level by services, views and forms; the console imports
    # PIL inside a function: a deferred import is an edge like any other.
    assert "brandkit.assets" in edges["brandkit.services"]
    assert "PIL" in imported_names(PACKAGE / "views" / "console.py")


def test_no_brandkit_module_uses_a_private_cpython_module():
    found = {name: sorted(imported_names(path) & PRIVATE_STDLIB) for name, path in modules().items()}
    assert {name: private for name, private in found.items() if private} == {}
    for name, path in modules().items():
        source = path.read_text(encoding="utf-8")
        assert "re._parser" not in source and "sre_parse" not in source, name
