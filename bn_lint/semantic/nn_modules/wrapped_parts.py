"""The modules a project class wraps: the arguments of ``Wrapper(encoder, head)`` that its ``__init__``
stores on ``self`` (``self.encoder = encoder``) and its methods run as submodules (``self.encoder(x)``).
A wrapper holds what they hold, whatever its own body builds."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import libcst as cst

from bn_lint.semantic.evaluators.call_binding import bind, positional_names
from bn_lint.semantic.file.classes import stored_on_self
from bn_lint.semantic.project.definitions import project_class

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope


def wrapped_arguments(model: "FileModel", call: cst.Call, scope: "Scope | None") -> list[cst.BaseExpression]:
    """The arguments of ``call`` (a project class built) that the instance keeps and runs as submodules."""
    found = project_class(model, call.func)
    init = found[1].methods.get("__init__") if found is not None else None
    if init is None:
        return []
    run = _run_submodules(found[0], found[1].node)
    stored = {param: attribute for attribute, param in stored_on_self(init) if attribute in run}
    if not stored:
        return []
    bound = bind(call, positional_names(init, skip=1), model, scope)
    unpacked = any(arg.star for arg in call.args)  # (`Model(*args, **kwargs)`: what they pass is not shown)
    return [bound.values[param] if param in bound.values else _UNSHOWN for param in stored
            if param in bound.values or unpacked]


# an argument passed through ``*args`` / ``**kwargs``: a module of unknown class (a sentinel, not a node: libcst is
# imported only when a file needs a parse)
_UNSHOWN: Any = object()


def _run_submodules(model: "FileModel", node: cst.ClassDef) -> frozenset[str]:
    """The attributes the class's methods call: ``self.encoder(x)``."""
    cache = model.__dict__.setdefault("_run_submodules", {})
    if node not in cache:
        cache[node] = frozenset(
            call.func.attr.value for call in model.nodes_of(node, cst.Call)
            if isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name)
            and call.func.value.value == "self")
    return cache[node]


def opaque_module_argument(model: "FileModel", value: cst.BaseExpression, scope: "Scope | None") -> bool:
    """A wrapped argument whose class the code does not show: a parameter of the enclosing function that
    nothing binds (``def train(encoder, ...): Wrapper(encoder)``)."""
    if not isinstance(value, cst.Name):
        return False
    current = scope
    while current is not None and current.kind == "class":
        current = current.parent
    return current is not None and current.kind == "function" and value.value in current.params \
        and not current.bindings.get(value.value) and value.value not in current.opaque


def wraps_unknown(model: "FileModel", call: cst.Call, scope: "Scope | None",
                  kind_of: Callable[[cst.BaseExpression], Any]) -> bool:
    """Whether ``call`` builds a wrapper around a module that may hold BatchNorm (``kind_of`` an argument:
    ``modules.model_kind``): one of unknown content (MAYBE), or one of unknown class in a project that builds
    BatchNorm (RULES.md, Evidence). A BatchNorm argument is the caller's to see (``_bn_argument``)."""
    from bn_lint.semantic.project.builds_batchnorm import project_builds_batchnorm

    for arg in wrapped_arguments(model, call, scope):
        if arg is _UNSHOWN:
            if project_builds_batchnorm(model):
                return True
            continue
        kind = kind_of(arg)
        if getattr(kind, "value", None) == "maybe" or kind is None and opaque_module_argument(model, arg, scope) \
                and project_builds_batchnorm(model):
            return True
    return False
