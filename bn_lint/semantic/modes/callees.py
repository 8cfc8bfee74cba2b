"""The project function or method a call runs."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.nn_modules.bearing import _imported_name
from bn_lint.semantic.file.classes import super_call
from bn_lint.semantic.project.annotated_classes import annotated_class
from bn_lint.semantic.project.overrides import abstract, override
from bn_lint.semantic.project.definitions import (
    class_level_method, inherited_definition, only_definition, only_module_method_here,
)
from bn_lint.semantic.project.returns import returned_function
from .built_classes import built_class, built_classes, class_of_construction, plain as _plain, switching as _switching
from bn_lint.semantic.syntax.walk import dotted_parts
from .dispatch import built_alternatives, dispatched_method, given_function, loop_items, record_receiver
from .keys import _unwrap_passthrough, key_of
from .method_names import hands_self_on, method_keeps_modes
from .records import Summary

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo
    from .analysis import ModeAnalysis






class Callees:
    """A part of the mode analysis (``analysis.callees``): the project function a call runs (cached method facts)."""

    def __init__(self, analysis: "ModeAnalysis") -> None:
        self.analysis = analysis

    # ---------------------------------------------------------------- callees
    def callee_summary(self, call: cst.Call) -> Summary | None:
        """The summary of the project function ``call`` runs, for its ``trains`` (None when it trains
        nothing: the project index answers that for another file's function without parsing it)."""
        where = self.imported_callee(call)
        project = self.analysis.model.project
        if where is not None and project is not None and project.indexed(where[0], "trains", where[1]) is False:
            return None
        target = self.callee(call)
        if target is None:
            return None
        analysis, func = target
        return analysis.given.given_summary(func, call)  # (`make_train('valid', x)`: its step only `if phase == 'train'`)

    def callee(self, call: cst.Call, other_files: bool = True) -> tuple["ModeAnalysis", cst.FunctionDef] | None:
        """The project function a call runs: local function, ``self.method``, or (``other_files``) imported."""
        model = self.analysis.model
        func = call.func
        if isinstance(func, cst.Name):
            if func.value in model.functions and model.binding(func.value, None) is None:
                return self.analysis, model.functions[func.value]
            nested = model.local_function(func.value, model.scope_of(call))
            if nested is not None and nested is not model.functions.get(func.value):
                return self.analysis, nested  # a function defined inside the caller (or one around it)
            made = self.made_closure(call, other_files)
            if made is not None:
                return made  # `step = make_step(model, opt); step(x)`: the closure the factory returns
            given = given_function(self.analysis, func.value, call, other_files)
            if given is not None:
                return given  # `train_fn(model, x)`: the function every caller passes as `train_fn`
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            if func.value.value == "self":
                info = model.enclosing_class(model.scope_of(call))
                dispatched = dispatched_method(self.analysis, info, func.attr.value, call) if other_files else None
                if dispatched is not None:  # (the receiver's class, or a class between it and this one, defines it)
                    return (self.analysis if dispatched[0] is model else dispatched[0].analysis(type(self.analysis))), dispatched[2]
                if info is not None and func.attr.value in info.methods:
                    found = (model, info, info.methods[func.attr.value])
                else:  # (a method a project base defines, of this file or another: `self._save_log(...)`)
                    found = inherited_definition(model, info, func.attr.value) if info is not None else None
                if found is not None and other_files and abstract(found[2]):
                    # (left to subclasses: `self.predict_proba(x)` runs the override a subclass defines)
                    found = override(model, info, func.attr.value) or found
                if found is None or found[0] is not model and not other_files:
                    return None
                return (self.analysis if found[0] is model else found[0].analysis(type(self.analysis))), found[2]
            static = class_level_method(model, func)
            if static is not None and (static[0] is model or other_files):
                # `gan_factory.generator_factory(kind)`, `Metrics.accuracy(net, loader)`: a method of the class itself
                return (self.analysis if static[0] is model else static[0].analysis(type(self.analysis))), static[1]
            if model.imports.get(func.value.value) is None:
                return self._instance_method(func.value, func.attr.value, call, other_files)
        elif isinstance(func, cst.Attribute) and _imported_module_path(model, func):
            pass  # (`Model.bilinear.load_model(...)` after `import Model.bilinear`: resolved below)
        elif isinstance(func, cst.Attribute) and key_of(func.value) is not None:
            return self._attribute_method(func.value, func.attr.value, call)
        elif isinstance(func, cst.Attribute) and super_call(func.value):
            # `super().__init__(config)`: the base class's method of this file, on the same `self`
            found = inherited_definition(model, model.enclosing_class(model.scope_of(call)), func.attr.value)
            if found is None or found[0] is not model and not other_files:
                return None
            return (self.analysis if found[0] is model else found[0].analysis(type(self.analysis)), found[2])
        else:
            return None
        dotted = _imported_name(self.analysis.model, func)
        found = model.imported(dotted, "def") if dotted and other_files else None
        if found is None or found[1] not in found[0].functions:
            return None
        other, name = found
        return other.analysis(type(self.analysis)), other.functions[name]

    def made_closure(self, call: cst.Call, other_files: bool = True) -> tuple["ModeAnalysis", cst.FunctionDef] | None:
        """``step = make_step(model, opt)`` then ``step(x)``: the function nested in the project function
        ``make_step`` (of this file or, with ``other_files``, imported) that it returns, which ``call`` runs."""
        made = self.closure_factory_call(call)
        if made is None:
            return None
        busy = self.analysis.__dict__.setdefault("_made_closures_busy", set())
        if made in busy:
            return None  # (`f = f(x)`: no factory to follow)
        busy.add(made)
        try:
            target = self.callee(made, other_files)
        finally:
            busy.discard(made)
        if target is None:
            return None
        analysis, factory = target
        returned = returned_function(analysis.model, factory)
        return (analysis, returned) if returned is not None else None

    def closure_factory_call(self, call: cst.Call) -> cst.Call | None:
        """The call that the name ``call`` runs is bound to, once, in the function ``call`` sits in
        (``step = make_step(model, opt)``)."""
        func = call.func
        if not isinstance(func, cst.Name):
            return None
        scope = self.analysis.model.scope_of(call)
        bound = self.analysis.model.binding(func.value, scope)
        if bound is None or bound[1] is not scope or not isinstance(bound[0], cst.Call):
            return None
        return bound[0]

    def imported_callee(self, call: cst.Call) -> tuple[str, str] | None:
        """(file, name) of the other project file's function ``call`` runs, found without parsing that file;
        None for a function of this file (or one ``callee`` finds no other way)."""
        func = call.func
        model = self.analysis.model
        if isinstance(func, cst.Name) and (func.value in model.functions or model.local_function(func.value, model.scope_of(call))):
            return None
        dotted = _imported_name(self.analysis.model, func)
        return model.imported_path(dotted, "def") if dotted else None

    def _attribute_method(self, receiver: cst.BaseExpression, method: str,
                          call: cst.Call) -> tuple["ModeAnalysis", cst.FunctionDef] | None:
        """``self.ema.update(model)`` where ``self.ema`` holds an instance of a class of this file that
        defines ``update``."""
        held = self.attribute_class(receiver, call)
        if held is not None:
            return (self.analysis, held.methods[method]) if method in held.methods else None
        return self._other_file_attribute_method(receiver, method, call)

    def _other_file_attribute_method(self, receiver: cst.BaseExpression, method: str,
                                     call: cst.Call) -> tuple["ModeAnalysis", cst.FunctionDef] | None:
        """``self.G.encode(x)`` where the enclosing class assigns ``self.G`` once, an instance of a project class
        of another file (``self.G = Generator()``, also through a local name bound once): that class's method, its
        own or inherited."""
        model = self.analysis.model
        assigned = self._one_self_value(receiver, call)
        value = _unwrap_passthrough(assigned[0]) if assigned is not None else None
        if isinstance(value, cst.Name):  # (`network = Net(...); self.network = network`)
            bound = model.binding(value.value, assigned[1])
            value = _unwrap_passthrough(bound[0]) if bound is not None else None
        found = class_of_construction(self.analysis, value)
        if found is None or found[0] is self.analysis:
            return None
        other, held = found
        if method in held.methods:
            return other, held.methods[method]
        inherited = inherited_definition(other.model, held, method)
        if inherited is None:
            return None
        return (self.analysis if inherited[0] is model else inherited[0].analysis(type(self.analysis))), inherited[2]

    def _one_self_value(self, receiver: cst.BaseExpression, node: cst.CSTNode) -> tuple | None:
        """(value, scope) of the one assignment the class around ``node`` makes to ``self.<attr>`` (the receiver
        ``self.<attr>``); None when it assigns it more than once, or not at all."""
        model = self.analysis.model
        if not (isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name)
                and receiver.value.value == "self"):
            return None
        info = model.enclosing_class(model.scope_of(node))
        values = info.attributes.get(receiver.attr.value, []) if info is not None else []
        return values[0] if len(values) == 1 else None

    def attribute_class(self, receiver: cst.BaseExpression, node: cst.CSTNode) -> "ClassInfo | None":
        """The class of this file whose instance ``self.ema`` holds, when the enclosing class assigns it
        once (``self.ema = ModelEMA(self.model)``)."""
        assigned = self._one_self_value(receiver, node)
        if assigned is None:
            return self._only_built_class(receiver, node)
        value, where = _unwrap_passthrough(assigned[0]), assigned[1]
        if isinstance(value, cst.Name) and value.value in where.params and not where.bindings.get(value.value) \
                and isinstance(where.node, cst.FunctionDef) and where.node.name.value == "__init__":
            return self._given_instance_class(where.node, value.value)  # `self.handler = handler`
        return self._built_class(value, where)

    def _only_built_class(self, receiver: cst.BaseExpression, node: cst.CSTNode) -> "ClassInfo | None":
        """The one class of this file that the class around ``node`` builds into ``self.<attr>`` where it assigns it
        more than once, the other assignments building nothing (``self.root = Node(s)`` in ``__init__``, ``self.root
        = chosen.node`` later: a value read from elsewhere, of no class in sight)."""
        if not (isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name)
                and receiver.value.value == "self"):
            return None
        info = self.analysis.model.enclosing_class(self.analysis.model.scope_of(node))
        values = info.attributes.get(receiver.attr.value, []) if info is not None else []
        built = [self._built_class(_unwrap_passthrough(value), where) for value, where in values]
        found = {id(one): one for one in built if one is not None}
        if len(found) != 1 or any(one is None and isinstance(_unwrap_passthrough(value), (cst.Call, cst.Name))
                                  for one, (value, _) in zip(built, values)):
            return None
        return next(iter(found.values()))

    def _built_class(self, value: cst.BaseExpression | None, scope) -> "ClassInfo | None":
        """The class of this file that ``value`` builds: ``Logic()``, or a name bound once to that."""
        model = self.analysis.model
        if isinstance(value, cst.Name):
            bound = model.binding(value.value, scope)
            value = _unwrap_passthrough(bound[0]) if bound is not None else None
        if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Name)):
            return None
        if model.binding(value.func.value, None) is not None:
            return None
        return model.classes.get(value.func.value)

    def _given_instance_class(self, init: cst.FunctionDef, param: str) -> "ClassInfo | None":
        """The class of this file whose instance every construction in this file gives ``__init__``'s
        ``param`` (``Trainer(Logic(), model)``): the object the attribute stored from it holds."""
        from bn_lint.semantic.evaluators.call_binding import given_values

        given = given_values(self.analysis.model, init, param) or []
        found = {id(c): c for c in (self._built_class(g.value, g.scope) if g.site is not None else None
                                    for g in given)}
        return next(iter(found.values())) if len(found) == 1 and None not in found.values() else None

    def _instance_method(self, receiver: cst.Name, method: str, call: cst.Call,
                         other_files: bool) -> tuple["ModeAnalysis", cst.FunctionDef] | None:
        """``model.freeze_bn()`` where ``model = SegNet(...)`` (``.to(device)`` allowed) and the project class
        (of this file, or with ``other_files`` imported) defines ``freeze_bn`` itself. A name built as one of
        several classes (``model = A() if lstm else B()``), or a parameter its callers give such instances, runs
        the method of the first of them (in the order of the code) that defines it: one visible path."""
        model = self.analysis.model
        bound = model.binding(receiver.value, model.scope_of(call))
        values = [_unwrap_passthrough(bound[0])] if bound is not None else built_alternatives(self.analysis.model, receiver.value, call)
        if not values:  # (`for client in clients: client.evaluate(...)`, `clients = [Client(m) for _ in range(n)]`)
            values = loop_items(self.analysis.model, receiver.value, call)
        if not values:  # `def train(model, ...)`: what this file's callers pass in, when each builds a project class
            values = self._passed_instances(receiver.value, self.analysis.enclosing_function(call)) or []
            scope = model.scopes.get(self.analysis.enclosing_function(call))
            if not values and other_files and scope is not None and receiver.value in scope.params \
                    and _sets_mode_of_part(model.code(scope.node), receiver.value):
                # (or, given from another file with a module whose mode the function sets, `solver.G.train()`: the
                # one class near the file that defines the method)
                only = only_definition(model, method)
                return (only[0].analysis(type(self.analysis)), only[1]) if only is not None else None
            if not values and other_files and scope is not None and receiver.value in scope.params \
                    and (here := only_module_method_here(model, method)) is not None \
                    and (not method_keeps_modes(self.analysis, method) or hands_self_on(model.code(here.body))):
                # (`fit(model, ...)` running `model.training_step(batch)` of this file's one module, which may switch
                # modes: its summary says how; one that keeps them is a run, read from its text at the call)
                return self.analysis, here
        if not values and other_files:
            annotated = _annotated_method(self.analysis, receiver.value, method, call)
            if annotated is not None:  # `def evaluate(self, fn: EvaluationFunction)`, then `fn.register(self)`
                return annotated
        for value in values:
            built = None if class_of_construction(self.analysis, value, other_files) else built_class(self.analysis, value, other_files)
            found = class_of_construction(self.analysis, value, other_files) or _plain(built) or (
                None if method_keeps_modes(self.analysis, method) else _switching(built, method)) or (
                _picked_with(self.analysis, value, method) if other_files and built is None else None)
            if found is not None and method in found[1].methods:
                return found[0], found[1].methods[method]
            inherited = inherited_definition(found[0].model, found[1], method) if found is not None and other_files \
                else None
            if inherited is not None:  # (`model.load_pretrained(path)` of a project base class, in its own file)
                owner = inherited[0]
                record_receiver(call, found[0].model, found[1])  # (its calls on `self` dispatch to this class first)
                return (self.analysis if owner is model else owner.analysis(type(self.analysis))), inherited[2]
        return None

    def passed_instance(self, param: str, func: cst.FunctionDef | None) -> cst.Call | None:
        """The construction of a project class (``VSE(opt)``, the class of this file or imported) that every
        call of this file's function ``func`` passes as ``param`` (directly, or as its own caller's parameter,
        however many levels up); None when a caller passes something else, or there is no caller, or they build several
        classes."""
        built = self._passed_instances(param, func)
        return built[0] if built and len({self.analysis.model.code(b.func) for b in built}) == 1 else None

    def _passed_instances(self, param: str, func: cst.FunctionDef | None) -> list[cst.Call] | None:
        """Each construction of a project class that a call of this file's function ``func`` passes as ``param``
        (also through the name its caller builds as one of several classes), in the order of the code; None when
        a caller passes something else, or there is no caller."""
        if func is None or self.analysis.model.functions.get(func.name.value) is not func:
            return None
        memo = self.analysis.__dict__.setdefault("_passed_instances_memo", {})
        if (param, func) not in memo:
            memo[(param, func)] = None  # (a recursive caller chain: no answer)
            memo[(param, func)] = self._passed_instances_of(param, func)
        return memo[(param, func)]

    def _passed_instances_of(self, param: str, func: cst.FunctionDef) -> list[cst.Call] | None:
        from bn_lint.semantic.evaluators.call_binding import callers, positional_names

        if param not in positional_names(func) and param not in {p.name.value for p in func.params.kwonly_params}:
            return None
        built: list[cst.Call] = []
        for site, given in callers(self.analysis.model, func) or ():
            call = site.node
            arg = given.get(param)
            if not isinstance(arg, cst.Name):
                return None
            values = built_alternatives(self.analysis.model, arg.value, call)
            if not values:
                values = self._passed_instances(arg.value, self.analysis.enclosing_function(call)) or []
            if not values or any(class_of_construction(self.analysis, value) is None for value in values):
                return None
            built.extend(value for value in values if not any(value is seen for seen in built))
        return built or None  # (each construction once: callers that pass the same one twice do not double it)

    def _built_then_copied(self, name: str, call: cst.Call) -> cst.BaseExpression | None:
        """``model = DSCNN()`` and then only ``model = tq.fuse_modules_qat(model, ...)``-like rebindings (a
        copy of the same model, or ``model.to(device)``): the one value that builds it."""
        built = built_alternatives(self.analysis.model, name, call)
        return built[0] if len(built) == 1 else None


def _sets_mode_of_part(code: str, name: str) -> bool:
    """Whether ``code`` sets the mode of a module ``name`` holds (``solver.G.train()``)."""
    return re.search(r"(?<![\w.])" + re.escape(name) + r"(?:\.\w+)+\.(?:train|eval)\(", code) is not None


def _picked_with(analysis, value: cst.BaseExpression, method: str):
    """The first plain class a run-time pick may build (``create_model(opt)``) that defines or inherits ``method``."""
    for found in built_classes(analysis, value):
        if not _plain(found):
            continue
        if method in found[1].methods or inherited_definition(found[0].model, found[1], method) is not None:
            return found
    return None


def _imported_module_path(model, func: cst.Attribute) -> bool:
    """``Model.bilinear.load_model``: a dotted path whose root is an imported module the file binds nothing else to."""
    parts = dotted_parts(func)
    return parts is not None and len(parts) > 2 and parts[0] in model.imports and model.binding(parts[0], None) is None


def _annotated_method(analysis: "ModeAnalysis", name: str, method: str,
                      call: cst.Call) -> tuple["ModeAnalysis", cst.FunctionDef] | None:
    """The method ``method`` of the project class the parameter ``name`` is annotated with (its own or inherited;
    an abstract one left to the subclass that overrides it), for a parameter the enclosing function never rebinds."""
    model = analysis.model
    scope = model.scope_of(call)
    while scope is not None and scope.kind != "function":
        scope = scope.parent
    function = scope.node if scope is not None else None
    if not isinstance(function, cst.FunctionDef) or scope.bindings.get(name):
        return None
    param = next((p for p in (*function.params.posonly_params, *function.params.params, *function.params.kwonly_params)
                  if p.name.value == name), None)
    owner = annotated_class(model, param) if param is not None else None
    if owner is None:
        return None
    other, info = owner
    found = (other, info, info.methods[method]) if method in info.methods else inherited_definition(other, info, method)
    if found is None:
        return None
    if abstract(found[2]):
        found = override(other, info, method)
        if found is None:
            return None
    return (analysis if found[0] is model else found[0].analysis(type(analysis))), found[2]
