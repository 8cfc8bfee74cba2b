"""Batch sizes that are entries of a config dict (the ``ConfigEntries`` mixin of ``SizeResolution``):
``cfg["batch_size"]`` of a dict display or ``dict(...)`` (and its sections), through aliases, a parameter
every call of this file gives the same module-level config, a config imported from another project file
or returned (as a copy) by a function; and which entries the code changes (``mutated``)."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.batching.facts import Size, _copied_config, _with_root
from bn_lint.semantic.file.records import param_of
from bn_lint.semantic.evaluators.call_binding import given_values
from bn_lint.semantic.syntax.followed import entered, node_key

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.batching.sizes import SizeResolution
    from bn_lint.semantic.file.model import Scope



class ConfigEntries:
    """Config-dict entries a file's code certainly holds: a part of ``SizeResolution``."""

    def __init__(self, sizes: "SizeResolution") -> None:
        self.sizes = sizes

    def entry(self, expr: cst.Subscript, scope: "Scope | None", following: frozenset) -> tuple[cst.BaseExpression, "Scope | None"] | None:
        """``cfg["batch_size"]`` where ``cfg`` is a dict literal (or ``dict(...)``) never changed."""
        following = entered(following, node_key(self.sizes.model, "entry", expr, scope))
        if following is None or len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
            return None
        key = self.sizes.model.value(expr.slice[0].slice.value, scope)
        if not isinstance(key, str):
            return None
        container, container_scope = expr.value, scope
        if isinstance(container, cst.Name):
            if (container.value, key) in self.mutated or (container.value, "*") in self.mutated:
                return None
            bound = self.sizes.model.binding(container.value, scope) or self._default_in_use(container.value, scope)
            if bound is None:
                return None
            container, container_scope = bound
            if isinstance(container, cst.Name):  # `cfg = DEFAULTS`: the dict it names
                found = self.dealias(container, container_scope)
                if found is None or isinstance(found[0], cst.Name):
                    return None
                container, container_scope = found
            elif isinstance(container, cst.Subscript):  # `ft_cfg = CONFIG["finetune"]`: a section of a config
                found = self.entry(container, container_scope, following)
                if found is None:
                    return None
                container, container_scope = found
        elif isinstance(container, cst.Subscript):
            inner = self.entry(container, scope, following)
            if inner is None:
                return None
            container, container_scope = inner
            if isinstance(container, cst.Name):
                bound = self.sizes.model.binding(container.value, container_scope)
                if bound is None:
                    return None
                container, container_scope = bound
        else:
            return None
        if isinstance(container, cst.Dict):
            found = None
            for element in container.elements:
                if not isinstance(element, cst.DictElement):
                    return None  # **other: unknown keys
                if self.sizes.model.value(element.key, container_scope) == key:
                    found = element.value
            return (found, container_scope) if found is not None else None
        if isinstance(container, cst.Call) and isinstance(container.func, cst.Name) and container.func.value == "dict":
            if any(a.keyword is None for a in container.args):
                return None
            for arg in container.args:
                if arg.keyword.value == key:
                    return arg.value, container_scope
        return None

    def dealias(self, name: cst.Name, scope: "Scope | None") -> tuple[cst.BaseExpression, "Scope | None"] | None:
        """What a chain of plain aliases ends at (``cfg = CONFIG``): a value, or a name bound nowhere in
        this file (an import); None when a name on the way has its entries changed."""
        node: cst.BaseExpression = name
        seen: set[str] = set()
        while isinstance(node, cst.Name) and node.value not in seen:
            seen.add(node.value)
            if any(mutated == node.value for mutated, _ in self.mutated):
                return None
            bound = self.sizes.model.binding(node.value, scope)
            if bound is None:
                return node, scope
            node, scope = bound
        return None if isinstance(node, cst.Name) else (node, scope)

    def _default_in_use(self, name: str, scope: "Scope | None") -> tuple[cst.BaseExpression, "Scope"] | None:
        """The module-level value every call of this file gives a parameter: ``def main(cfg=CONFIG)``
        called only as ``main()``, or ``def run(cfg)`` called only as ``run(CONFIG)``: ``cfg`` is ``CONFIG``."""
        given = self.name_in_use(name, scope)
        return self.sizes.model.binding(given, self.sizes.model.module_scope) if given is not None else None

    def name_in_use(self, name: str, scope: "Scope | None", following: frozenset = frozenset()) -> str | None:
        """The module-level name (bound here, or imported) that every call of this file gives the
        parameter ``name`` (by argument, or by leaving its default; through a parameter of the caller
        that its own callers give it, a few calls up: `main(CONFIG)` → `make_loaders(config)`)."""
        found = param_of(name, scope)
        if found is None or found[1] is None:
            return None
        param, function = found
        model = self.sizes.model
        following = entered(following, ("name_in_use", id(function), name))  # (a caller's caller, however far up)
        if following is None:
            return None
        # (a class's calls give its `def __init__(self, cfg=CFG)`)
        passed = given_values(model, function, name)
        if passed is None:
            return None
        if passed[0].site is None and isinstance(param.default, cst.Name) \
                and model.binding(param.default.value, model.module_scope):
            return param.default.value  # `def get_loaders(ds, cfg=CONFIG)` that nothing here calls: the default
        given: set[str] = set()
        for one in passed:
            if one.site is None:
                return None
            value, where = one.value, one.scope if not one.default else model.module_scope
            if not isinstance(value, cst.Name):
                return None
            if not one.default and param_of(value.value, where) is not None \
                    and model.binding(value.value, where) is None:
                upper = self.name_in_use(value.value, where, following)  # the caller's own parameter
                if upper is None:
                    return None
                given.add(upper)
                continue
            bound = model.binding(value.value, where)
            if bound != model.binding(value.value, model.module_scope):
                return None  # (a local of the caller that shadows the module's name)
            if bound is None and value.value not in model.classes \
                    and (value.value not in model.imports or value.value in model.module_scope.opaque):
                return None  # (a settings class itself may be passed: `Net(Config)`)
            given.add(value.value)
        return given.pop() if len(given) == 1 else None

    def config_from_function(self, expr: cst.Subscript, scope: "Scope | None", following: frozenset) -> Size | None:
        """``cfg = get_config(overrides)`` then ``cfg["batch_size"]``, where ``get_config`` (of this file or
        imported) returns a copy of a module-level config dict (``copy.deepcopy(CONFIG)``, ``dict(CONFIG)``,
        ``CONFIG.copy()``) it changes only under keys it does not spell out (overrides from the command line or
        the environment): the default is the config's entry."""
        root = expr.value
        while isinstance(root, cst.Subscript):
            root = root.value
        model = self.sizes.model
        if not isinstance(root, cst.Name) or any(name == root.value for name, _ in self.mutated):
            return None
        bound = model.binding(root.value, scope)
        call = bound[0] if bound is not None else None
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Name):
            return None
        name = call.func.value
        if name in model.functions and model.binding(name, None) is None:
            other, function = model, model.functions[name]
        elif name in model.imports:
            found = model.imported(model.imports[name], "def")
            if found is None or found[1] not in found[0].functions:
                return None
            other, function = found[0], found[0].functions[found[1]]
        else:
            return None
        config = _copied_config(other, function)
        if config is None:
            return None
        size = self.sizes.in_file(other).size(_with_root(expr, cst.Name(config)), other.module_scope, following)
        if size is not None and not size.source:
            size = Size(size.value, f"`{model.code(_with_root(expr, cst.Name(config)))}` in {os.path.basename(other.path)}, "
                                    f"by {name}()")
        return size

    def imported_entry_size(self, expr: cst.Subscript, scope: "Scope | None", following: frozenset) -> Size | None:
        """``CFG["batch_size"]`` (or ``CFG["train"]["batch_size"]``) where ``CFG`` is a config dict imported
        from another project file."""
        model, container = self.sizes.model, expr.value
        while isinstance(container, cst.Subscript):
            container = container.value
        attribute = None
        if isinstance(container, cst.Attribute) and isinstance(container.value, cst.Name):
            attribute, container = container.attr.value, container.value  # `C.CONFIG`, `import configs as C`
        if not isinstance(container, cst.Name) or model.binding(container.value, scope) is not None:
            return None
        if container.value not in model.imports or any(name == container.value for name, _ in self.mutated) \
                or {(container.value, attribute), (container.value, "*")} & self.mutated:
            return None
        found = model.imported(model.imports[container.value] + (f".{attribute}" if attribute else ""))
        if found is None or found[0] is model:
            return None
        other, name = found
        size = self.sizes.in_file(other).size(_with_root(expr, cst.Name(name)), other.module_scope, following)
        if size is not None and not size.source:
            size = Size(size.value, f"`{model.code(expr)}` in {os.path.basename(other.path)}")
        return size

    @property
    def mutated(self) -> set[tuple[str, str]]:
        """(name, key-or-attribute) pairs assigned somewhere (``cfg["bs"] = ...``, ``args.bs = ...``, ``cfg.update``)."""
        if self.sizes._mutated is None:
            found: set[tuple[str, str]] = set()
            model = self.sizes.model
            for target, _value, _scope in model.attribute_assignments:
                if isinstance(target.value, cst.Name) and target.value.value != "self":
                    found.add((target.value.value, target.attr.value))
            for node in model.nodes_of(model.module, cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Call):
                targets: list[cst.BaseExpression] = []
                if isinstance(node, cst.Assign):
                    targets = [t.target for t in node.targets]
                elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
                    targets = [node.target]
                for target in targets:
                    while isinstance(target, cst.Subscript) and isinstance(target.value, (cst.Subscript, cst.Attribute)):
                        target = target.value  # `cfg["train"]["batch_size"] = 64` changes cfg["train"]
                    if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
                        key = None
                        if len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
                            key = model.value(target.slice[0].slice.value, None)
                        found.add((target.value.value, key if isinstance(key, str) else "*"))
                    elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
                        found.add((target.value.value, target.attr.value))
                if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                        and node.func.attr.value in ("update", "setdefault", "set_defaults", "merge_from_file", "merge_from_list"):
                    receiver = node.func.value
                    while isinstance(receiver, (cst.Subscript, cst.Attribute)):
                        receiver = receiver.value  # `CONFIG["train"].update(PRESET)` changes CONFIG
                    if isinstance(receiver, cst.Name):
                        found.add((receiver.value, "*"))
                if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "setattr" and node.args:
                    if isinstance(node.args[0].value, cst.Name):
                        found.add((node.args[0].value.value, "*"))
            # a section changed through a name bound to it (`train = CONFIG["train"]; train["bs"] = 4`)
            # changes the config it came from
            # (only that section when its key is a literal: `sel = CONFIG["selective"]` leaves CONFIG["train"])
            sections: dict[str, set[tuple[str, str]]] = {}
            for node in model.nodes_of(model.module, cst.Assign):
                value, key = node.value, "*"
                while isinstance(value, cst.Subscript):
                    inner = value.slice[0].slice if len(value.slice) == 1 else None
                    named = model.value(inner.value, None) if isinstance(inner, cst.Index) else None
                    key = named if isinstance(named, str) else "*"
                    value = value.value
                if isinstance(value, cst.Name) and value is not node.value:
                    for target in node.targets:
                        if isinstance(target.target, cst.Name):
                            sections.setdefault(target.target.value, set()).add((value.value, key))
            for name, _key in list(found):
                found |= sections.get(name, set())
            self.sizes._mutated = found
        return self.sizes._mutated
