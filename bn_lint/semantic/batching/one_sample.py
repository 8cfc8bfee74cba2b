"""BatchNorm layers that raise on a batch of one sample in training mode.

"Expected more than 1 value per channel when training" comes from a BatchNorm that sees
one value per channel: a ``BatchNorm1d`` on (N, C) features (an MLP head), or any
BatchNorm after pooling to 1×1 (an SE / attention gate, the image-pooling branch of
PSP / ASPP heads). ``fragile_layers`` finds them in a file: the first kind from the
chain analysis (rank and producer of what each BatchNorm is applied to), the second
from a small scan of ``nn.Sequential`` items and of ``forward`` methods that follows
"pooled to 1×1" through shape-keeping layers (convolutions, activations, dropout,
flatten, linear) into a BatchNorm.
"""
from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import libcst as cst

from bn_lint.semantic.shapes.producers import chains_of
from bn_lint.semantic.knowledge.layers import SAME_SHAPE_FUNCTIONS, SAME_SHAPE_METHODS, TRANSPARENT_METHODS
from bn_lint.semantic.syntax.followed import entered, node_key
from bn_lint.semantic.syntax.walk import returned_values, walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel, Scope

_ADAPTIVE = frozenset(f"Adaptive{kind}Pool{d}d" for kind in ("Avg", "Max") for d in (1, 2, 3))
_ADAPTIVE_FUNCTIONS = frozenset(f"torch.nn.functional.adaptive_{kind}_pool{d}d" for kind in ("avg", "max") for d in (1, 2, 3))
_WINDOW_FUNCTIONS = frozenset(f"torch.nn.functional.{kind}_pool{d}d" for kind in ("avg", "max") for d in (2, 3))
_REDUCING_METHODS = frozenset({"mean", "amax", "sum"})
_REDUCING_FUNCTIONS = frozenset({"torch.mean", "torch.amax", "torch.sum"})
_KEEPING_KINDS = frozenset({"activation", "dropout", "identity", "linear"})
_RESHAPING_METHODS = frozenset({"view", "reshape", "flatten", "squeeze", "unsqueeze"})
_SEQUENTIAL = frozenset({"torch.nn.Sequential", "torch.nn.modules.container.Sequential"})
# library blocks that are a convolution followed by BatchNorm (unless told another norm)
_CONV_BN_BLOCKS = frozenset({
    "torchvision.ops.Conv2dNormActivation", "torchvision.ops.misc.Conv2dNormActivation",
    "torchvision.ops.misc.ConvNormActivation", "torchvision.ops.Conv3dNormActivation",
})
# library models with a BatchNorm after pooling to 1x1 (torchvision's DeepLabV3: the ASPP pooling branch)
LIBRARY_FRAGILE_NAMES = r"deeplabv3_\w+|DeepLabHead|ASPP"  # (also the pre-filter's trigger for them)
_LIBRARY_FRAGILE = re.compile(rf"^torchvision\.models\.segmentation\.(deeplabv3\.)?({LIBRARY_FRAGILE_NAMES})$")
_CACHE: "weakref.WeakKeyDictionary[FileModel, list]" = weakref.WeakKeyDictionary()

# what a module does to a tensor pooled to 1x1: ("pool",), ("bn", node), ("keep",), ("seq", items),
# ("class", info), ("other",)
_OTHER: tuple = ("other",)
_KEEP: tuple = ("keep",)


@dataclass(frozen=True)
class Fragile:
    """A BatchNorm constructor whose layer sees one value per channel on a batch of one."""

    node: cst.Call
    why: str  # "BatchNorm1d on (N, C)" / "BatchNorm2d after pooling to 1×1"


def fragile_layers(model: "FileModel") -> list[Fragile]:
    """The BatchNorm layers of this file that raise on a batch of one sample (see the module docstring)."""
    found = _CACHE.get(model)
    if found is None:
        found = _flat_inputs(model)
        seen = {id(f.node) for f in found}
        for fragile in _Pooled(model).run():
            if id(fragile.node) not in seen:
                seen.add(id(fragile.node))
                found.append(fragile)
        _CACHE[model] = found
    return found


def library_fragile(model: "FileModel", built: cst.Call) -> Fragile | None:
    """The fragile BatchNorm of the library model ``built`` builds, if it holds one."""
    qn = model.qualname(built.func) or ""
    if _LIBRARY_FRAGILE.match(qn):
        return Fragile(built, f"BatchNorm after the ASPP image pooling to 1×1 of {qn.rpartition('.')[2]}")
    return None


def project_fragile(model: "FileModel", names: set[str] | None = None) -> tuple["FileModel", Fragile] | None:
    """A fragile BatchNorm of this file or of a project file it imports, or a library model built here
    that holds one (the first found); with ``names``, only in what those names of this file reach (the
    builder a model comes from: ``generate_model(50)``), else in what any name the file reads reaches."""
    found = fragile_layers(model)
    if found:
        return model, found[0]
    for site in model.calls:
        library = library_fragile(model, site.node)
        if library is not None:
            return model, library
    project = model.project
    if project is None:
        return None
    # (in a module of many models, a layer of one this file never names is not in what it trains; a file
    # reached through another, `build()` of modeling.py returning `PoolHead` of layers.py, is)
    for other, reached in model.reached_files(names_read(model) if names is None else names):
        found = [f for f in fragile_layers(other) if _owner_name(other, f.node) in reached] \
            if project.mentions(other.path, "BatchNorm") else []
        found += [f for site in other.calls if _owner_name(other, site.node) in reached
                  for f in [library_fragile(other, site.node)] if f is not None]  # `net()` building a torchvision DeepLabV3
        if found:
            return other, found[0]
    return side_effect_fragile(model)


def side_effect_fragile(model: "FileModel") -> tuple["FileModel", Fragile] | None:
    """A fragile BatchNorm of a project module this file imports for its side effects (``import pyramid_vig``:
    its models registered for a factory, ``timm.create_model(args.model)``)."""
    project = model.project
    for dotted in _side_effect_imports(model) if project is not None else ():
        path = project.resolve_module(dotted, model.path)
        other = project.model(path) if path is not None and project.mentions(path, "BatchNorm") else None
        found = fragile_layers(other) if other is not None else []
        if found:
            return other, found[0]
    return None


def _side_effect_imports(model: "FileModel") -> list[str]:
    """The project modules imported whole and never read (``import pyramid_vig``): imported for what they do
    when they run, such as registering their models with a factory (``timm.create_model(args.model)``)."""
    read = [node.value for node in model.nodes_of(model.module, cst.Name)]
    return [dotted for name, dotted in model.imports.items()
            if name == dotted and "." not in name and read.count(name) <= 1]


def _owner_name(model: "FileModel", node: cst.CSTNode) -> str | None:
    """The module-level class or function of ``model`` that holds ``node`` (None at module level)."""
    owner = None
    for ancestor in model.ancestors(node):
        if isinstance(ancestor, (cst.ClassDef, cst.FunctionDef)):
            owner = ancestor.name.value
    return owner


def names_read(model: "FileModel") -> set[str]:
    """The names this file reads (``MLP`` of ``from common_models import MLP``, ``Net`` of ``models.Net``), not
    counting the import statements themselves (a class imported and never used is not in what the file runs)."""
    counts: dict[str, int] = {}
    for node in model.nodes_of(model.module, cst.Name, cst.Attribute):
        name = node.value if isinstance(node, cst.Name) else node.attr.value
        counts[name] = counts.get(name, 0) + 1
    for statement in model.nodes_of(model.module, cst.Import, cst.ImportFrom):
        for alias in statement.names if isinstance(statement.names, (list, tuple)) else ():
            shown = alias.asname.name if alias.asname is not None else alias.name
            while isinstance(shown, cst.Attribute):  # (`import a.b`: every part is a node of the statement)
                counts[shown.attr.value] = counts.get(shown.attr.value, 0) - 1
                shown = shown.value
            if isinstance(shown, cst.Name):
                counts[shown.value] = counts.get(shown.value, 0) - 1
            if alias.asname is not None:  # (`import x as y`: `x` is a node of the statement too)
                imported = alias.name
                while isinstance(imported, cst.Attribute):
                    counts[imported.attr.value] = counts.get(imported.attr.value, 0) - 1
                    imported = imported.value
                counts[imported.value] = counts.get(imported.value, 0) - 1
    return {name for name, count in counts.items() if count > 0}


def _flat_inputs(model: "FileModel") -> list[Fragile]:
    """BatchNorm1d applied to (N, C): rank 2, or the output of a Linear of unknown rank."""
    found = []
    for call, observations in chains_of(model).observations.items():
        for seen in observations:
            if seen.bn.spec.name not in ("BatchNorm1d", "LazyBatchNorm1d"):
                continue
            tensor = seen.tensor
            producer = tensor.producer.spec.kind if tensor.producer is not None else None
            if tensor.rank == 2 or (tensor.rank is None and producer == "linear"):
                found.append(Fragile(call, f"{seen.bn.spec.name} on (N, C) features"))
                break
    return found


class _Pooled:
    """Follows tensors pooled to 1×1 into BatchNorm layers (see the module docstring)."""

    def __init__(self, model: "FileModel") -> None:
        self.model = model
        self.found: list[Fragile] = []
        self._forward_done: dict[int, bool] = {}

    def run(self) -> list[Fragile]:
        model = self.model
        for site in model.calls:
            if model.qualname(site.node.func) in _SEQUENTIAL:
                self.apply(("seq", self._sequence(site.node.args, site.scope, None, frozenset())), False)
        for info in model.classes.values():
            items = self._sequential_init(info)
            if items is not None:
                self.apply(("seq", items), False)
            forward = info.methods.get("forward")
            if forward is not None:
                self._forward(info, forward, False, frozenset())
        return self.found

    # ------------------------------------------------------------ modules
    def apply(self, desc: tuple, pooled: bool, following: frozenset = frozenset()) -> bool:
        """Whether the output of module ``desc`` is pooled to 1×1, given its input; records fragile BNs."""
        kind = desc[0]
        if kind == "pool":
            return True
        if kind == "bn":
            if pooled:
                self._record(desc[1])
            return pooled
        if kind == "keep":
            return pooled
        if kind == "seq":
            for item in desc[1]:
                pooled = self.apply(item, pooled, following)
            return pooled
        if kind == "class":  # (a class's modules however deep; one that holds itself is not followed again)
            info = desc[1]
            following = entered(following, ("class", id(info.node)))
            if following is None:
                return False
            items = self._sequential_init(info)
            if items is not None and "forward" not in info.methods:
                return self.apply(("seq", items), pooled, following)
            forward = info.methods.get("forward")
            return self._forward(info, forward, pooled, following) if forward is not None else False
        return False

    def _record(self, node: cst.Call) -> None:
        if all(f.node is not node for f in self.found):
            name = self.model.code(node.func).rpartition(".")[2]
            self.found.append(Fragile(node, f"{name} after pooling to 1×1"))

    def describe(self, expr: cst.BaseExpression, scope: "Scope | None", info: "ClassInfo | None",
                 following: frozenset = frozenset()) -> tuple:
        """What the module ``expr`` (a layer call, a name or ``self.attr`` bound to one, a builder's call)
        does to a 1×1 input."""
        model = self.model
        following = entered(following, node_key(model, "describe", expr, scope))
        if following is None:
            return _OTHER
        if isinstance(expr, cst.Name):
            bound = model.binding(expr.value, scope)
            return self.describe(bound[0], bound[1], info, following) if bound is not None else _OTHER
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
            values = info.attributes.get(expr.attr.value, []) if info is not None else []
            return self.describe(values[0][0], values[0][1], info, following) if len(values) == 1 else _OTHER
        if not isinstance(expr, cst.Call):
            return _OTHER
        qn = model.qualname(expr.func)
        if qn in _SEQUENTIAL:
            return ("seq", self._sequence(expr.args, scope, info, following))
        if qn in _CONV_BN_BLOCKS:
            norm = next((a for a in expr.args if a.keyword is not None and a.keyword.value == "norm_layer"), None)
            return ("bn", expr) if norm is None else _OTHER
        layer = model.layer_call(expr, scope)
        if layer is not None:
            spec = layer.spec
            if spec.name in _ADAPTIVE:
                size = layer.args.get("output_size")
                return ("pool",) if size is not None and self.may_be_one(size, layer.scope, following) else _OTHER
            if spec.is_batchnorm:
                return ("bn", expr) if "Sync" not in spec.name else _OTHER
            if spec.kind in _KEEPING_KINDS or spec.kind == "conv" and "Transpose" not in spec.name \
                    or spec.name == "Flatten":
                return _KEEP
            return _OTHER
        built = self._builder(expr, scope, info)
        if built is not None:
            function, inner, owner = built
            returns = [r for r in returned_values(function) if r is not None]
            if len(returns) == 1:
                return self.describe(returns[0], inner, owner, following)
            return _OTHER
        if isinstance(expr.func, cst.Name) and expr.func.value in model.classes \
                and model.binding(expr.func.value, scope) is None:
            return ("class", model.classes[expr.func.value])
        return _OTHER

    def _sequence(self, args, scope, info, following: frozenset) -> list[tuple]:
        items = []
        for arg in args:
            if arg.star or arg.keyword is not None:
                items.append(_OTHER)
            else:
                items.append(self.describe(arg.value, scope, info, following))
        return items

    def _sequential_init(self, info: "ClassInfo") -> list[tuple] | None:
        """The items of a ``class X(nn.Sequential)`` given to ``super().__init__(...)``."""
        model = self.model
        if not any(model.qualname(base.value) in _SEQUENTIAL for base in info.node.bases):
            return None
        init = info.methods.get("__init__")
        if init is None:
            return None
        for node in walk(init.body):
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "__init__" \
                    and isinstance(node.func.value, cst.Call) and model.code(node.func.value.func) == "super":
                return self._sequence(node.args, model.scopes.get(init), info, frozenset())
        return None

    def _builder(self, call: cst.Call, scope, info):
        """(function, its scope, its class) for a call of a function or ``self.method`` of this file."""
        model = self.model
        func = call.func
        if isinstance(func, cst.Name) and func.value in model.functions and model.binding(func.value, scope) is None:
            function = model.functions[func.value]
            return function, model.scopes.get(function), None
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self" \
                and info is not None and func.attr.value in info.methods:
            function = info.methods[func.attr.value]
            return function, model.scopes.get(function), info
        return None

    # ------------------------------------------------------------ forward
    def _forward(self, info: "ClassInfo", forward: cst.FunctionDef, pooled: bool, following: frozenset) -> bool:
        """Runs ``forward`` with its input pooled (or not): whether what it returns is pooled."""
        key = hash((id(forward), pooled))
        if key in self._forward_done:
            return self._forward_done[key]
        self._forward_done[key] = False
        params = [p.name.value for p in forward.params.params][1:2]
        env: dict[str, bool] = {name: pooled for name in params}
        out = False
        for node in walk(forward.body):
            if isinstance(node, cst.Assign):
                value = self._tensor(node.value, env, info, following)
                for target in node.targets:
                    if isinstance(target.target, cst.Name):
                        env[target.target.value] = value
            elif isinstance(node, cst.Return) and node.value is not None:
                out = out or self._tensor(node.value, env, info, following)
            elif isinstance(node, cst.Expr):
                self._tensor(node.value, env, info, following)
        self._forward_done[key] = out
        return out

    def _tensor(self, expr: cst.BaseExpression, env: dict[str, bool], info: "ClassInfo", following: frozenset) -> bool:
        """Whether ``expr`` is pooled to 1×1 per channel (evaluating the modules it applies)."""
        model = self.model
        if isinstance(expr, cst.Name):
            return env.get(expr.value, False)
        if not isinstance(expr, cst.Call):
            for part in _parts(expr):
                self._tensor(part, env, info, following)
            return False
        func = expr.func
        args = [a for a in expr.args if a.keyword is None and not a.star]
        qn = model.qualname(func)
        scope = model.scope_of(expr)
        if qn in _ADAPTIVE_FUNCTIONS:
            size = args[1].value if len(args) > 1 else next(
                (a.value for a in expr.args if a.keyword is not None and a.keyword.value == "output_size"), None)
            if args:
                self._tensor(args[0].value, env, info, following)
            return size is not None and self.may_be_one(size, scope)
        if qn in _WINDOW_FUNCTIONS and len(args) > 1 and args[0].value is not None:
            self._tensor(args[0].value, env, info, following)
            return _whole_map(model, args[1].value, args[0].value)
        if qn in _REDUCING_FUNCTIONS or (isinstance(func, cst.Attribute) and func.attr.value in _REDUCING_METHODS
                                         and qn is None):
            return _keeps_dims(model, expr, qn is None)
        if qn in SAME_SHAPE_FUNCTIONS and args:
            return self._tensor(args[0].value, env, info, following)
        if isinstance(func, cst.Attribute) and qn is None and (
                func.attr.value in SAME_SHAPE_METHODS or func.attr.value in TRANSPARENT_METHODS
                or func.attr.value in _RESHAPING_METHODS):
            return self._tensor(func.value, env, info, following)
        for arg in expr.args[1:] if args else expr.args:
            self._tensor(arg.value, env, info, following)
        if isinstance(func, (cst.Name, cst.Attribute)) and args:
            inner = self._tensor(args[0].value, env, info, following)
            desc = self.describe(func, scope, info)
            return self.apply(desc, inner, following)
        return False

    # ------------------------------------------------------------ values
    def may_be_one(self, expr: cst.BaseExpression, scope: "Scope | None", following: frozenset = frozenset()) -> bool:
        """Whether a pooling size may be 1 (or all ones): a literal, a name bound to one, a parameter whose
        default or some call's argument may be, a loop variable over a collection holding 1."""
        model = self.model
        following = entered(following, node_key(model, "may_be_one", expr, scope))
        if following is None:
            return False
        value = model.value(expr, scope)
        if value == 1 and not isinstance(value, bool) or isinstance(value, (tuple, list)) and value and all(v == 1 for v in value):
            return True
        if isinstance(expr, (cst.Tuple, cst.List)):
            return bool(expr.elements) and all(self.may_be_one(e.value, scope, following) for e in expr.elements)
        if not isinstance(expr, cst.Name):
            return False
        name = expr.value
        loop = _loop_binding(model, expr)
        if loop is not None:
            return self._holds_one(loop, scope, following)
        bound = model.bindings(name, scope)
        if bound is not None:
            return any(self.may_be_one(value, bound[1], following) for value in bound[0])
        return any(self.may_be_one(given, at, following) for given, at in self._given(name, scope))

    def _holds_one(self, expr: cst.BaseExpression, scope: "Scope | None", following: frozenset) -> bool:
        """Whether a collection (a literal, or a name / parameter bound to one) holds a 1."""
        model = self.model
        following = entered(following, node_key(model, "holds_one", expr, scope))
        if following is None:
            return False
        value = model.value(expr, scope)
        if isinstance(value, (tuple, list)):
            return any(v == 1 or isinstance(v, (tuple, list)) and v and all(x == 1 for x in v) for v in value)
        if isinstance(expr, (cst.Tuple, cst.List)):
            return any(self.may_be_one(e.value, scope, following) for e in expr.elements if not isinstance(e, cst.StarredElement))
        if isinstance(expr, cst.Name):
            bound = model.bindings(expr.value, scope)
            if bound is not None:
                return any(self._holds_one(value, bound[1], following) for value in bound[0])
            return any(self._holds_one(given, at, following) for given, at in self._given(expr.value, scope))
        return False

    def _given(self, name: str, scope: "Scope | None") -> list[tuple[cst.BaseExpression, Any]]:
        """What a parameter may hold: its default, and what each call of its function here passes."""
        from bn_lint.semantic.evaluators.call_binding import given_values

        current = scope
        while current is not None and name not in current.params:
            current = current.parent
        if current is None or not isinstance(current.node, cst.FunctionDef):
            return []
        param = current.params[name]
        found: list[tuple[cst.BaseExpression, Any]] = []
        if param.default is not None:
            found.append((param.default, self.model.scope_of(current.node)))
        for given in given_values(self.model, current.node, name, methods=True) or ():
            if given.value is not None and not given.default:
                found.append((given.value, given.scope))
        return found


def _parts(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The sub-expressions of an operation, a collection or a subscript whose calls run."""
    if isinstance(expr, cst.BinaryOperation):
        return [expr.left, expr.right]
    if isinstance(expr, cst.UnaryOperation):
        return [expr.expression]
    if isinstance(expr, (cst.Tuple, cst.List)):
        return [e.value for e in expr.elements]
    if isinstance(expr, cst.Subscript):
        return [expr.value]
    return []


def _loop_binding(model: "FileModel", name: cst.Name) -> cst.BaseExpression | None:
    """The iterable of the comprehension or ``for`` loop around ``name`` whose target is that name."""
    for ancestor in model.ancestors(name):
        fors = []
        if isinstance(ancestor, (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp)):
            comp = ancestor.for_in
            while comp is not None:
                fors.append(comp)
                comp = comp.inner_for_in
        elif isinstance(ancestor, cst.For):
            fors.append(ancestor)
        for loop in fors:
            if isinstance(loop.target, cst.Name) and loop.target.value == name.value:
                return loop.iter
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
            return None
    return None


def _whole_map(model: "FileModel", kernel: cst.BaseExpression, tensor: cst.BaseExpression) -> bool:
    """``avg_pool2d(x, x.size()[2:])`` / ``x.shape[2:]`` / ``(x.size(2), x.size(3))``: a window over the whole map."""
    name = model.code(tensor)
    text = model.code(kernel).replace(" ", "")
    return text in (f"{name}.size()[2:]", f"{name}.shape[2:]", f"{name}.size()[-2:]", f"{name}.shape[-2:]",
                    f"({name}.size(2),{name}.size(3))", f"({name}.shape[2],{name}.shape[3])")


def _keeps_dims(model: "FileModel", call: cst.Call, method: bool) -> bool:
    """``x.mean((2, 3), keepdim=True)`` / ``torch.mean(x, dim=[-1, -2], keepdim=True)``: pooled to 1×1."""
    keep = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "keepdim"), None)
    if keep is None or model.value(keep, None) is not True:
        return False
    positional = [a.value for a in call.args if a.keyword is None]
    dims = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "dim"), None)
    if dims is None:
        dims = positional[0] if method and positional else positional[1] if len(positional) > 1 else None
    if isinstance(dims, (cst.Tuple, cst.List)):
        value = [model.value(e.value, None) for e in dims.elements]
    else:
        value = model.value(dims, None) if dims is not None else None
    return isinstance(value, (tuple, list)) and set(value) in ({2, 3}, {-1, -2}, {2, 3, 4}, {-1, -2, -3})
