"""Dataset lengths the code makes certain (``SizeResolution.lengths``)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import libcst as cst

from bn_lint.semantic.evaluators.call_binding import bind_in
from bn_lint.semantic.file.names import grown
from bn_lint.semantic.syntax.walk import returned_values
from bn_lint.semantic.syntax.constants import literal_number
from bn_lint.semantic.syntax.followed import entered, node_key
from bn_lint.semantic.batching.facts import (
    _integer, _range_length, RANDOM_SPLITS, SUBSETS, Size, TENSOR_DATASETS, _GENERATOR_SAMPLERS,
    _NOT_LOCAL, _SAME_LENGTH_METHODS, _SIZED_FACTORIES, _broadcasts, _call_of, _keeps_length,
)

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.batching.sizes import SizeResolution
    from bn_lint.semantic.file.model import Scope


def _params_bound(params: list[cst.Param], call: cst.Call, scope: "Scope | None") -> dict:
    """param -> (the argument ``call`` gives it, the scope it is written in)."""
    by_name = {p.name.value: p for p in params}
    found = bind_in(call, list(by_name), scope) or {}
    return {by_name[name]: value for name, value in found.items() if name in by_name}


class LengthResolution:
    """Dataset and tensor lengths a file's code makes certain: a part of ``SizeResolution``."""

    def __init__(self, sizes: "SizeResolution") -> None:
        self.sizes = sizes

    # ---------------------------------------------------------- dataset length
    def length(self, expr: cst.BaseExpression, scope: "Scope | None", following: frozenset = frozenset()) -> Size | None:
        """The number of samples of a dataset expression, when certain."""
        model = self.sizes.model
        following = entered(following, node_key(model, "length", expr, scope))
        if following is None:
            return None
        stored = self.sizes._stored(expr, scope)
        if stored is not None:
            return self.length(stored[0], stored[1], following)
        if isinstance(expr, cst.Name):
            bound = model.binding(expr.value, scope)
            if bound is not None and isinstance(bound[0], (cst.List, cst.ListComp)) \
                    and grown(model, bound[1].node, expr.value):
                return None  # `samples = []`, then `samples.append(...)`: not the empty list
            if bound is not None:
                return self.length(bound[0], bound[1], following)
            split = model.unpacked(expr.value, scope)  # train, val = random_split(...)
            if split is not None:
                call, index, split_scope = split
                sizes = self._split_sizes(call, split_scope, following)
                return sizes[index] if sizes and index < len(sizes) else None
            return None
        if isinstance(expr, (cst.List, cst.Tuple)):
            if any(isinstance(e, cst.StarredElement) for e in expr.elements):
                return None
            return Size(len(expr.elements))
        if isinstance(expr, cst.ListComp):
            comp = expr.for_in
            if comp.ifs or comp.inner_for_in is not None or comp.asynchronous is not None:
                return None
            return self.length(comp.iter, scope, following)
        if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Name):
            # random_split(...)[0]
            call = _call_of(self.sizes.model, expr.value, scope)
            index = model.value(expr.slice[0].slice.value, scope) if len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index) else None
            if call is not None and model.qualname(call.func) in RANDOM_SPLITS and isinstance(index, int):
                sizes = self._split_sizes(call, scope, following)
                return sizes[index] if sizes and -len(sizes) <= index < len(sizes) else None
            return None
        if not isinstance(expr, cst.Call):
            return None
        qn = model.qualname(expr.func) or (expr.func.value if isinstance(expr.func, cst.Name) else None)
        positional = [a.value for a in expr.args if a.keyword is None and not a.star]
        if qn in TENSOR_DATASETS and len(expr.args) == 1 and expr.args[0].star == "*" \
                and isinstance(expr.args[0].value, cst.Call):
            # `TensorDataset(*make_data(n))`: the first tensor of the tuple a local helper returns
            found = self._returned(expr.args[0].value, scope, lambda value, at: self.tensor_length(value, at, following), 0)
            return found if found is not _NOT_LOCAL else None
        if any(a.star for a in expr.args):
            return None
        if qn == "range":
            values = [self.sizes.size(a, scope, following) for a in positional]
            if not values or None in values or len(values) > 3:
                return None
            length = _range_length([v.value for v in values])
            return Size(length) if length is not None else None
        if qn in ("list", "tuple") and len(positional) == 1:
            return self.length(positional[0], scope, following)
        if qn in TENSOR_DATASETS and positional:
            # TensorDataset refuses tensors of different lengths: one known length is the dataset's
            known = [n for n in (self.tensor_length(a, scope, following) for a in positional) if n is not None]
            return known[0] if known and len({n.value for n in known}) == 1 else None
        if qn in SUBSETS and len(positional) == 2:
            return self.length(positional[1], scope, following)
        if qn and isinstance(expr.func, cst.Name) and expr.func.value in model.classes:
            return self._class_length(model.classes[expr.func.value], expr, scope)
        foreign = self._imported_class_length(expr, scope, following)
        if foreign is not None:
            return foreign
        returned = self._returned(expr, scope, lambda value, at: self.length(value, at, following))
        if returned is not _NOT_LOCAL:
            return returned
        return self.tensor_length(expr, scope, following)

    def _returned(self, call: cst.Call, scope: "Scope | None", measure, index: int | None = None) -> Any:
        """``measure`` of what a local function returns (its ``index``-th element for ``a, b = f()``), when
        every ``return`` agrees; the function's parameters stand for the call's arguments meanwhile.
        ``_NOT_LOCAL`` when ``call`` does not call a function of this file."""
        model, func = self.sizes.model, call.func
        if not isinstance(func, cst.Name) or func.value not in model.functions or model.binding(func.value, scope):
            return _NOT_LOCAL
        function = model.functions[func.value]
        inner = model.scopes.get(function)
        returns = returned_values(function)
        if index is not None:
            returns = [r.elements[index].value if isinstance(r, cst.Tuple) and len(r.elements) > index else None
                       for r in returns]
        if not returns or any(r is None for r in returns) or any(a.star for a in call.args):
            return None
        params = [*function.params.posonly_params, *function.params.params, *function.params.kwonly_params]
        saved, self.sizes._env = self.sizes._env, {**self.sizes._env, **_params_bound(params, call, scope)}
        try:
            found = [measure(r, model.scope_of(r) or inner) for r in returns]
        finally:
            self.sizes._env = saved
        if any(n is None for n in found) or len({n.value for n in found}) != 1:
            return None
        return found[0]

    def tensor_length(self, expr: cst.BaseExpression, scope: "Scope | None", following: frozenset = frozenset()) -> Size | None:
        """The first dimension of a tensor built in the code (``torch.randn(1001, 3)``)."""
        model = self.sizes.model
        following = entered(following, node_key(model, "tensor_length", expr, scope))
        if following is None:
            return None
        stored = self.sizes._stored(expr, scope)
        if stored is not None:
            return self.tensor_length(stored[0], stored[1], following)
        if isinstance(expr, cst.Name):
            bound = model.binding(expr.value, scope)
            if bound is not None:
                return self.tensor_length(bound[0], bound[1], following)
            assigned = model.bindings(expr.value, scope)
            if assigned is not None and len(assigned[0]) > 1 and all(
                    _keeps_length(model, value, expr.value, assigned[1]) for value in assigned[0][1:]):
                # `x = torch.randn(4097, 8)`, then `x = (x - x.mean(0)) / x.std(0)`: the rows stay
                return self.tensor_length(assigned[0][0], assigned[1], following)
            split = model.unpacked(expr.value, scope)  # x, y = make_data(n)
            if split is not None and split[2] is scope:
                call, index, call_scope = split
                found = self._returned(call, call_scope, lambda value, at: self.tensor_length(value, at, following), index)
                return found if found is not _NOT_LOCAL else None
            return None
        if isinstance(expr, cst.UnaryOperation):  # -x
            return self.tensor_length(expr.expression, scope, following)
        if isinstance(expr, cst.Comparison) and len(expr.comparisons) == 1 \
                and _broadcasts(model, expr.comparisons[0].comparator, scope):  # `(score > 0).long()`: labels per row
            return self.tensor_length(expr.left, scope, following)
        if isinstance(expr, cst.BinaryOperation):
            if isinstance(expr.operator, cst.MatrixMultiply):  # `torch.randn(n, 24) @ MIXING`: the rows of the left
                return self.tensor_length(expr.left, scope, following)
            # `torch.rand(n, 8) * 2.0 - 1.0`, `x + BASELINE` (1-D): a number or a vector keeps the rows
            for other, tensor in ((expr.right, expr.left), (expr.left, expr.right)):
                if _broadcasts(model, other, scope):
                    return self.tensor_length(tensor, scope, following)
            return None
        if not isinstance(expr, cst.Call) or any(a.star for a in expr.args):
            return None
        func = expr.func
        if isinstance(func, cst.Name) and func.value in model.functions:  # `x = simulate(4097)`
            found = self._returned(expr, scope, lambda value, at: self.tensor_length(value, at, following))
            return found if found is not _NOT_LOCAL else None
        if isinstance(func, cst.Attribute) and func.attr.value in _SAME_LENGTH_METHODS:
            if model.qualname(func) is None:
                return self.tensor_length(func.value, scope, following)
        qn = model.qualname(func) or ""
        positional = [a.value for a in expr.args if a.keyword is None]
        keywords = {a.keyword.value: a.value for a in expr.args if a.keyword is not None}
        if "size" in keywords and self._numpy_generator(func, scope):  # rng.normal(size=(n, 32))
            qn = "numpy.random.normal"
        if qn in ("torch.from_numpy", "torch.as_tensor", "numpy.asarray", "numpy.array", "torch.tensor") and positional:
            inner = positional[0]
            if isinstance(inner, (cst.List, cst.Tuple, cst.ListComp)) or qn == "torch.from_numpy":
                return self.length(inner, scope, following) if qn != "torch.from_numpy" else self.tensor_length(inner, scope, following)
            return self.tensor_length(inner, scope, following)
        if isinstance(func, cst.Attribute) and func.attr.value == "unsqueeze" and len(positional) == 1 \
                and model.qualname(func) is None:
            dim = literal_number(positional[0])
            if isinstance(dim, int) and dim != 0:  # `x.unsqueeze(1)`: (N,) -> (N, 1), the rows stay
                return self.tensor_length(func.value, scope, following)
            return None
        if qn in ("torch.linspace", "numpy.linspace"):  # `torch.linspace(-pi, pi, 1001)`: `steps` points
            steps = keywords.get("steps" if qn.startswith("torch") else "num")
            steps = positional[2] if steps is None and len(positional) >= 3 else steps
            return self.sizes.size(steps, scope, following) if steps is not None else None
        if qn in ("torch.arange", "numpy.arange"):
            values = [self.sizes.size(a, scope, following) for a in positional]
            if not values or None in values or len(values) > 3 or keywords:
                return None
            length = _range_length([v.value for v in values])
            return Size(length) if length is not None else None
        if qn not in _SIZED_FACTORIES:
            return None
        shape: cst.BaseExpression | None = keywords.get("size")
        if shape is None:
            if qn.endswith(("randint", "normal", "uniform")):
                shape = next((a for a in positional if isinstance(a, (cst.Tuple, cst.List))), None)
            elif qn.startswith("numpy.") and qn.rpartition(".")[2] in ("zeros", "ones", "empty", "full"):
                shape = positional[0] if positional else keywords.get("shape")
            elif positional:
                shape = positional[0]
        if shape is None:
            return None
        if isinstance(shape, (cst.Tuple, cst.List)):
            if not shape.elements or isinstance(shape.elements[0], cst.StarredElement):
                return None
            shape = shape.elements[0].value
        return self.sizes.size(shape, scope, following)

    def _numpy_generator(self, func: cst.BaseExpression, scope: "Scope | None") -> bool:
        """``rng.normal`` / ``rng.integers`` where ``rng = np.random.default_rng(...)`` (or ``RandomState``)."""
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                and func.attr.value in _GENERATOR_SAMPLERS):
            return False
        bound = self.sizes.model.binding(func.value.value, scope)
        return (bound is not None and isinstance(bound[0], cst.Call)
                and self.sizes.model.qualname(bound[0].func) in ("numpy.random.default_rng", "numpy.random.RandomState"))

    def _class_length(self, info, call: cst.Call, scope: "Scope | None", given: dict | None = None) -> Size | None:
        """What ``__len__`` of a Dataset class of this file returns for the instance ``call`` builds: a
        constant, or what ``__init__`` stores from its arguments (``self.n = n``; ``return self.n``).
        ``given``: the arguments, worked out by the caller (``call`` is another file's)."""
        method = info.methods.get("__len__")
        if method is None:
            return None
        returns = returned_values(method)
        if len(returns) != 1 or returns[0] is None:
            return None
        init = info.methods.get("__init__")
        bound = dict(self.sizes._env)
        if given is not None:
            bound.update(given)
        elif init is not None and not any(a.star for a in call.args):
            bound.update(_params_bound([*init.params.posonly_params, *init.params.params, *init.params.kwonly_params][1:],
                                       call, scope))
        saved, self.sizes._env = self.sizes._env, bound
        try:
            return self.sizes.size(returns[0], self.sizes.model.scopes.get(method))
        finally:
            self.sizes._env = saved

    def _imported_class_length(self, call: cst.Call, scope: "Scope | None", following: frozenset) -> Size | None:
        """``_class_length`` of a Dataset class imported from another project file, its arguments worked out
        here: the integers this file shows, the others unknown."""
        model = self.sizes.model
        func = call.func
        if isinstance(func, cst.Name) and model.binding(func.value, scope) is None:
            dotted = model.imports.get(func.value)
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in model.imports:
            dotted = f"{model.imports[func.value.value]}.{func.attr.value}"
        else:
            return None
        where = model.imported_path(dotted, "class") if dotted else None
        if where is None or not model.project.mentions(where[0], "def __len__"):
            return None  # (no `__len__` there: no parse)
        found = model.imported(dotted, "class")
        if found is None or found[0] is model or found[1] not in found[0].classes or any(a.star for a in call.args):
            return None
        other, info = found[0], found[0].classes[found[1]]
        init = info.methods.get("__init__")
        given: dict = {}
        if init is not None:
            params = [*init.params.posonly_params, *init.params.params, *init.params.kwonly_params][1:]
            for param, (value, at) in _params_bound(params, call, scope).items():
                size = self.sizes.size(value, at, following)
                given[param] = (_integer(size.value) if size is not None and isinstance(size.value, int)
                                else cst.Name("__unknown__"), None)
        return self.sizes.in_file(other).lengths._class_length(info, call, None, given)

    def _split_sizes(self, call: cst.Call, scope: "Scope | None", following: frozenset) -> list[Size] | None:
        if self.sizes.model.qualname(call.func) not in RANDOM_SPLITS or len(call.args) < 2:
            return None
        lengths = call.args[1].value
        if not isinstance(lengths, (cst.List, cst.Tuple)):
            return None
        values = [self.sizes.model.value(e.value, scope) for e in lengths.elements]
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return [Size(v) for v in values]
        if not all(isinstance(v, float) for v in values):
            return None
        total = self.length(call.args[0].value, scope, following)
        if total is None or abs(sum(values) - 1) > 1e-6:
            return None
        sizes = [math.floor(total.value * f) for f in values]
        for i in range(total.value - sum(sizes)):  # torch's round-robin remainder
            sizes[i % len(sizes)] += 1
        return [Size(s) for s in sizes]
