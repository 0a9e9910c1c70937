"""Every action written to the audit trail is named in words: the guard.

The admin's audit trail and the apps' history pages show an entry's action by the label its app
declares on its AppConfig (``audit_actions``, ``kernel.audit.audit_action_labels``); an action
without one shows as a raw service name. The guard reads the source of every installed project
app, finds each call of the trail's writers (``audit_record`` and the other functions of
``kernel.audit`` that take an ``action``) and, through the helpers that hand their ``action``
argument on to it (brandkit's ``_change_record``), each action written, and fails naming the file
and line of any action no app labels, or whose value cannot be told from the source."""

import ast
import importlib
import inspect
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import translation

from kernel import audit
from kernel.audit import audit_action_labels


def kernel_writers() -> dict[str, tuple[int | None, str]]:
    """The trail's own writers: each ``audit_record*`` function of ``kernel.audit`` (the one,
    and any batch variant), as ``name -> (position, keyword)`` of its ``action``."""
    return {name: (None, "action") for name, function in vars(audit).items()
            if name.startswith("audit_record") and inspect.isfunction(function)
            and "action" in inspect.signature(function).parameters}


@dataclass(frozen=True)
class Write:
    where: str
    action: str | None  # None: not a constant the source says


def project_modules() -> list[tuple[str, str, Path]]:
    """``(dotted module name, source, path)`` of every module of the installed project apps
    (not the tests' own apps, not migrations)."""
    root = Path(settings.BASE_DIR).resolve()
    modules = []
    for config in apps.get_app_configs():
        package = Path(config.path).resolve()
        if not package.is_relative_to(root) or package.is_relative_to(root / "tests") or ".venv" in package.parts:
            continue
        for path in sorted(package.rglob("*.py")):
            if "migrations" in path.relative_to(package).parts:
                continue
            dotted = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
            modules.append((dotted, path.read_text(encoding="utf-8"), path.relative_to(root)))
    return modules


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def _action_argument(call: ast.Call, position: int | None, keyword: str) -> ast.expr | None:
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    if position is not None and len(call.args) > position:
        return call.args[position]
    return None


def audit_writes(modules) -> list[Write]:
    """The actions the sources write to the audit trail. A function that passes one of its own
    parameters as the action of a writer is a writer too (found until none is added); its
    callers' arguments are what is written."""
    trees = [(dotted, ast.parse(source), str(path)) for dotted, source, path in modules]
    writers = kernel_writers()  # name -> (position, keyword) of the action argument
    passing: set[int] = set()  # the calls that only hand a parameter on
    added = True
    while added:
        added = False
        for _dotted, tree, _path in trees:
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                arguments = function.args.posonlyargs + function.args.args
                names = [a.arg for a in arguments] + [a.arg for a in function.args.kwonlyargs]
                for call in ast.walk(function):
                    if not isinstance(call, ast.Call) or _called_name(call) not in writers:
                        continue
                    value = _action_argument(call, *writers[_called_name(call)])
                    if isinstance(value, ast.Name) and value.id in names:
                        passing.add(id(call))
                        if function.name not in writers:
                            position = next((i for i, a in enumerate(arguments) if a.arg == value.id), None)
                            writers[function.name] = (position, value.id)
                            added = True
    writes = []
    for dotted, tree, path in trees:
        namespace = None
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call) or _called_name(call) not in writers or id(call) in passing:
                continue
            value = _action_argument(call, *writers[_called_name(call)])
            where = f"{path}:{call.lineno}"
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                writes.append(Write(where, value.value))
                continue
            try:  # a name the module defines, e.g. KitAction.DRAFT_EDITED
                namespace = namespace or vars(importlib.import_module(dotted))
                action = eval(compile(ast.Expression(value), where, "eval"), dict(namespace))  # noqa: S307
            except Exception:  # noqa: BLE001  (a local variable, a call: the source does not say)
                action = None
            writes.append(Write(where, str(action) if isinstance(action, str) else None))
    return writes


def test_every_audited_action_has_a_declared_label():
    writes = audit_writes(project_modules())
    labels = audit_action_labels()
    unknown = [w.where for w in writes if w.action is None]
    unlabelled = [f"{w.where}: {w.action}" for w in writes if w.action is not None and w.action not in labels]
    assert unknown == [], "use a string literal or a declared choice as the action"
    assert unlabelled == [], "declare a label in the app's AppConfig.audit_actions (and its Japanese)"


def test_the_guard_knows_the_kernels_writers():
    assert "audit_record" in kernel_writers()
    assert "audit_action_label" not in kernel_writers() and "audit_changes" not in kernel_writers()


def test_the_guard_sees_the_writes_of_every_auditing_app():
    """Not vacuous: the scan finds the writes of each app that audits, through brandkit's helper too."""
    actions = {w.action for w in audit_writes(project_modules())}
    assert {"delivery_release", "customer_create", "customer_delete", "product_update", "location_create",
            "variant_delete", "draft_update", "version_publish", "logo_add"} <= actions


def test_the_guard_fails_on_an_unlabelled_or_untold_action(tmp_path):
    source = textwrap.dedent('''
        from kernel.audit import audit_record

        def widget_make(*, acting_user, widget):
            audit_record(actor=acting_user, action="widget_make", obj=widget)

        def _record(what, *, acting_user, obj):
            audit_record(actor=acting_user, action=what, obj=obj)

        def widget_break(*, acting_user, widget):
            _record("widget_break", acting_user=acting_user, obj=widget)

        def widget_any(*, acting_user, widget, kind):
            audit_record(actor=acting_user, action=f"widget_{kind}", obj=widget)
    ''')
    path = tmp_path / "widgets.py"
    path.write_text(source)
    writes = audit_writes([("widgets", source, path)])
    assert sorted((w.action or "?") for w in writes) == ["?", "widget_break", "widget_make"]
    assert not {"widget_break", "widget_make"} & set(audit_action_labels())


@pytest.mark.parametrize("action", sorted(audit_action_labels()))
def test_each_label_is_in_japanese(action):
    label = audit_action_labels()[action]
    with translation.override("en"):
        english = str(label)
    with translation.override("ja"):
        assert str(label) != english, action
