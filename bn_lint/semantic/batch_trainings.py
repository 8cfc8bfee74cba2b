"""Training loops over a loader and the models they train (the ``TrainingDetection`` mixin of
``BatchAnalysis``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import libcst as cst

from .modules import ModelKind, element_kind, model_kind, overrides_train, project_class, swaps_batchnorm
from .walk import returned_values, walk
from .values import literal_string
from .batch_facts import (
    DDP,
    Training,
    WRAPPERS,
    _ITER_WRAPPERS,
    _MAX_DEPTH,
    _NO_GRAD,
    _SAME_MODEL_METHODS,
    _YIELDS_ITEMS,
    _all_bindings,
    _bind_call,
    _calls_a_parameter,
    _has_backward,
    _init_params,
    _init_stores,
    _is_train_split,
    _literal_strings,
    _looks_like_optimizer,
    _map_ref,
    _param_of,
    _params,
    _reached,
    _refers_to,
    _unpacked_from,
)

if TYPE_CHECKING:  # pragma: no cover
    from .model import ClassInfo, FileModel, Scope


class TrainingDetection:
    """Which loops train which models on a loader: a mixin of ``BatchAnalysis``."""

    # ------------------------------------------------------------ training use
    def _trainings(self, call: cst.Call, scope: "Scope") -> Iterator[Training]:
        """The loops that train a model on the loader built by ``call``: in this file, or in a trainer
        the loader is handed to."""
        refers = self._reference(call, scope)
        if refers is None:
            return
        seen: set[int] = set()
        for test in (refers, *self._returned_to(call, scope)):
            for loop, env in self._loops_over(test):
                if id(loop) in seen:
                    continue
                seen.add(id(loop))
                yield from self._loop_trainings(loop, env)
            yield from self._handed_over(test)

    def _returned_to(self, call: cst.Call, scope: "Scope") -> list:
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
                tests.append(self._reference(site.node, site.scope))
                continue
            outer = model.parent(site.node)
            target = outer.targets[0].target if isinstance(outer, cst.Assign) and len(outer.targets) == 1 else None
            element = target.elements[index].value if isinstance(target, cst.Tuple) and index < len(target.elements) else None
            if isinstance(element, cst.Name):
                tests.append(lambda expr, at, n=element.value, c=site.node: (
                    isinstance(expr, cst.Name) and expr.value == n and _unpacked_from(model, n, at, c, index)))
        return [test for test in tests if test is not None]

    def _reference(self, call: cst.Call, scope: "Scope"):
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

    def _loops_over(self, refers) -> Iterator[tuple[cst.For, dict]]:
        model = self.model
        for loop in self._loops_with_iter(refers):
            yield loop, {}
        for loop in self._loops_with_next(refers):
            yield loop, {}
        # train(model, train_loader, optimizer): loops over the parameter inside `train`
        for site in model.calls:
            for arg in site.node.args:
                if arg.star or not refers(arg.value, site.scope):
                    continue
                function, params = self._callee(site.node, site.scope)
                if function is None:
                    continue
                env = _bind_call(site.node, params, site.scope)
                if env is None:
                    continue
                param = next((p for p, (v, _s) in env.items() if v is arg.value), None)
                if param is None:
                    continue
                function_scope = model.scopes.get(function)

                def is_param(e, s, p=param, f=function_scope):
                    entry_key = getattr(refers, "entry_key", None)
                    if isinstance(e, cst.Subscript) and entry_key is not None and entry_key(e):
                        e = e.value  # (`dataloaders[phase]` of the dict of loaders by split it is given)
                    return isinstance(e, cst.Name) and e.value == p and _param_of(p, s) is not None \
                        and _param_of(p, s)[1] is f.node

                for loop in self._loops_with_iter(is_param, within=function):
                    yield loop, env
                for loop in self._loops_with_next(is_param):  # `it = iter(loader)` ... `next(it)` in an iteration loop
                    yield loop, env

    def _callee(self, call: cst.Call, scope: "Scope") -> tuple[cst.FunctionDef | None, list[str]]:
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

    def _loops_with_iter(self, matches, within: cst.CSTNode | None = None) -> Iterator[cst.For]:
        model = self.model
        for node in model.nodes_of(within or model.module, cst.For):
            if matches(self._iterated(node), model.scope_of(node)):  # (through `enumerate(tqdm(loader))`)
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

    def _loop_trainings(self, loop: cst.For, env: dict) -> Iterator[Training]:
        model = self.model
        for expr, at in self._trained_calls(loop):
            found = self.kind(expr, at, env)
            if found is None:
                continue
            kind, ddp, label = found
            if self._set_to_eval(model.code(expr), loop):
                continue
            yield Training(loop, label, kind, ddp)

    def _trained_calls(self, loop: cst.For) -> list[tuple[cst.BaseExpression, "Scope"]]:
        """What a loop with a training step (``backward()``, an optimizer step, a helper that runs
        ``backward()``) calls outside ``no_grad``, with its scope: the models it may train. Empty for
        a loop without a training step."""
        model = self.model
        if self._under_no_grad(loop):
            return []
        scope = model.scope_of(loop)
        trains = False
        candidates: list[tuple[cst.BaseExpression, Scope]] = []
        for node in walk(loop.body):
            if not isinstance(node, cst.Call):
                continue
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "backward":
                trains = True
            elif isinstance(func, cst.Attribute) and func.attr.value == "step" and _looks_like_optimizer(model, func.value, scope):
                trains = True
            elif isinstance(func, (cst.Name, cst.Attribute)):
                helper, params = self._callee(node, scope)
                if helper is not None and _has_backward(helper):
                    trains = True
                    candidates += [(a.value, scope) for a in node.args if not a.star]
                elif helper is not None and _calls_a_parameter(helper, params):
                    # `loss = swav_loss(model, x)` ... `loss.backward()`: the helper runs the model it is given
                    candidates += [(a.value, scope) for a in node.args if not a.star]
            if isinstance(func, (cst.Name, cst.Attribute)) and not self._under_no_grad(node, stop=loop):
                candidates.append((func, scope))
        return candidates if trains else []

    # -------------------------------------------------------------- trainers
    def _handed_over(self, refers) -> Iterator[Training]:
        """Trainings of a loader handed to a project trainer, of this file or imported:
        ``Trainer(model, loader).fit()``, ``trainer.fit(loader)``, ``train(model, loader)`` from another file."""
        model = self.model
        for site in model.calls:
            arg = next((a for a in site.node.args if not a.star and refers(a.value, site.scope)), None)
            if arg is None:
                continue
            call, scope, func = site.node, site.scope, site.node.func
            if isinstance(func, cst.Name):
                found = self._project_class(func.value, scope)
                if found is not None:  # Trainer(model, loader): the loops of its methods over self.<loader>
                    owner, info = found
                    ctor = _bind_call(call, _init_params(info), scope)
                    stored = _init_stores(info)
                    held = next((attr for attr, param in stored.items() if ctor and param in ctor
                                 and ctor[param][0] is arg.value), None)
                    if held is None or ctor is None:
                        continue
                    for method in _reached(info, self._methods_called(call, scope, info)):
                        for source, trained in owner.batches.loops_training(method):
                            if source == f"self:{held}":
                                yield from self._handed_training(trained, {}, ctor, stored)
                    continue
                if model.binding(func.value, scope) is None and func.value in model.imports:
                    found_fn = model.imported(model.imports[func.value], "def")
                    function = found_fn[0].functions.get(found_fn[1]) if found_fn is not None else None
                    if function is not None and found_fn[0] is not model:  # train(model, loader) of another file
                        env = _bind_call(call, _params(function), scope)
                        yield from self._given(found_fn[0], function, env, arg, {}, {})
            elif isinstance(func, cst.Attribute):
                instance = self._instance(func.value, scope)  # trainer.fit(loader), Trainer(model).fit(loader)
                if instance is None:
                    continue
                owner, info, ctor_call, ctor_scope = instance
                method = info.methods.get(func.attr.value)
                if method is None:
                    continue
                env = _bind_call(call, _params(method)[1:], scope)
                ctor = _bind_call(ctor_call, _init_params(info), ctor_scope) or {}
                yield from self._given(owner, method, env, arg, ctor, _init_stores(info))

    def _given(self, owner: "FileModel", function: cst.FunctionDef, env: dict | None, arg: cst.Arg,
               ctor: dict, stored: dict[str, str]) -> Iterator[Training]:
        """The trainings of ``function`` (of ``owner``'s file) over the parameter that ``arg`` binds."""
        if env is None:
            return
        param = next((p for p, (v, _s) in env.items() if v is arg.value), None)
        if param is None:
            return
        for source, trained in owner.batches.loops_training(function):
            if source == f"param:{param}":
                yield from self._handed_training(trained, env, ctor, stored)

    def _handed_training(self, trained: str, env: dict, ctor: dict, stored: dict[str, str]) -> Iterator[Training]:
        """The Training of the model a trainer's loop runs (``param:model`` or ``self:model``), as the
        caller's argument for it shows."""
        where, _, name = trained.partition(":")
        bound = env.get(name) if where == "param" else ctor.get(stored.get(name, ""))
        if bound is None:
            return
        found = self.kind(bound[0], bound[1])
        if found is not None:
            kind, ddp, label = found
            yield Training(None, label, kind, ddp)  # type: ignore[arg-type]  (the loop is in the trainer)

    def loops_training(self, function: cst.FunctionDef, depth: int = 0) -> list[tuple[str, str]]:
        """(loader, model) for the loops of ``function`` that train a model on batches of a loader it
        is given, each as ``param:<name>`` or ``self:<attribute>``, through helpers of this file it calls."""
        key = (function, depth)
        cached = self._trainer_loops.get(key)
        if cached is not None:
            return cached
        self._trainer_loops[key] = []
        model = self.model
        found: list[tuple[str, str]] = []
        for node in walk(function.body):
            if isinstance(node, cst.For):
                source = self._given_ref(self._iterated(node), model.scope_of(node), function)
                if source is None:
                    continue
                for expr, at in self._trained_calls(node):
                    trained = self._given_ref(expr, at, function)
                    if trained is not None and not self._set_to_eval(model.code(expr), node):
                        found.append((source, trained))
            elif isinstance(node, cst.Call) and depth < 2:  # fit(loader) -> self._train_epoch(loader)
                helper, params = self._callee(node, model.scope_of(node))
                env = _bind_call(node, params, model.scope_of(node)) if helper is not None else None
                for source, trained in self.loops_training(helper, depth + 1) if env is not None else ():
                    mapped = [_map_ref(ref, env, model.scope_of(node), function, self) for ref in (source, trained)]
                    if None not in mapped:
                        found.append((mapped[0], mapped[1]))  # type: ignore[arg-type]
        self._trainer_loops[key] = found
        return found

    def _given_ref(self, expr: cst.BaseExpression, scope: "Scope", function: cst.FunctionDef) -> str | None:
        """``param:<name>`` for a parameter of ``function``, ``self:<attr>`` for ``self.<attr>``."""
        if isinstance(expr, cst.Name):
            found = _param_of(expr.value, scope)
            return f"param:{expr.value}" if found is not None and found[1] is function else None
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
            return f"self:{expr.attr.value}"
        return None

    def _iterated(self, loop: cst.For) -> cst.BaseExpression:
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

    def _project_class(self, name: str, scope: "Scope") -> tuple["FileModel", "ClassInfo"] | None:
        """The class of this file, or imported from another project file, that ``name`` calls."""
        return None if self.model.binding(name, scope) is not None else project_class(self.model, cst.Name(name))

    def _instance(self, expr: cst.BaseExpression, scope: "Scope"):
        """(file, class, its construction, scope) for ``Trainer(...)``, or a name bound to it once."""
        bound = self.model.binding(expr.value, scope) if isinstance(expr, cst.Name) else (expr, scope)
        if bound is None:
            return None
        value = bound[0]
        if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Name)):
            return None
        found = self._project_class(value.func.value, bound[1])
        return (*found, value, bound[1]) if found is not None else None

    def _methods_called(self, call: cst.Call, scope: "Scope", info: "ClassInfo") -> set[str]:
        """The methods called on the instance ``call`` builds: ``Trainer(...).fit()``, or on the one name
        it is bound to (``trainer = Trainer(...)``, ``trainer.fit()``)."""
        model = self.model
        parent = model.parent(call)
        if isinstance(parent, cst.Attribute) and parent.value is call:
            return {parent.attr.value}
        if not (isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name)):
            return set()
        name = parent.targets[0].target.value
        called = set()
        for site in model.calls:
            func = site.node.func
            if (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == name
                    and func.attr.value in info.methods):
                bound = model.binding(name, site.scope)
                if bound is not None and bound[0] is call:
                    called.add(func.attr.value)
        return called

    def _under_no_grad(self, node: cst.CSTNode, stop: cst.CSTNode | None = None) -> bool:
        model = self.model
        for ancestor in model.ancestors(node):
            if ancestor is stop:
                return False
            if isinstance(ancestor, cst.With):
                for item in ancestor.items:
                    expr = item.item.func if isinstance(item.item, cst.Call) else item.item
                    if model.qualname(expr) in _NO_GRAD:
                        return True
            if isinstance(ancestor, cst.FunctionDef):
                for decorator in ancestor.decorators:
                    expr = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
                    if model.qualname(expr) in _NO_GRAD:
                        return True
                return False
        return False

    def _set_to_eval(self, label: str, loop: cst.For) -> bool:
        """``model.eval()`` before or in the loop, in its function (or module), and never ``model.train()``:
        BatchNorm uses running stats. An eval only after the loop leaves its first pass training."""
        model = self.model
        root: cst.CSTNode = model.module
        for ancestor in model.ancestors(loop):
            if isinstance(ancestor, cst.FunctionDef):
                root = ancestor
                break
        start, inside = model.order(loop), {id(node) for node in model.nodes_of(loop, cst.Call)}
        evals = trains = False
        for node in model.nodes_of(root, cst.Call):
            if isinstance(node.func, cst.Attribute) and model.code(node.func.value) == label:
                if node.func.attr.value == "eval" or (node.func.attr.value == "train" and node.args
                                                       and model.value(node.args[0].value, None) is False):
                    evals = evals or model.order(node) < start or id(node) in inside
                elif node.func.attr.value == "train":
                    trains = True
        return evals and not trains

    # ------------------------------------------------------------------ models
    def kind(self, expr: cst.BaseExpression, scope: "Scope | None", env: dict | None = None,
             depth: int = 0) -> tuple[ModelKind, bool, str] | None:
        """(kind, through DDP, label) of a model expression, following wrappers and re-bindings."""
        model = self.model
        if depth > _MAX_DEPTH:
            return None
        label = model.code(expr)
        if isinstance(expr, cst.Name):
            if env and expr.value in env and _param_of(expr.value, scope) is not None:
                value, value_scope = env[expr.value]
                found = self.kind(value, value_scope, None, depth + 1)
                return (found[0], found[1], found[2] or label) if found else None
            values, value_scope = _all_bindings(expr.value, scope, model, expr)
            if not values:
                unpacked = model.unpacked(expr.value, scope)  # `model, tf = build_model()`
                kind = element_kind(model, *unpacked) if unpacked is not None else None
                if kind is None:
                    return self._passed_kind(expr.value, scope, depth)
                return (kind, False, label)
            results = []
            for value in values:
                if swaps_batchnorm(model, value):
                    return None  # `net = strip_batchnorm(net)`
                if _refers_to(value, expr.value):
                    results.append((None, isinstance(value, cst.Call) and model.qualname(value.func) in DDP))
                    continue
                found = self.kind(value, value_scope, None, depth + 1)
                if found is None:
                    return None
                results.append((found[0], found[1]))
            kinds = {k for k, _ in results if k is not None}
            if len(kinds) != 1:
                return None
            return kinds.pop(), any(d for _, d in results), label or expr.value
        if isinstance(expr, cst.Attribute):
            if expr.attr.value == "module":
                return self.kind(expr.value, scope, env, depth + 1)
            if isinstance(expr.value, cst.Name) and expr.value.value == "self":
                info = model.enclosing_class(scope)
                values = info.attributes.get(expr.attr.value, []) if info else []
                if len(values) != 1:
                    return None
                found = self.kind(values[0][0], values[0][1], None, depth + 1)
                return (found[0], found[1], label) if found else None
            return None
        if isinstance(expr, cst.Call):
            qn = model.qualname(expr.func)
            func = expr.func
            if isinstance(func, cst.Attribute) and func.attr.value in _SAME_MODEL_METHODS and qn is None:
                return self.kind(func.value, scope, env, depth + 1)
            if isinstance(func, cst.Name) and func.value in model.functions and model.binding(func.value, scope) is None:
                # a local builder: `def build_model(): return nn.Sequential(...)`
                function = model.functions[func.value]
                returns = [r for r in returned_values(function) if r is not None]
                inner = model.scopes.get(function)
                found = [self.kind(r, inner, None, depth + 1) for r in returns]
                if not found or any(f is None for f in found) or len({f[0] for f in found}) != 1:
                    return None
                return found[0][0], any(f[1] for f in found), label
            if qn in WRAPPERS and expr.args and not expr.args[0].keyword:
                found = self.kind(expr.args[0].value, scope, env, depth + 1)
                return (found[0], found[1] or qn in DDP, found[2]) if found else None
            if overrides_train(model, expr.func):
                return None  # the class sets its own layers' modes in train(): its BatchNorm may never train
            kind = model_kind(model, expr, scope)
            return (kind, False, label) if kind is not None else None
        return None

    def trains_batchnorm(self) -> bool:
        """Whether some loop of this file trains a BatchNorm model (whatever it iterates: a loader
        returned by a builder, a generator, a list of batches)."""
        return any(training.kind is ModelKind.BN for loop in self.model.nodes_of(self.model.module, cst.For)
                   for training in self._loop_trainings(loop, {}))

    def _passed_kind(self, name: str, scope: "Scope | None", depth: int) -> tuple[ModelKind, bool, str] | None:
        """A parameter (``def pretrain(model, ...)``): the kind every call of the function in this file
        passes, when they agree."""
        found = _param_of(name, scope)
        function = found[1] if found is not None else None
        if function is None or self.model.functions.get(function.name.value) is not function:
            return None
        params = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
        results = set()
        for site in self.model.calls:
            if not (isinstance(site.node.func, cst.Name) and site.node.func.value == function.name.value):
                continue
            env = _bind_call(site.node, params, site.scope)
            if env is None or name not in env:
                return None
            kind = self.kind(env[name][0], env[name][1], None, depth + 1)
            if kind is None:
                return None
            results.add(kind[:2])
        if len(results) != 1:
            return None
        kind, ddp = results.pop()
        return kind, ddp, name
