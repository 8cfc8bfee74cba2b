"""Names for the chain interpreter (see :mod:`.chains`): what a name means in a frame (a local, a
binding of the file evaluated once, a function, class or torch.nn layer class, a class constant),
and what it reads from other files of the project: plain constants bound at their module level,
and helpers that return one torch.nn layer, run there with this file's arguments."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import libcst as cst

from bn_lint.semantic.knowledge import layers as layer_table
from bn_lint.semantic.shapes.frame import Frame, _OutOfBudget
from bn_lint.semantic.shapes.values import (
    Chain, ClassRef, ForeignFunc, FuncRef, LayerClass, LayerValue, Tensor, TorchFunction, _from_json, _plain_constant,
    _to_json,
)
from bn_lint.semantic.file.not_indexed import NOT_INDEXED
from bn_lint.semantic.syntax.constants import UNKNOWN, is_width
from bn_lint.semantic.syntax.walk import returned_values

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.shapes.producers import ChainAnalysis
    from bn_lint.semantic.file.model import ClassInfo, Scope

_RETURNS_CALL = re.compile(r"\breturn[ \t]*\(?\s*([\w.]+)\s*\(")  # `return nn.Conv2d(`, `return (conv(`
_NOT_LAYERS = frozenset({"set", "list", "dict", "tuple", "int", "float", "str", "bool", "len", "range", "min", "max",
                         "sorted", "zip", "enumerate", "isinstance", "getattr", "super", "type", "print", "format"})


def _may_return_layer(body: str) -> bool:
    """Whether a function's text (comments and strings left out) has a ``return`` of a call that may build
    a layer: not a builtin's, nor a function defined inside it (``return run_function(...)``)."""
    from bn_lint.prefilter import code_only

    code = code_only(body)
    local = set(re.findall(r"\bdef[ \t]+(\w+)", code)[1:])
    return any(name.rpartition(".")[2] not in _NOT_LAYERS | local for name in _RETURNS_CALL.findall(code))


_IMPORTING: set[tuple[str, str]] = set()  # imported constants being evaluated (import cycles)


class ChainNames:
    """Looks names up, here and in other project files; a part of :class:`~.producers.ChainAnalysis`."""

    def __init__(self, chain: "ChainAnalysis") -> None:
        self.chain = chain
        self._imported: dict[str, Any] = {}  # imported dotted name -> its constant value (or UNKNOWN)
        self._helpers: dict[str, Any] = {}  # imported dotted name -> its ForeignFunc (or UNKNOWN)
        self._static: dict[cst.CSTNode, Any] = {}  # a name's static value, once per node

    def static_value(self, expr: cst.BaseExpression, scope: "Scope | None") -> Any:
        if expr in self._static:
            return self._static[expr]
        if expr in self.chain._active:
            return UNKNOWN
        self.chain._active.add(expr)
        try:
            value = self.chain.expressions.evaluate(expr, Frame(scope or self.chain.model.module_scope, {}, function=False))
        finally:
            self.chain._active.discard(expr)
        self._static[expr] = value
        return value

    def lookup(self, name: str, frame: Frame) -> Any:
        if name in frame.locals:
            return frame.locals[name]
        if name in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[name]
        model = self.chain.model
        scope = frame.scope
        if frame.function and (name in scope.bindings or name in scope.opaque or name in scope.params):
            return UNKNOWN
        if frame.flow and name in scope.bindings:
            return UNKNOWN  # module level: not yet bound in this flow, or rebound
        bound = model.binding(name, scope)
        if bound is not None:
            return self.static_value(bound[0], bound[1])
        if name in model.functions:
            return FuncRef(model.functions[name])
        if name in model.classes:
            return ClassRef(name)
        found = model.layer_class(cst.Name(name), model.module_scope) if name in model.imports or model.star_imports else None
        if found is not None:
            return LayerClass(found[0], tuple((k, UNKNOWN) for k in found[1]))
        if name in model.imports:
            return self.imported_thing(model.imports[name])
        return UNKNOWN

    def module_function(self, func: cst.Attribute, frame: Frame) -> Any:
        """What ``module.name`` is when ``module`` is an imported project module (``L.conv1x1`` of
        ``import lib.layers as L``), else UNKNOWN."""
        root = func
        while isinstance(root, cst.Attribute):
            root = root.value
        if not isinstance(root, cst.Name) or root.value not in self.chain.model.imports or root.value in frame.locals \
                or self.chain.model.binding(root.value, frame.scope) is not None:
            return UNKNOWN
        dotted = self.chain.model.qualname(func)
        return self.imported_thing(dotted) if dotted is not None else UNKNOWN

    def imported_thing(self, dotted: str) -> Any:
        """What an imported name (``conv1x1``, ``L.conv1x1``, ``Widths.stem``) is in its project file: a
        constant there, else a helper that returns a layer it builds, else UNKNOWN."""
        value = self._imported_constant(dotted)
        if value is UNKNOWN:
            if dotted not in self._helpers:
                self._helpers[dotted] = self._imported_function(dotted)
            value = self._helpers[dotted]
        return value

    def class_constant(self, info: "ClassInfo", name: str) -> Any:
        for cls in self.chain._mro(info):
            values = cls.scope.bindings.get(name)
            if values:
                if len(values) == 1:
                    return self.static_value(values[0], cls.scope)
                return UNKNOWN
            if name in cls.methods:
                return ("method", cls.methods[name])
        return UNKNOWN

    def _imported_function(self, dotted: str) -> Any:
        """``ForeignFunc`` for a function of the project file behind ``dotted`` that returns a torch.nn layer
        it builds (``def conv3x3(i, o): return nn.Conv2d(i, o, 3, padding=1, bias=False)``), on some path
        (``if act == "relu": return nn.ReLU()``): run there for each call; a factory of other shapes stays
        UNKNOWN (and is not interpreted)."""
        project = self.chain.model.project
        where = self.chain.model.imported_path(dotted, "def") if project is not None else None
        if where is None or project.indexed(where[0], "helper", where[1]) is False \
                or not project.matches(where[0], layer_table.names_pattern()):
            return UNKNOWN  # (a file that names no layer class builds none: known without parsing it)
        bodies = project.function_bodies(where[0], where[1])
        if bodies is not None and not any(_may_return_layer(body) for body in bodies):
            return UNKNOWN  # (no `return f(...)` of a class or alias in its code: it returns no layer it builds)
        other = project.model(where[0])
        if other is None or other is self.chain.model or where[1] not in other.functions:
            return UNKNOWN
        function = other.functions[where[1]]
        returns = returned_values(function)
        scope = other.scopes.get(function)
        # (one layer it builds on some path is enough: each call runs it with its arguments, a layer or UNKNOWN)
        helper = any(isinstance(value, cst.Call) and other.layer_class(value.func, scope) is not None for value in returns)
        other.index_facts[("helper", where[1])] = helper
        return ForeignFunc(other, function) if helper else UNKNOWN

    def foreign_layer(self, target: ForeignFunc, args: list[Any], kwargs: dict[str, Any], call: cst.Call) -> Any:
        """The layer another file's helper builds and returns (``conv3x3(in_planes, planes)``), run there
        with this call's arguments, as a layer built here whose widths alone are known: its other
        arguments (a bias) stay unknown, so only width checks use it."""
        key = (target.model.path, target.node.name.value)
        if key in _IMPORTING:
            return UNKNOWN
        _IMPORTING.add(key)
        analysis = self.chain._foreign.get(target.model.path)
        if analysis is None:
            analysis = self.chain._foreign[target.model.path] = type(self.chain)(target.model)
        try:
            built = analysis.calls.call_function(target.node, None, args, dict(kwargs), None, site=call)
        except (_OutOfBudget, RecursionError):
            return UNKNOWN
        finally:
            _IMPORTING.discard(key)
        return _built_here(built, call)

    def _imported_constant(self, dotted: str) -> Any:
        """A plain constant (number, string, tuple of them) bound once at module level in the project
        file behind ``dotted`` (``from config import WIDTH``, ``config.WIDTH``); else UNKNOWN."""
        if dotted in self._imported:
            return self._imported[dotted]
        if dotted in layer_table.SAME_SHAPE_FUNCTIONS:
            return TorchFunction(dotted)  # `self.act = F.relu`: applied where it is called
        self._imported[dotted] = value = self._imported_value(dotted)
        return value

    def _imported_value(self, dotted: str) -> Any:
        model = self.chain.model
        where = model.imported_path(dotted)
        if where is not None and model.project is not None and model.project.may_assign(*where):
            indexed = model.project.indexed(where[0], "const", where[1])
            if indexed is not NOT_INDEXED:
                return _from_json(indexed)
        found = model.definition(dotted)  # (a module-level name there, or a class attribute: `Widths.stem`)
        if found is None:
            return UNKNOWN
        other, bound = found[0], found[1:]
        name = where[1] if where is not None else None  # (a class attribute's answer is not kept in the index)
        key = (other.path, dotted if name is None else name)
        if key in _IMPORTING:
            return UNKNOWN
        outermost = not _IMPORTING  # (inside a cycle, an answer may be cut short: not one to keep)
        _IMPORTING.add(key)
        try:
            value = type(self.chain)(other).names.static_value(bound[0], bound[1])
        finally:
            _IMPORTING.discard(key)
        value = value if _plain_constant(value) else UNKNOWN
        if outermost and name is not None:
            other.index_facts[("const", name)] = _to_json(value)
        return value


def _built_here(built: Any, call: cst.Call) -> Any:
    """What another file's helper built, as built at ``call`` here, its widths alone known: a layer, or an
    ``nn.Sequential`` of such layers (``conv_bn(c_in, 64)`` returning Conv2d, BatchNorm2d, ReLU); UNKNOWN for
    anything else (a list of unknown modules, a project module)."""
    if isinstance(built, LayerValue):
        spec = built.spec
        widths: dict[str, Any] = {}
        for param in (spec.in_width, spec.out_width, spec.doubles_with):
            value = built.value(param)
            if param is not None and (is_width(value) or (param == spec.doubles_with and isinstance(value, bool))):
                widths[param] = value
        return LayerValue(call, spec, {}, widths, frozenset(), False, {}, call)
    if isinstance(built, Chain) and built.sequential and not built.module_list and built.fills is None and built.items:
        items = tuple(_built_here(item, call) for item in built.items)
        if all(isinstance(item, (LayerValue, Chain)) for item in items):
            return Chain(items, Tensor(), sequential=True)
    return UNKNOWN
