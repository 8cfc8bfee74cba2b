"""Modules bound by a dynamic import whose module name the code gives: ``model = __import__(config['model'])``,
``net = importlib.import_module(args.arch)``. The name is a string constant, or the literal ``default=`` of the
one argparse option of that name (``--model``, default ``'model'``) declared in this file or in a project file
it imports (RULES.md: an option's default is the value the program runs with). When that names a project
module, the local name is an import of it (``model.imports``), as ``import model`` would bind it, so every
analysis that follows an import follows it (``model.Generator(**config)`` builds that module's class)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import libcst as cst

from bn_lint.semantic.syntax.constants import evaluate

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope

_IMPORTERS = frozenset({"importlib.import_module"})


def bind_dynamic_imports(model: "FileModel") -> None:
    """Add to ``model.imports`` each name bound only by a dynamic import of a known project module."""
    project = model.project
    if project is None or ("__import__" not in model.source and "import_module" not in model.source):
        return
    found: dict[str, set[str | None]] = {}
    for site in model.calls:
        call = site.node
        if not _dynamic_import(model, call) or not call.args or call.args[0].keyword is not None:
            continue
        parent = model.parent(call)
        if not (isinstance(parent, cst.Assign) and parent.value is call and len(parent.targets) == 1
                and isinstance(parent.targets[0].target, cst.Name)):
            continue
        name = parent.targets[0].target.value
        if name in model.imports or len(site.scope.bindings.get(name, ())) != 1 or name in site.scope.opaque:
            continue
        module = _module_name(model, call.args[0].value, site.scope) \
            or _branch_module_name(model, call.args[0].value, site.scope)
        found.setdefault(name, set()).add(module if module is not None and project.resolve_module(module, model.path)
                                          is not None else None)
    for name, modules in found.items():
        if len(modules) == 1 and None not in modules:  # (one name of two functions bound to two modules: neither)
            model.imports[name] = modules.pop()


def _dynamic_import(model: "FileModel", call: cst.Call) -> bool:
    func = call.func
    if isinstance(func, cst.Name) and func.value == "__import__":
        return "__import__" not in model.module_scope.bindings and "__import__" not in model.functions
    return model.qualname(func) in _IMPORTERS


def _module_name(model: "FileModel", expr: cst.BaseExpression, scope: "Scope") -> str | None:
    """The module name ``expr`` certainly holds: a constant, or the option default its key names."""
    value = evaluate(expr, model, scope)
    if isinstance(value, str):
        return value
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
        key = evaluate(expr.slice[0].slice.value, model, scope)  # `config['model']` of `vars(args)`
    elif isinstance(expr, cst.Attribute):
        key = expr.attr.value  # `args.model`
    else:
        return None
    if not isinstance(key, str):
        return None
    defaults = {default for default in _option_defaults(model, key)}
    return defaults.pop() if len(defaults) == 1 and None not in defaults else None


def _branch_module_name(model: "FileModel", expr: cst.BaseExpression, scope: "Scope") -> str | None:
    """The first of the module names a local variable is bound to on its branches (``if way == 'base':
    module_name = 'models.networks_base' elif ...``), when every binding is a string constant naming a project
    module: one visible path (RULES.md, Evidence), the one the code lists first."""
    if not isinstance(expr, cst.Name) or expr.value in scope.opaque or model.project is None:
        return None
    values = scope.bindings.get(expr.value) or []
    names = [evaluate(value, model, scope) if value is not None else None for value in values]
    if not 1 < len(names) <= 16 or not all(isinstance(name, str) for name in names):
        return None
    if any(model.project.resolve_module(name, model.path) is None for name in names):
        return None
    return names[0]


def _option_defaults(model: "FileModel", dest: str) -> Iterator[str | None]:
    """The ``default=`` of each argparse option ``dest`` declared in this file and the project files it
    imports (None where it is not a string constant, or a ``set_defaults`` may change it)."""
    from bn_lint.semantic.file.project_imports import imported_project_paths

    project = model.project
    files = [model]
    for path in imported_project_paths(model):
        if project is not None and project.mentions(path, "add_argument"):
            other = project.model(path)
            if other is not None and other is not model:
                files.append(other)
    for one in files:
        for site in one.calls:
            call = site.node
            if not isinstance(call.func, cst.Attribute):
                continue
            if call.func.attr.value == "set_defaults" and any(a.keyword is not None and a.keyword.value == dest
                                                              for a in call.args):
                yield None
            if call.func.attr.value != "add_argument":
                continue
            flags = [evaluate(a.value, one, site.scope) for a in call.args if a.keyword is None and not a.star]
            keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
            named = evaluate(keywords["dest"], one, site.scope) if "dest" in keywords else next(
                (f.lstrip("-").replace("-", "_") for f in flags if isinstance(f, str) and f.startswith("--")),
                flags[0] if flags and isinstance(flags[0], str) else None)
            if named != dest:
                continue
            default = evaluate(keywords["default"], one, site.scope) if "default" in keywords else None
            yield default if isinstance(default, str) else None
