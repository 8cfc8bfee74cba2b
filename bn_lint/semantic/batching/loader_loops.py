"""Where a file's code iterates a DataLoader (``LoaderLoops``, one per file): the expressions that are the
loader (its name, ``self.<attr>``, its entry of a dict of loaders by split, the names the callers of its
builder bind it to) and the loops over them: ``for batch in loader`` (through ``enumerate`` / ``tqdm``),
``next(it)`` of ``iter(loader)`` in a loop, and those of a function of this file it is handed to."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import libcst as cst

from bn_lint.semantic.batching.facts import (
    _ITER_WRAPPERS, _YIELDS_ITEMS, _is_train_split, _literal_strings, _unpacked_from,
)
from bn_lint.semantic.evaluators.call_binding import bind_in
from bn_lint.semantic.file.records import param_of
from bn_lint.semantic.syntax.constants import literal_string
from bn_lint.semantic.syntax.walk import returned_values

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope


class LoaderLoops:
    """The loops over a loader of one file."""

    def __init__(self, model: "FileModel") -> None:
        self.model = model

    def reference(self, call: cst.Call, scope: "Scope"):
        """A test of whether an expression (seen from a scope) is the loader ``call`` builds."""
        model = self.model
        parent = model.parent(call)
        target: cst.BaseExpression | None = None
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and parent.value is call:
            target = parent.targets[0].target
        split = self._split_entry(call)
        if split is not None:
            return split
        if target is None:
            # for batch in DataLoader(...) / fit(model, DataLoader(...))
            def refers(expr: cst.BaseExpression, at: "Scope") -> bool:
                return expr is call
        elif isinstance(target, cst.Name):
            name = target.value

            def refers(expr: cst.BaseExpression, at: "Scope") -> bool:
                if not isinstance(expr, cst.Name) or expr.value != name:
                    return False
                bound = model.binding(name, at)
                return bound is not None and bound[0] is call
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self":
            info = model.enclosing_class(scope)
            attr = target.attr.value
            values = info.attributes.get(attr, []) if info else []
            if len(values) != 1:
                return None

            def refers(expr: cst.BaseExpression, at: "Scope") -> bool:
                return (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)
                        and expr.value.value == "self" and expr.attr.value == attr
                        and model.enclosing_class(at) is info)
        else:
            return None
        return refers

    def _split_entry(self, call: cst.Call):
        """For the training loader of a dict of loaders keyed by split, as in PyTorch's transfer-learning
        tutorial (``dataloaders = {x: DataLoader(...) for x in ['train', 'val']}``, or a dict display with
        a ``'train'`` entry): a test of whether an expression is that entry, ``dataloaders['train']`` or
        ``dataloaders[phase]`` in a ``for phase in ['train', 'val']`` loop, also inside a function the dict
        is handed to. None for any other loader, and for the other splits' entries."""
        model = self.model
        parent = model.parent(call)
        if isinstance(parent, cst.DictElement) and parent.value is call:
            key = literal_string(parent.key) if isinstance(parent.key, cst.SimpleString) else None
            keys = {key} if isinstance(key, str) and _is_train_split(key) else set()
            built = model.parent(parent)
        elif isinstance(parent, cst.DictComp) and parent.value is call and parent.for_in.inner_for_in is None \
                and isinstance(parent.for_in.target, cst.Name):
            keys = {k for k in _literal_strings(parent.for_in.iter) if _is_train_split(k)}
            built = parent
        else:
            return None
        assign = model.parent(built)
        if not keys or not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and assign.value is built
                            and isinstance(assign.targets[0].target, cst.Name)):
            return None
        name = assign.targets[0].target.value

        def entry_key(expr: cst.BaseExpression) -> bool:
            """``d['train']`` / ``d[phase]`` (``phase`` a loop's variable over literal splits with 'train')."""
            index = expr.slice[0].slice if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 else None
            index = index.value if isinstance(index, cst.Index) else None
            if isinstance(index, cst.SimpleString):
                return literal_string(index) in keys
            if isinstance(index, cst.Name):
                loop = next((a for a in model.ancestors(expr) if isinstance(a, cst.For) and isinstance(a.target, cst.Name)
                             and a.target.value == index.value), None)
                return loop is not None and bool(keys & set(_literal_strings(loop.iter)))
            return False

        def refers(expr: cst.BaseExpression, at: "Scope") -> bool:
            if isinstance(expr, cst.Name) and isinstance(model.parent(expr), cst.Arg):  # handed to a trainer
                bound = model.binding(name, at)
                return expr.value == name and bound is not None and bound[0] is built
            if not (isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Name) and expr.value.value == name
                    and entry_key(expr)):
                return False
            bound = model.binding(name, at)
            return bound is not None and bound[0] is built

        refers.entry_key = entry_key  # type: ignore[attr-defined]  (for `dataloaders[phase]` in a trainer)
        return refers

    def returned_to(self, call: cst.Call, scope: "Scope") -> list:
        """For a loader a builder of this file returns (``return loader`` or ``return loader, sampler``):
        tests for the names its callers bind it to (``train_loader, sampler = make_loader(...)``)."""
        model = self.model
        parent = model.parent(call)
        function = scope.node
        if not (isinstance(function, cst.FunctionDef) and model.functions.get(function.name.value) is function):
            return []
        if isinstance(parent, cst.Return) and parent.value is call:  # `return DataLoader(...)`
            index = None
        elif isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
            name = parent.targets[0].target.value
            places = set()
            for value in returned_values(function):
                if isinstance(value, cst.Name) and value.value == name:
                    places.add(None)
                elif isinstance(value, cst.Tuple):
                    places |= {i for i, e in enumerate(value.elements) if isinstance(e.value, cst.Name) and e.value.value == name}
            if len(places) != 1 or model.binding(name, scope) is None:
                return []
            index = places.pop()
        else:
            return []
        tests = []
        for site in model.calls:
            func = site.node.func
            if not (isinstance(func, cst.Name) and func.value == function.name.value
                    and model.binding(func.value, site.scope) is None):
                continue
            if index is None:
                tests.append(self.reference(site.node, site.scope))
                continue
            outer = model.parent(site.node)
            target = outer.targets[0].target if isinstance(outer, cst.Assign) and len(outer.targets) == 1 else None
            element = target.elements[index].value if isinstance(target, cst.Tuple) and index < len(target.elements) else None
            if isinstance(element, cst.Name):
                tests.append(lambda expr, at, n=element.value, c=site.node: (
                    isinstance(expr, cst.Name) and expr.value == n and _unpacked_from(model, n, at, c, index)))
        return [test for test in tests if test is not None]

    def loops_over(self, refers) -> Iterator[tuple[cst.For, dict]]:
        model = self.model
        for loop in self._loops_with_iter(refers):
            yield loop, {}
        for loop in self._loops_with_next(refers):
            yield loop, {}
        # train(model, train_loader, optimizer): loops over the parameter inside `train`, or inside the helpers
        # `train` hands it on to, however deep
        entry_key = getattr(refers, "entry_key", None)
        for site in model.calls:
            for arg in site.node.args:
                if arg.star or not refers(arg.value, site.scope):
                    continue
                function, params = self.callee(site.node, site.scope)
                env = bind_in(site.node, params, site.scope, model) if function is not None else None
                param = next((p for p, (v, _s) in env.items() if v is arg.value), None) if env is not None else None
                if param is None:
                    continue
                for loop, inner in self.param_loops(function, param, entry_key):
                    yield loop, _composed(model, inner, env, function)

    def param_loops(self, function: cst.FunctionDef, param: str, entry_key=None) -> list[tuple[cst.CSTNode, dict | None]]:
        """The loops over ``function``'s parameter ``param``: in ``function`` (env None: its own parameters), and in
        the functions of this file it hands the parameter to, however deep (env: their parameters bound to
        ``function``'s code). ``function``'s summary, worked out once; each loop once; a recursive call sees none."""
        memo = self.__dict__.setdefault("_param_loops", {})
        if (function, param, entry_key) in memo:
            return memo[(function, param, entry_key)]
        memo[(function, param, entry_key)] = []
        model = self.model
        function_scope = model.scopes.get(function)

        def is_param(e, s):
            if isinstance(e, cst.Subscript) and entry_key is not None and entry_key(e):
                e = e.value  # (`dataloaders[phase]` of the dict of loaders by split it is given)
            return isinstance(e, cst.Name) and e.value == param and param_of(param, s) is not None \
                and function_scope is not None and param_of(param, s)[1] is function_scope.node

        found: dict[int, tuple[cst.CSTNode, dict | None]] = {}
        for loop in [*self._loops_with_iter(is_param, within=function), *self._loops_with_next(is_param)]:
            found.setdefault(id(loop), (loop, None))  # (`it = iter(loader)` ... `next(it)` in an iteration loop)
        for call in model.nodes_of(function, cst.Call):
            at = model.scope_of(call)
            arg = next((a for a in call.args if not a.star and is_param(a.value, at)), None)
            callee, params = self.callee(call, at) if arg is not None else (None, [])
            env = bind_in(call, params, at, model) if callee is not None and callee is not function else None
            handed = next((p for p, (v, _s) in env.items() if v is arg.value), None) if env is not None else None
            for loop, inner in self.param_loops(callee, handed, entry_key) if handed is not None else ():
                found.setdefault(id(loop), (loop, _composed(model, inner, env, callee)))
        memo[(function, param, entry_key)] = list(found.values())
        return memo[(function, param, entry_key)]

    def _loops_with_iter(self, matches, within: cst.CSTNode | None = None) -> Iterator[cst.For]:
        model = self.model
        for node in model.nodes_of(within or model.module, cst.For):
            if matches(self.iterated(node), model.scope_of(node)):  # (through `enumerate(tqdm(loader))`)
                yield node

    def _loops_with_next(self, refers) -> Iterator[cst.For | cst.While]:
        """The innermost loops that draw batches with ``next(it)`` where every binding of ``it`` is
        ``iter(loader)`` (re-made when it runs out), or with ``next(iter(loader))``."""
        model = self.model
        for site in model.calls:
            call = site.node
            if not (isinstance(call.func, cst.Name) and call.func.value == "next" and len(call.args) == 1):
                continue
            if not isinstance(model.parent(call), cst.Assign):
                continue  # (a batch handed straight to a helper, `show(G, next(iter(val_loader)))`, is no training batch)
            drawn = call.args[0].value
            if isinstance(drawn, cst.Name):
                bound = model.bindings(drawn.value, site.scope)
                sources = [(value, bound[1]) for value in bound[0]] if bound is not None else []
            else:
                sources = [(drawn, site.scope)]
            if not sources or not all(isinstance(value, cst.Call) and isinstance(value.func, cst.Name)
                                      and value.func.value == "iter" and self._iter_wrapper(value)
                                      and refers(value.args[0].value, at) for value, at in sources):
                continue
            loop = next((node for node in model.ancestors(call) if isinstance(node, (cst.For, cst.While))), None)
            if loop is not None:
                yield loop

    def iterated(self, loop: cst.For) -> cst.BaseExpression:
        """What a loop iterates, through ``enumerate(tqdm(loader))`` and ``it = tqdm(loader)``."""
        expr = loop.iter
        scope = self.model.scope_of(loop)
        for _ in range(4):
            if isinstance(expr, cst.Name):
                bound = self.model.binding(expr.value, scope)
                if bound is not None and isinstance(bound[0], cst.Call) and self._iter_wrapper(bound[0]):
                    expr = bound[0]
            if self._iter_wrapper(expr):
                expr = expr.args[0].value
                continue
            break
        return expr

    def _iter_wrapper(self, expr: cst.BaseExpression) -> bool:
        """``enumerate(x)``, ``tqdm(x)``, ``iter(x)``: iterating it iterates ``x``."""
        if not (isinstance(expr, cst.Call) and expr.args and not expr.args[0].keyword):
            return False
        qn = self.model.qualname(expr.func) or (expr.func.value if isinstance(expr.func, cst.Name) else "")
        if qn in _ITER_WRAPPERS:
            return True
        return isinstance(expr.func, cst.Attribute) and self._yields_items(expr.func.attr.value)

    def _yields_items(self, method: str) -> bool:
        """Whether every ``def method(self, iterable, ...)`` of this file's classes and the project files it
        imports yields the items of its first argument (``for obj in iterable: ... yield obj``): torchvision's
        reference ``MetricLogger.log_every(data_loader, print_freq)``. Read from the text."""
        texts = self.model.method_texts(method)
        return bool(texts) and all(_YIELDS_ITEMS.search(text) for text in texts)

    def callee(self, call: cst.Call, scope: "Scope") -> tuple[cst.FunctionDef | None, list[str]]:
        model = self.model
        func = call.func
        if isinstance(func, cst.Name) and func.value in model.functions and model.binding(func.value, scope) is None:
            function = model.functions[func.value]
            return function, [p.name.value for p in function.params.posonly_params + function.params.params]
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
            info = model.enclosing_class(scope)
            function = info.methods.get(func.attr.value) if info else None
            if function is not None:
                return function, [p.name.value for p in function.params.posonly_params + function.params.params][1:]
        return None, []


def _composed(model: "FileModel", inner: dict | None, env: dict, function: cst.FunctionDef) -> dict:
    """``inner`` (a loop's function's parameters bound to ``function``'s code; None: ``function``'s own) in the terms
    of the caller whose call binds ``function``'s parameters as ``env``."""
    if inner is None:
        return env
    out = {}
    for name, (value, at) in inner.items():
        own = isinstance(value, cst.Name) and value.value in env and param_of(value.value, at) is not None \
            and model.scopes.get(function) is not None and param_of(value.value, at)[1] is model.scopes[function].node
        out[name] = env[value.value] if own else (value, at)
    return out
