"""Batch sizes: literals, constants, arithmetic, CLI option defaults, config dicts and trees, settings
classes, keyword bundles (the ``SizeResolution`` mixin of ``BatchAnalysis``)."""
from __future__ import annotations

import operator
import os
from typing import TYPE_CHECKING, Any, Iterator

import libcst as cst

from .annotated import annotated_default, hyperparameter
from .arguments import parameter_number
from .attr_configs import attribute_entry
from .walk import returned_values
from .batch_facts import (
    Size,
    _INTEGER_OPS,
    _MAX_DEPTH,
    _NAMESPACES,
    _SIZED_FACTORIES,
    _attribute_key,
    _copied_config,
    _dest,
    _param_of,
    _with_root,
)

if TYPE_CHECKING:  # pragma: no cover
    from .model import Scope

_REALS = False  # while ``number`` runs: the ``size`` walk (here and in other files) accepts floats


class SizeResolution:
    """Batch sizes (and, through ``number``, other numbers) a file's code certainly gives: a mixin of ``BatchAnalysis``."""

    # ------------------------------------------------------------- batch size
    def number(self, expr: cst.BaseExpression, scope: "Scope | None") -> Size | None:
        """The number ``expr`` certainly holds (by default), float or integer: ``size`` with floats."""
        global _REALS
        _REALS, before = True, _REALS
        try:
            return self.size(expr, scope)
        finally:
            _REALS = before

    def size(self, expr: cst.BaseExpression, scope: "Scope | None", depth: int = 0) -> Size | None:
        """The integer ``expr`` certainly holds (by default), or None."""
        model = self.model
        if depth > _MAX_DEPTH:
            return None
        value = model.value(expr, scope)
        if isinstance(value, int) and not isinstance(value, bool) or _REALS and isinstance(value, float):
            return Size(value)
        if isinstance(expr, cst.Name):
            return self._name_size(expr.value, scope, depth)
        if isinstance(expr, cst.BinaryOperation):
            op = _INTEGER_OPS.get(type(expr.operator).__name__)
            left = self.size(expr.left, scope, depth + 1) if op else None
            right = self.size(expr.right, scope, depth + 1) if left else None
            if left is None or right is None or (op is operator.floordiv and right.value == 0):
                return None
            return Size(op(left.value, right.value), left.source or right.source)
        if isinstance(expr, cst.Call):
            return self._call_size(expr, scope, depth)
        if isinstance(expr, cst.Attribute):
            return self._attribute_size(expr, scope, depth)
        if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Attribute) and expr.value.attr.value == "shape" \
                and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index) \
                and model.value(expr.slice[0].slice.value, scope) == 0:  # x.shape[0]
            return self.tensor_length(expr.value.value, scope, depth + 1)
        if isinstance(expr, cst.Subscript):
            entry = self._entry(expr, scope, depth)
            if entry is not None:
                return self.size(entry[0], entry[1], depth + 1)
            alias = self._dealias(expr.value, scope) if isinstance(expr.value, cst.Name) else None
            if alias is not None and isinstance(alias[0], (cst.Name, cst.Subscript, cst.Attribute)) \
                    and alias[0] is not expr.value:
                # `cfg = CONFIG` (or `CONFIG["train"]`, `C.CONFIG`) with CONFIG imported, then `cfg["batch_size"]`
                return self._imported_entry_size(expr.with_changes(value=alias[0]), alias[1], depth)
            made = self._config_from_function(expr, scope, depth)
            if made is not None:
                return made
            given = self._name_in_use(expr.value.value, scope) if isinstance(expr.value, cst.Name) else None
            if given is not None and given in self.model.imports:  # `def main(cfg=CONFIG)`, CONFIG imported
                return self._imported_entry_size(expr.with_changes(value=cst.Name(given)), self.model.module_scope, depth)
            return self._imported_entry_size(expr, scope, depth)
        return None

    def _config_from_function(self, expr: cst.Subscript, scope: "Scope | None", depth: int) -> Size | None:
        """``cfg = get_config(overrides)`` then ``cfg["batch_size"]``, where ``get_config`` (of this file or
        imported) returns a copy of a module-level config dict (``copy.deepcopy(CONFIG)``, ``dict(CONFIG)``,
        ``CONFIG.copy()``) it changes only under keys it does not spell out (overrides from the command line or
        the environment): the default is the config's entry."""
        root = expr.value
        while isinstance(root, cst.Subscript):
            root = root.value
        model = self.model
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
        size = other.batches.size(_with_root(expr, cst.Name(config)), other.module_scope, depth + 1)
        if size is not None and not size.source:
            size = Size(size.value, f"`{model.code(_with_root(expr, cst.Name(config)))}` in {os.path.basename(other.path)}, "
                                    f"by {name}()")
        return size

    def _dealias(self, name: cst.Name, scope: "Scope | None") -> tuple[cst.BaseExpression, "Scope | None"] | None:
        """What a chain of plain aliases ends at (``cfg = CONFIG``): a value, or a name bound nowhere in
        this file (an import); None when a name on the way has its entries changed."""
        node: cst.BaseExpression = name
        seen: set[str] = set()
        while isinstance(node, cst.Name) and node.value not in seen:
            seen.add(node.value)
            if any(mutated == node.value for mutated, _ in self.mutated):
                return None
            bound = self.model.binding(node.value, scope)
            if bound is None:
                return node, scope
            node, scope = bound
        return None if isinstance(node, cst.Name) else (node, scope)

    def _default_in_use(self, name: str, scope: "Scope | None") -> tuple[cst.BaseExpression, "Scope"] | None:
        """The module-level value every call of this file gives a parameter: ``def main(cfg=CONFIG)``
        called only as ``main()``, or ``def run(cfg)`` called only as ``run(CONFIG)``: ``cfg`` is ``CONFIG``."""
        given = self._name_in_use(name, scope)
        return self.model.binding(given, self.model.module_scope) if given is not None else None

    def _name_in_use(self, name: str, scope: "Scope | None") -> str | None:
        """The module-level name (bound here, or imported) that every call of this file gives the
        parameter ``name`` (by argument, or by leaving its default)."""
        found = _param_of(name, scope)
        if found is None or found[1] is None:
            return None
        param, function = found
        model = self.model
        called = model.called_as(function)  # (a class's calls give its `def __init__(self, cfg=CFG)`)
        if called is None:
            return None
        callee, skip = called
        params = [p.name.value for p in (*function.params.posonly_params, *function.params.params)][skip:]
        sites = [site for site in model.calls
                 if isinstance(site.node.func, cst.Name) and site.node.func.value == callee]
        given: set[str] = set()
        if not sites and isinstance(param.default, cst.Name) and model.binding(param.default.value, model.module_scope):
            return param.default.value  # `def get_loaders(ds, cfg=CONFIG)` that nothing here calls: the default
        for site in sites:
            call = site.node
            if any(a.star for a in call.args):
                return None
            passed = [a.value for a in call.args if a.keyword is not None and a.keyword.value == name]
            positional = [a.value for a in call.args if a.keyword is None]
            if name in params and len(positional) > params.index(name):
                passed.append(positional[params.index(name)])
            value, where = (passed[0], site.scope) if passed else (param.default, model.module_scope)
            if not isinstance(value, cst.Name):
                return None
            bound = model.binding(value.value, where)
            if bound != model.binding(value.value, model.module_scope):
                return None  # (a local of the caller that shadows the module's name)
            if bound is None and value.value not in model.classes \
                    and (value.value not in model.imports or value.value in model.module_scope.opaque):
                return None  # (a settings class itself may be passed: `Net(Config)`)
            given.add(value.value)
        return given.pop() if len(given) == 1 else None

    def _imported_entry_size(self, expr: cst.Subscript, scope: "Scope | None", depth: int) -> Size | None:
        """``CFG["batch_size"]`` (or ``CFG["train"]["batch_size"]``) where ``CFG`` is a config dict imported
        from another project file."""
        model, container = self.model, expr.value
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
        size = other.batches.size(_with_root(expr, cst.Name(name)), other.module_scope, depth + 1)
        if size is not None and not size.source:
            size = Size(size.value, f"`{model.code(expr)}` in {os.path.basename(other.path)}")
        return size

    def _name_size(self, name: str, scope: "Scope | None", depth: int) -> Size | None:
        model = self.model
        bound = model.binding(name, scope)
        if bound is not None:
            return self.size(bound[0], bound[1], depth + 1)
        param = _param_of(name, scope)
        if param is not None and param[0] in self._env:  # inside ``_returned``: the call's argument
            value, value_scope = self._env[param[0]]
            return self.size(value, value_scope, depth + 1)
        if param is not None:
            found = self._option_default(*param, depth)
            if found is None:  # `def smoke_train(batch_size=64)`, called only with its default here
                given = parameter_number(model, cst.Name(name), scope)
                found = given if given is not None and (isinstance(given.value, int) or _REALS) else None
            return found
        if name not in model.module_scope.bindings and name in model.imports:
            return self._imported(model.imports[name], lambda other, expr: other.batches.size(expr, other.module_scope, depth + 1))
        return None

    def _imported(self, dotted: str, resolve) -> Any:
        """``resolve(other_model, expr)`` for a module-level name imported from another project file."""
        found = self.model.imported(dotted)
        if found is None or found[0] is self.model:
            return None
        other, name = found
        bound = other.binding(name, other.module_scope)
        return resolve(other, bound[0]) if bound else None

    def _call_size(self, call: cst.Call, scope: "Scope | None", depth: int) -> Size | None:
        model = self.model
        qn = model.qualname(call.func) or (call.func.value if isinstance(call.func, cst.Name) else None)
        positional = [a.value for a in call.args if not a.keyword and not a.star]
        if qn == "int" and len(positional) == 1 and len(call.args) == 1:
            inner = positional[0]
            env = self._environ_default(inner, scope)
            if env is not None:
                return env
            return self.size(inner, scope, depth + 1)
        if qn in ("max", "min") and len(positional) == len(call.args) >= 2:
            sizes = [self.size(a, scope, depth + 1) for a in positional]
            if any(s is None for s in sizes):
                return None
            pick = (max if qn == "max" else min)(sizes, key=lambda s: s.value)
            return Size(pick.value, next((s.source for s in sizes if s.source), ""))
        env = self._environ_default(call, scope)
        if env is not None and isinstance(env.value, int):
            return env
        return self._rows(call, scope, depth)

    def _stored(self, expr: cst.BaseExpression, scope: "Scope | None") -> tuple[cst.BaseExpression, "Scope"] | None:
        """What ``self.attr`` holds when its class (of this file) assigns it exactly once and never
        augments it (``self.n = n``, ``self.x = torch.randn(n, 3)``): the value and its scope."""
        if not (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self"):
            return None
        attr = expr.attr.value
        info = self.model.enclosing_class(scope)
        values = info.attributes.get(attr) if info else None
        if not values or len(values) != 1 or any(
                _attribute_key(node.target) == ("self", attr) for node in self.model.nodes_of(info.node, cst.AugAssign)):
            return None
        return values[0]

    def _rows(self, call: cst.Call, scope: "Scope | None", depth: int) -> Size | None:
        """The first dimension a call measures: ``len(x)``, ``x.size(0)``, or ``x.numel()`` of a 1-D ``x``."""
        func = call.func
        positional = [a.value for a in call.args if not a.keyword and not a.star]
        if isinstance(func, cst.Name) and func.value == "len" and self.model.binding("len", scope) is None:
            return self.length(positional[0], scope, depth + 1) if len(call.args) == len(positional) == 1 else None
        if not isinstance(func, cst.Attribute) or self.model.qualname(func) is not None:
            return None
        if func.attr.value == "size" and len(call.args) == len(positional) == 1 and self.model.value(positional[0], scope) == 0:
            return self.tensor_length(func.value, scope, depth + 1)
        if func.attr.value == "numel" and not call.args and self._one_dimensional(func.value, scope):
            return self.tensor_length(func.value, scope, depth + 1)
        return None

    def _one_dimensional(self, expr: cst.BaseExpression, scope: "Scope | None") -> bool:
        """Whether ``expr`` is a tensor factory's 1-D result: ``torch.randint(0, k, (n,))``, ``torch.zeros(n)``."""
        stored = self._stored(expr, scope) or (self.model.binding(expr.value, scope) if isinstance(expr, cst.Name) else None)
        call = stored[0] if stored is not None else expr
        if not isinstance(call, cst.Call) or self.model.qualname(call.func) not in _SIZED_FACTORIES:
            return False
        positional = [a.value for a in call.args if not a.keyword and not a.star]
        shapes = [a.value for a in call.args if a.keyword is not None and a.keyword.value == "size"] or [
            a for a in positional if isinstance(a, (cst.Tuple, cst.List))]
        if shapes:
            return len(shapes) == 1 and isinstance(shapes[0], (cst.Tuple, cst.List)) and len(shapes[0].elements) == 1
        return len(positional) == 1 and len(call.args) == 1  # torch.zeros(n)

    def _environ_default(self, expr: cst.BaseExpression, scope: "Scope | None") -> Size | None:
        """``os.environ.get("BS", 4)`` / ``os.getenv("BS", "4")``: the default, as an int."""
        if not isinstance(expr, cst.Call):
            return None
        qn = self.model.qualname(expr.func)
        if qn not in ("os.environ.get", "os.getenv") or len(expr.args) != 2:
            return None
        key = self.model.value(expr.args[0].value, scope)
        default = self.model.value(expr.args[1].value, scope)
        if isinstance(default, str) and default.strip().isdigit():
            default = int(default)
        if not isinstance(default, int) or isinstance(default, bool) or not isinstance(key, str):
            return None
        return Size(default, f"the default of ${key}")

    def _returns_parsed_args(self, call: cst.Call, scope: "Scope | None") -> bool:
        """``parse()`` where this file's ``def parse(): ...; return parser.parse_args()``."""
        model, func = self.model, call.func
        if not isinstance(func, cst.Name) or func.value not in model.functions or model.binding(func.value, scope):
            return False
        function = model.functions[func.value]
        returns = returned_values(function)
        if not returns:
            return False
        for value in returns:
            if isinstance(value, cst.Name):
                bound = model.binding(value.value, model.scopes.get(function))
                value = bound[0] if bound else None
            if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
                    and value.func.attr.value == "parse_args"):
                return False
        return True

    def _attribute_size(self, expr: cst.Attribute, scope: "Scope | None", depth: int) -> Size | None:
        model = self.model
        attr = expr.attr.value
        base = expr.value
        if not isinstance(base, cst.Name):  # `cfg.TRAIN.BATCH_SIZE` of a yacs / EasyDict tree, Lightning's hparams
            return self._tree_entry(expr, scope, depth) or hyperparameter(self, expr, scope, depth)
        if base.value == "self":  # assigned once in the class (`self.n = n`): that assignment defines it
            info = model.enclosing_class(scope)
            values = info.attributes.get(attr) if info else None
            stored = self._stored(expr, scope)
            if stored is not None:
                return self.size(stored[0], stored[1], depth + 1)
            if info is not None and not values and not any(
                    attr in other.attributes or attr in other.scope.bindings for other in model.classes.values()
                    if other is not info):
                return self._class_default(info, attr, depth)  # `BN_MOMENTUM = 0.99` in the class body
            return None
        if (base.value, attr) in self.mutated or (base.value, "*") in self.mutated:
            return None
        if base.value in model.classes:  # Config.batch_size
            return self._class_default(model.classes[base.value], attr, depth)
        if base.value in model.imports and base.value not in model.module_scope.bindings:
            return self._imported(f"{model.imports[base.value]}.{attr}",
                                  lambda other, e: other.batches.size(e, other.module_scope, depth + 1))
        bound = model.binding(base.value, scope)
        if bound is not None:
            value, value_scope = bound
            call = value if isinstance(value, cst.Call) else None
            if call is not None and isinstance(call.func, cst.Attribute) and call.func.attr.value == "parse_args":
                return self._argparse_default(attr, depth)
            if call is not None and self._returns_parsed_args(call, value_scope):  # args = get_args()
                return self._argparse_default(attr, depth)
            if isinstance(value, cst.Subscript) and isinstance(value.value, cst.Call) and isinstance(
                value.value.func, cst.Attribute
            ) and value.value.func.attr.value == "parse_known_args":
                return self._argparse_default(attr, depth)
            if call is not None and model.qualname(call.func) in _NAMESPACES:  # cfg = SimpleNamespace(epochs=8)
                given = [arg for arg in call.args if arg.keyword is not None and arg.keyword.value == attr]
                if len(given) == 1 and not any(arg.star for arg in call.args):
                    return self.size(given[0].value, value_scope, depth + 1)
                return None
            if call is not None and isinstance(call.func, cst.Name) and call.func.value in model.classes:
                for arg in call.args:
                    if arg.star:
                        return None
                    if arg.keyword is not None and arg.keyword.value == attr:
                        return self.size(arg.value, value_scope, depth + 1)
                if any(arg.keyword is None for arg in call.args):
                    return None
                return self._class_default(model.classes[call.func.value], attr, depth)
            return self._tree_entry(expr, scope, depth)
        given = self._name_in_use(base.value, scope) if _param_of(base.value, scope) is not None else None
        if given is not None:
            # `def make_loaders(cfg): ... cfg.batch_size`, every call given the module's `cfg = Config()`
            found = self._attribute_size(cst.Attribute(value=cst.Name(given), attr=expr.attr), model.module_scope, depth + 1)
            if found is not None:
                return found
        annotated = annotated_default(self, base.value, attr, scope, depth)  # `cfg: Config` with a class default
        if annotated is not None:
            return annotated
        if _param_of(base.value, scope) is not None and self.argparse.get(attr):
            # `def main(args): ... args.batch_size` in a file that defines --batch-size
            if base.value in ("args", "opt", "opts") or any(  # (the parse may be in a file that imports this one)
                    isinstance(c.node.func, cst.Attribute) and c.node.func.attr.value in ("parse_args", "parse_known_args")
                    for c in model.calls):
                return self._argparse_default(attr, depth)
        return None

    def _tree_entry(self, expr: cst.Attribute, scope: "Scope | None", depth: int) -> Size | None:
        found = attribute_entry(self.model, expr, scope)
        if found is None:
            return None
        owner, value = found
        size = owner.batches.size(value, owner.module_scope, depth + 1)
        return Size(size.value, size.source or f"`{self.model.code(expr)}`") if size is not None else None

    def _class_default(self, info, attr: str, depth: int) -> Size | None:
        if attr in info.attributes:  # set in __init__ or elsewhere: not a class default
            return None
        values = info.scope.bindings.get(attr)
        if not values or len(values) != 1:
            return None
        found = self.size(values[0], info.scope, depth + 1)
        return Size(found.value, found.source or f"the default of {info.name}.{attr}") if found else None

    def _entry(self, expr: cst.Subscript, scope: "Scope | None", depth: int) -> tuple[cst.BaseExpression, "Scope | None"] | None:
        """``cfg["batch_size"]`` where ``cfg`` is a dict literal (or ``dict(...)``) never changed."""
        if depth > _MAX_DEPTH or len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
            return None
        key = self.model.value(expr.slice[0].slice.value, scope)
        if not isinstance(key, str):
            return None
        container, container_scope = expr.value, scope
        if isinstance(container, cst.Name):
            if (container.value, key) in self.mutated or (container.value, "*") in self.mutated:
                return None
            bound = self.model.binding(container.value, scope) or self._default_in_use(container.value, scope)
            if bound is None:
                return None
            container, container_scope = bound
            if isinstance(container, cst.Name):  # `cfg = DEFAULTS`: the dict it names
                found = self._dealias(container, container_scope)
                if found is None or isinstance(found[0], cst.Name):
                    return None
                container, container_scope = found
            elif isinstance(container, cst.Subscript):  # `ft_cfg = CONFIG["finetune"]`: a section of a config
                found = self._entry(container, container_scope, depth + 1)
                if found is None:
                    return None
                container, container_scope = found
        elif isinstance(container, cst.Subscript):
            inner = self._entry(container, scope, depth + 1)
            if inner is None:
                return None
            container, container_scope = inner
            if isinstance(container, cst.Name):
                bound = self.model.binding(container.value, container_scope)
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
                if self.model.value(element.key, container_scope) == key:
                    found = element.value
            return (found, container_scope) if found is not None else None
        if isinstance(container, cst.Call) and isinstance(container.func, cst.Name) and container.func.value == "dict":
            if any(a.keyword is None for a in container.args):
                return None
            for arg in container.args:
                if arg.keyword.value == key:
                    return arg.value, container_scope
        return None

    @property
    def mutated(self) -> set[tuple[str, str]]:
        """(name, key-or-attribute) pairs assigned somewhere (``cfg["bs"] = ...``, ``args.bs = ...``, ``cfg.update``)."""
        if self._mutated is None:
            found: set[tuple[str, str]] = set()
            model = self.model
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
            sections: dict[str, set[str]] = {}
            for node in model.nodes_of(model.module, cst.Assign):
                value = node.value
                while isinstance(value, cst.Subscript):
                    value = value.value
                if isinstance(value, cst.Name) and value is not node.value:
                    for target in node.targets:
                        if isinstance(target.target, cst.Name):
                            sections.setdefault(target.target.value, set()).add(value.value)
            for name, _key in list(found):
                found |= {(root, "*") for root in sections.get(name, ())}
            self._mutated = found
        return self._mutated

    # ------------------------------------------------------- CLI option defaults
    @property
    def argparse(self) -> dict[str, list[tuple[cst.BaseExpression | None, "Scope"]]]:
        """dest -> the ``default=`` of each ``add_argument`` defining it (None when absent or required)."""
        if self._argparse is None:
            found: dict[str, list[tuple[cst.BaseExpression | None, Scope]]] = {}
            for site in self.model.calls:
                call = site.node
                if not isinstance(call.func, cst.Attribute) or call.func.attr.value != "add_argument":
                    continue
                flags = [self.model.value(a.value, site.scope) for a in call.args if a.keyword is None and not a.star]
                if not flags or not all(isinstance(f, str) for f in flags):
                    continue
                keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
                dest = _dest(flags, keywords, self.model, site.scope)
                if dest is None:
                    continue
                default = keywords.get("default")
                required = self.model.value(keywords["required"], site.scope) if "required" in keywords else False
                if required is not False or not flags[0].startswith("-") or keywords.get("action") is not None:
                    default = None
                found.setdefault(dest, []).append((default, site.scope))
                self._flags.setdefault(dest, next((f for f in flags if f.startswith("--")), flags[0]))
            self._argparse = found
        return self._argparse

    def _argparse_default(self, dest: str, depth: int) -> Size | None:
        definitions = self.argparse.get(dest)
        if not definitions or any(default is None for default, _ in definitions):
            return None
        if any(self._sets_default(dest)):
            return None
        sizes = {self.size(default, scope, depth + 1) for default, scope in definitions}
        if len(sizes) != 1 or None in sizes:
            return None
        size = sizes.pop()
        return Size(size.value, f"the default of {self._flags.get(dest, '--' + dest)}")

    def _sets_default(self, dest: str) -> Iterator[bool]:
        for site in self.model.calls:
            func = site.node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "set_defaults":
                yield any(a.keyword is None or a.keyword.value == dest for a in site.node.args)

    def _option_default(self, param: cst.Param, function: cst.FunctionDef | None, depth: int) -> Size | None:
        """A parameter's default, when the function is a click / typer command."""
        if function is None:
            return None
        name = param.name.value
        for decorator in function.decorators:
            call = decorator.decorator
            if not isinstance(call, cst.Call):
                continue
            qn = self.model.qualname(call.func) or ""
            if qn in ("click.option", "click.argument") or (isinstance(call.func, cst.Attribute) and call.func.attr.value == "option"):
                flags = [self.model.value(a.value, None) for a in call.args if a.keyword is None]
                keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
                if not flags or not all(isinstance(f, str) for f in flags):
                    continue
                if _dest(flags, {}, self.model, None) != name and name not in flags:
                    continue
                if "default" not in keywords:
                    return None
                found = self.size(keywords["default"], None, depth + 1)
                return Size(found.value, f"the default of {flags[0] if flags[0].startswith('-') else '--' + name}") if found else None
        if param.default is None:
            return None
        default = param.default
        is_typer_option = isinstance(default, cst.Call) and (self.model.qualname(default.func) or "").startswith("typer.")
        is_command = any(
            isinstance(d.decorator, cst.Call) and isinstance(d.decorator.func, cst.Attribute)
            and d.decorator.func.attr.value == "command"
            and (self.model.qualname(d.decorator.func) or "").split(".")[0] != "click"
            and "typer" in self.model.imports.values() | {v.split(".")[0] for v in self.model.imports.values()}
            for d in function.decorators
        )
        if is_typer_option:
            args = default.args
            value = next((a.value for a in args if a.keyword is None or a.keyword.value == "default"), None)
            found = self.size(value, None, depth + 1) if value is not None else None
        elif is_command:
            found = self.size(default, None, depth + 1)
        else:
            return None
        return Size(found.value, f"the default of --{name.replace('_', '-')}") if found else None
