"""What an instance holds of what its builder holds: ``self.mcts = PVMCTS(model)`` beside ``self.model = model`` in
``__init__`` makes ``self.mcts.model`` the class's own ``self.model``, and ``mcts = MCTS(self)`` in a method makes
``mcts.model`` that method's ``self``. A method run on the instance (``self.mcts.search(x)``) runs the builder's
model, in the mode the builder's callers leave it in (``entry``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.evaluators.call_binding import bind
from bn_lint.semantic.project.definitions import project_class
from .constructors import stored_by_init
from .keys import _unwrap_passthrough, key_of

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel
    from .analysis import ModeAnalysis


def stored_arguments(model: "FileModel", call: cst.Call) -> dict[str, cst.BaseExpression]:
    """attribute -> argument, for the arguments the project class that ``call`` builds (of any file) stores on
    ``self`` in its ``__init__``."""
    if not isinstance(call.func, (cst.Name, cst.Attribute)) or any(arg.star for arg in call.args):
        return {}
    found = project_class(model, call.func)
    chain = stored_by_init(*found) if found is not None else None
    if chain is None:
        return {}
    init, stored = chain
    names = [p.name.value for p in init.params.params[1:]] + [p.name.value for p in init.params.kwonly_params]
    return {stored[param]: arg for param, arg in bind(call, names).values.items() if param in stored}


def instance_aliases(model: "FileModel", info: "ClassInfo") -> dict[str, str]:
    """``{"self.mcts.model": "self.model"}``: for each instance ``__init__`` builds and stores (``self.mcts =
    PVMCTS(model)``), what it stores of what the class holds itself (its own ``self.model = model``, ``self``)."""
    init = info.methods.get("__init__")
    if init is None:
        return {}
    own: dict[str, str] = {}  # a parameter of `__init__` -> the attribute that holds it (`model` -> `self.model`)
    built: list[tuple[str, cst.Call]] = []
    for node in model.nodes_of(init, cst.Assign, cst.AnnAssign):
        if isinstance(node, cst.Assign) and len(node.targets) != 1 or node.value is None:
            continue
        target = key_of(node.targets[0].target if isinstance(node, cst.Assign) else node.target)
        if target is None or not target.startswith("self.") or target.count(".") != 1:
            continue
        value = _unwrap_passthrough(node.value)
        if isinstance(value, cst.Name):
            own.setdefault(value.value, target)
        elif isinstance(value, cst.Call):
            built.append((target, value))
    aliases: dict[str, str] = {}
    for target, call in built:
        for attribute, arg in stored_arguments(model, call).items():
            held = key_of(arg)
            if held is None:
                continue
            held = own.get(held, held) if "." not in held else held
            if held == "self" or held.startswith("self."):
                aliases[f"{target}.{attribute}"] = held
    return aliases


def held_aliases(analysis: "ModeAnalysis", func: cst.FunctionDef) -> dict[str, str]:
    """What the instances ``func`` holds store of what ``func`` holds: ``{"mcts.model": "self.model"}`` for ``mcts =
    PVMCTS(self.model)`` in it (``ModeAnalysis.stored_aliases``, grown as its flow runs), and for the instances its
    class's ``__init__`` builds (``instance_aliases``)."""
    cache = analysis.__dict__.setdefault("_held_aliases", {})
    if func not in cache:
        info = analysis.model.class_of_method(func)
        cache[func] = instance_aliases(analysis.model, info) if info is not None else {}
    own = analysis.stored_aliases.get(func)
    return {**cache[func], **own} if own else cache[func]


def stored_as(aliases: dict[str, str] | None, key: str) -> str | None:
    """``key`` under the name an instance's constructor was given it by (``mcts.model.bn`` -> ``self.model.bn``
    for ``mcts = PVMCTS(self.model)``), or None."""
    for stored, held in (aliases or {}).items():
        if key == stored or key.startswith(stored + "."):
            return held + key[len(stored):]
    return None
