"""Batch sizes and the other numbers a file's code certainly gives (``SizeResolution``, one per file:
``model.analysis(SizeResolution)``): literals, constants, arithmetic, names, parameters, ``int`` / ``max`` /
``min``, ``len(x)`` and ``x.size(0)``, a constant imported from another project file. Its other cases are
mixins, one module each, sharing its state and recursion: ``config_entries`` (config dicts),
``option_defaults`` (command-line options, environment variables), ``attribute_sizes`` (``x.attr``) and
``dataset_lengths`` (dataset and tensor lengths)."""
from __future__ import annotations

import operator
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.batching.attribute_sizes import AttributeSizes
from bn_lint.semantic.batching.facts import Size, _INTEGER_OPS, _SIZED_FACTORIES
from bn_lint.semantic.file.records import param_of
from bn_lint.semantic.batching.config_entries import ConfigEntries
from bn_lint.semantic.batching.dataset_lengths import LengthResolution
from bn_lint.semantic.batching.given_numbers import given_number
from bn_lint.semantic.file.names import stored_once
from bn_lint.semantic.batching.option_defaults import OptionDefaults
from bn_lint.semantic.syntax.followed import entered, node_key

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope

_REALS = False  # while ``number`` runs: the ``size`` walk (here and in other files) accepts floats
_FLAGS = False  # while ``flag`` runs: it accepts True / False


class SizeResolution:
    """Batch sizes (and, through ``number``, other numbers) a file's code certainly gives. It holds the file's
    caches; its parts resolve what it cannot alone, reaching it and each other through it: entries of config
    objects (``config_entries``), option and argument defaults (``option_defaults``), attributes (``attributes``),
    dataset lengths (``lengths``)."""

    def __init__(self, model: "FileModel") -> None:
        self.model = model
        self.config_entries = ConfigEntries(self)
        self.option_defaults = OptionDefaults(self)
        self.attributes = AttributeSizes(self)
        self.lengths = LengthResolution(self)
        self._argparse: dict[str, list[tuple[cst.BaseExpression | None, "Scope"]]] | None = None
        self._mutated: set[tuple[str, str]] | None = None
        self._flags: dict[str, str] = {}
        self._env: dict[cst.Param, tuple[cst.BaseExpression, "Scope | None"]] = {}  # parameter -> argument

    def in_file(self, other: "FileModel") -> "SizeResolution":
        """The resolution of another project file (one per file, as ``other.analysis`` keeps it)."""
        return other.analysis(SizeResolution)

    def number(self, expr: cst.BaseExpression, scope: "Scope | None") -> Size | None:
        """The number ``expr`` certainly holds (by default), float or integer: ``size`` with floats."""
        global _REALS
        _REALS, before = True, _REALS
        try:
            return self.size(expr, scope)
        finally:
            _REALS = before

    def flag(self, expr: cst.BaseExpression, scope: "Scope | None") -> bool | None:
        """The True / False ``expr`` certainly holds (by default), through the same flow as ``size``:
        ``drop_last=self.drop_last`` with ``self.drop_last = drop_last`` and ``def __init__(self,
        drop_last=False)`` that no call here overrides."""
        global _FLAGS
        _FLAGS, before = True, _FLAGS
        try:
            found = self.size(expr, scope)
        finally:
            _FLAGS = before
        return found.value if found is not None and isinstance(found.value, bool) else None

    def size(self, expr: cst.BaseExpression, scope: "Scope | None", following: frozenset = frozenset()) -> Size | None:
        """The integer ``expr`` certainly holds (by default), or None."""
        model = self.model
        following = entered(following, node_key(model, "size", expr, scope))
        if following is None:
            return None
        value = model.value(expr, scope)
        if isinstance(value, int) and not isinstance(value, bool) or _REALS and isinstance(value, float) \
                or _FLAGS and isinstance(value, bool):
            return Size(value)
        if isinstance(expr, cst.Name):
            return self._name_size(expr.value, scope, following)
        if isinstance(expr, cst.BinaryOperation):
            op = _INTEGER_OPS.get(type(expr.operator).__name__)
            left = self.size(expr.left, scope, following) if op else None
            right = self.size(expr.right, scope, following) if left else None
            if left is None or right is None or (op is operator.floordiv and right.value == 0):
                return None
            return Size(op(left.value, right.value), left.source or right.source)
        if isinstance(expr, cst.Call):
            return self._call_size(expr, scope, following)
        if isinstance(expr, cst.Attribute):
            return self.attributes.attribute_size(expr, scope, following)
        if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Attribute) and expr.value.attr.value == "shape" \
                and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index) \
                and model.value(expr.slice[0].slice.value, scope) == 0:  # x.shape[0]
            return self.lengths.tensor_length(expr.value.value, scope, following)
        if isinstance(expr, cst.Subscript):
            entry = self.config_entries.entry(expr, scope, following)
            if entry is not None:
                return self.size(entry[0], entry[1], following)
            alias = self.config_entries.dealias(expr.value, scope) if isinstance(expr.value, cst.Name) else None
            if alias is not None and isinstance(alias[0], (cst.Name, cst.Subscript, cst.Attribute)) \
                    and alias[0] is not expr.value:
                # `cfg = CONFIG` (or `CONFIG["train"]`, `C.CONFIG`) with CONFIG imported, then `cfg["batch_size"]`
                return self.config_entries.imported_entry_size(expr.with_changes(value=alias[0]), alias[1], following)
            made = self.config_entries.config_from_function(expr, scope, following)
            if made is not None:
                return made
            given = self.config_entries.name_in_use(expr.value.value, scope) if isinstance(expr.value, cst.Name) else None
            if given is not None and given in self.model.imports:  # `def main(cfg=CONFIG)`, CONFIG imported
                return self.config_entries.imported_entry_size(expr.with_changes(value=cst.Name(given)), self.model.module_scope, following)
            return self.config_entries.imported_entry_size(expr, scope, following)
        return None

    def _name_size(self, name: str, scope: "Scope | None", following: frozenset) -> Size | None:
        model = self.model
        bound = model.binding(name, scope)
        if bound is not None:
            return self.size(bound[0], bound[1], following)
        param = param_of(name, scope)
        if param is not None and param[0] in self._env:  # inside ``_returned``: the call's argument
            value, value_scope = self._env[param[0]]
            return self.size(value, value_scope, following)
        if param is not None:
            found = self.option_defaults.option_default(*param, following)
            if found is None:  # `def smoke_train(batch_size=64)`, called only with its default here
                given = given_number(model, cst.Name(name), scope, self.number)
                found = given if given is not None and (isinstance(given.value, int) or _REALS) else None
            return found
        if name not in model.module_scope.bindings and name in model.imports:
            return self._imported(model.imports[name], following)
        return None

    def _imported(self, dotted: str, following: frozenset) -> Size | None:
        """The size a name imported from another project file holds (a module-level name there, or a class
        attribute: ``model.definition``), worked out by that file's resolution."""
        found = self.model.definition(dotted)
        if found is None or found[0] is self.model:
            return None
        other, expr, scope = found
        return self.in_file(other).size(expr, scope, following)

    def _call_size(self, call: cst.Call, scope: "Scope | None", following: frozenset) -> Size | None:
        model = self.model
        qn = model.qualname(call.func) or (call.func.value if isinstance(call.func, cst.Name) else None)
        positional = [a.value for a in call.args if not a.keyword and not a.star]
        if qn == "int" and len(positional) == 1 and len(call.args) == 1:
            inner = positional[0]
            env = self.option_defaults.environ_default(inner, scope)
            if env is not None:
                return env
            return self.size(inner, scope, following)
        if qn in ("max", "min") and len(positional) == len(call.args) >= 2:
            sizes = [self.size(a, scope, following) for a in positional]
            if any(s is None for s in sizes):
                return None
            pick = (max if qn == "max" else min)(sizes, key=lambda s: s.value)
            return Size(pick.value, next((s.source for s in sizes if s.source), ""))
        env = self.option_defaults.environ_default(call, scope)
        if env is not None and isinstance(env.value, int):
            return env
        return self._rows(call, scope, following)

    def _stored(self, expr: cst.BaseExpression, scope: "Scope | None") -> tuple[cst.BaseExpression, "Scope"] | None:
        """What ``self.attr`` holds when its class assigns it once (``names.stored_once``)."""
        return stored_once(self.model, expr, scope)

    def _rows(self, call: cst.Call, scope: "Scope | None", following: frozenset) -> Size | None:
        """The first dimension a call measures: ``len(x)``, ``x.size(0)``, or ``x.numel()`` of a 1-D ``x``."""
        func = call.func
        positional = [a.value for a in call.args if not a.keyword and not a.star]
        if isinstance(func, cst.Name) and func.value == "len" and self.model.binding("len", scope) is None:
            return self.lengths.length(positional[0], scope, following) if len(call.args) == len(positional) == 1 else None
        if not isinstance(func, cst.Attribute) or self.model.qualname(func) is not None:
            return None
        if func.attr.value == "size" and len(call.args) == len(positional) == 1 and self.model.value(positional[0], scope) == 0:
            return self.lengths.tensor_length(func.value, scope, following)
        if func.attr.value == "numel" and not call.args and self._one_dimensional(func.value, scope):
            return self.lengths.tensor_length(func.value, scope, following)
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
