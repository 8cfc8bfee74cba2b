"""Whether a followed model holds BatchNorm (BN / MAYBE / NO), and whether its class sets its own modes."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.evaluators.call_binding import given_values
from bn_lint.semantic.nn_modules.bearing import (
    ModelKind, _mentions, library_part_without_bn, model_kind, overrides_train, train_sets_modes,
)
from bn_lint.semantic.project.callers import given_by_builders_elsewhere
from bn_lint.semantic.project.definitions import project_class
from bn_lint.semantic.project.train_overrides import override_parts, refrozen_parts
from bn_lint.semantic.syntax.walk import walk
from bn_lint.semantic.syntax.followed import entered
from .instance_kinds import asserted_class_kind, instance_kind
from .keys import _unwrap_passthrough, key_of, key_root
from .loops import _enumerated
from .state import ENTRY, TRAIN, UNKNOWN_MODE
from .trained import TRAINED

if TYPE_CHECKING:  # pragma: no cover
    from .analysis import ModeAnalysis
    from bn_lint.semantic.file.model import ClassInfo, Scope


class ModelKinds:
    """A part of the mode analysis (``analysis.kinds``): the BatchNorm content (kind) of a followed model."""

    def __init__(self, analysis: "ModeAnalysis") -> None:
        self.analysis = analysis

    def shown_train(self, facts: frozenset) -> bool:
        """Training mode on every path, as the code shows (an eval on some path means a deliberate choice)."""
        # (a path where another object was loaded in its place, `try: model = torch.load(p)`, is a path of its
        # own: its unknown mode does not clear the path that keeps the module built here)
        # (and a path where the name holds another object the function built in place of the one given: the
        # given one's paths decide, `if model is None: model = Net(); model.eval()`)
        facts = frozenset(f for f in facts if not f.local) or facts
        # (and an `.eval()` on a branch the code may skip, `if resume: model.eval()`, beside a path in training mode)
        if any(f.mode == TRAIN for f in facts):
            facts = frozenset(f for f in facts if not f.optional) or facts
        # (a model a factory of unknown content built, `model = model_maker()`, then trained: as one given)
        modes = {ENTRY if f.mode == UNKNOWN_MODE and f.why == "built" else f.mode
                 for f in facts if not (f.mode == UNKNOWN_MODE and f.why == "loaded")}
        # (or trained on the paths through its training loop: the other path is the loop run zero times)
        # (a path in training mode that holds a module known to have no BatchNorm is no bug: one must not be)
        harmful = any(f.mode == TRAIN and f.kind is not ModelKind.NO for f in facts)
        return harmful and (modes == {TRAIN} or modes == {TRAIN, ENTRY} and any(f.why == TRAINED for f in facts))

    def _entry_value(self, key: str, scope: "Scope") -> cst.BaseExpression | None:
        """What the one dict literal bound to the name holds under the constant key: ``Net()`` for
        ``nets['student']`` after ``nets = {"student": Net()}``."""
        name, _, index = key.partition("[")
        bound = self.analysis.model.binding(name, scope)
        if bound is None or not isinstance(bound[0], cst.Dict) or "[" in index:
            return None
        for element in bound[0].elements:
            if isinstance(element, cst.DictElement) and isinstance(element.key, (cst.SimpleString, cst.Integer)) \
                    and key_of(cst.Subscript(cst.Name(name), [cst.SubscriptElement(cst.Index(element.key))])) == key:
                return element.value
        return None

    def kind(self, key: str, facts: frozenset, scope: "Scope") -> ModelKind | None:
        """BN / MAYBE / NO for the model at ``key``; MAYBE for a module of unknown content."""
        asserted = asserted_class_kind(self.analysis.model, key, scope)
        if asserted is not None:
            return asserted  # (`assert isinstance(net, MyModel)`: an instance of that project class)
        kinds = {f.kind for f in facts if f.kind is not None}
        if kinds:
            if ModelKind.BN in kinds:
                return ModelKind.BN
            return ModelKind.MAYBE if ModelKind.MAYBE in kinds else ModelKind.NO
        root, _, rest = key.partition(".")
        if "[" in root:  # a dict entry: the kind of what the dict literal holds under its key
            value = None if rest else self._entry_value(root, scope)
            if value is None and _loop_variable(root.partition("[")[0], scope):
                return ModelKind.MAYBE  # (`cfg["model"]` of `for cfg in self.members:`: a model of unknown class)
            return model_kind(self.analysis.model, value, scope) if value is not None else None
        if rest:
            if root == "self":
                return self._path_kind(self.analysis.model.enclosing_class(scope), rest)
            if "." in rest:
                assigned = self.analysis.model.bindings(root, scope)
                origins = [_unwrap_passthrough(v) for v in (assigned[0] if assigned is not None else ())]
                built = origins[0] if len(origins) == 1 else None
                owner, info = self._built_class_of(built, scope)
                return owner.kinds._path_kind(info, rest)
            # what `model` was built as, also when rebound (`model = DDP(model)`): `resnet50(...)`, whose `model.fc`
            # holds no BatchNorm, or `Probe(...)`, a class of this file whose `__init__` puts `model.<rest>`
            assigned = self.analysis.model.bindings(root, scope)
            origins = [_unwrap_passthrough(v) for v in (assigned[0] if assigned is not None else ()) if not _mentions(v, root)]
            built = origins[0] if len(origins) == 1 else None
            if built is not None and library_part_without_bn(self.analysis.model, built, rest):
                return ModelKind.NO
            if built is None and not origins and isinstance(scope.node if scope is not None else None, cst.FunctionDef):
                built = self.analysis.callees.passed_instance(root, scope.node)  # a parameter: the class its callers build
            owner, info = self._built_class_of(built, scope)
            return owner.kinds._attribute_kind(info, rest)
        if root == "self":
            info = self.analysis.model.enclosing_class(scope)
            if info is not None and all(isinstance(b, cst.Name) and b.value == "object" for b in info.bases):
                return ModelKind.NO  # (`self` of a plain class, a learner or a trainer: no module)
            if info is not None and instance_kind(self.analysis.model, info) is ModelKind.NO:
                return ModelKind.NO  # (`self` of a module class whose layers, and its subclasses', hold no BatchNorm)
        found = model_kind(self.analysis.model, cst.Name(root), scope)
        if found is not None:
            return found
        bound = self.analysis.model.binding(root, scope)
        if bound is not None and isinstance(bound[0], cst.Call):
            func = bound[0].func
            if isinstance(func, cst.Name) and func.value in self.analysis.model.classes:
                return None  # a project class that is not an nn.Module
            if self._plain_instance(bound[0], scope):
                return ModelKind.NO
        if bound is not None and isinstance(bound[0], cst.Attribute) and (key_of(bound[0]) or "").startswith("self."):
            # (`log = self.log`, `kernel = self.model.covar_module`)
            return self._path_kind(self.analysis.model.enclosing_class(scope), key_of(bound[0])[len("self."):])
        function = scope.node if scope is not None else None
        if isinstance(function, cst.FunctionDef) and root in scope.params:
            passed = self.analysis.entry.passed_kinds(function, root)  # a parameter: what every caller of this file gives
            if passed:
                if ModelKind.BN in passed:
                    return ModelKind.BN
                return ModelKind.MAYBE if ModelKind.MAYBE in passed else ModelKind.NO
        return ModelKind.MAYBE

    def _value_kind(self, value: cst.BaseExpression, where: "Scope", following: frozenset) -> ModelKind | None:
        """What ``value`` holds; for a parameter (``self.model = model`` in ``__init__``), what the calls of
        its function in this file give it (``LinearClassifier(model)`` in ``linear_eval(model, ...)``,
        called with ``SimCLR()``), however many calls up (each parameter once on the way: ``following``)."""
        found = model_kind(self.analysis.model, value, where)
        if found is None and self._plain_instance(value, where):
            return ModelKind.NO  # (`self.log = Log(path)`: a logger of a plain class of the project)
        if found is None and isinstance(value, cst.Name) and where is not None and value.value in where.params \
                and value.value not in where.bindings and self._plain_annotation(where.params[value.value], where):
            return ModelKind.NO  # (`vec2box: Vec2Box`, a parameter annotated with a plain class of the project)
        function = where.node if where is not None else None
        if found is not None or not isinstance(value, cst.Name) or not isinstance(function, cst.FunctionDef) \
                or value.value not in where.params or value.value in where.bindings or value.value in where.opaque:
            return found
        following = entered(following, (id(function), value.value))
        if following is None:
            return None  # (a parameter its own callers pass back to it)
        passed = self.analysis.entry.passed_kinds(function, value.value)  # (a module-level function: what the flow saw passed)
        if passed:
            return ModelKind.BN if ModelKind.BN in passed else ModelKind.MAYBE if ModelKind.MAYBE in passed \
                else ModelKind.NO
        given = given_values(self.analysis.model, function, value.value)
        if given and all(one.site is None for one in given):  # (a class only other files build: what they give)
            return self._kind_given_elsewhere(function, value.value, following)
        if not given or any(one.value is None or one.site is None for one in given):
            return None
        kinds = {self._value_kind(one.value, one.scope, following) for one in given}
        return ModelKind.BN if ModelKind.BN in kinds else None if None in kinds else \
            ModelKind.MAYBE if ModelKind.MAYBE in kinds else ModelKind.NO

    def _kind_given_elsewhere(self, init: cst.FunctionDef, param: str, following: frozenset) -> ModelKind | None:
        """What the constructions of this file's class in the files beside it give ``param`` of its ``__init__``
        (``Trainer(linear_classifier=nn.Linear(8, 2))`` in a script): NO only when each gives a module known to hold
        no BatchNorm; None where one is unknown, or no file beside this one builds the class."""
        given = given_by_builders_elsewhere(self.analysis.model, init, param)
        if not given or any(one.value is None for _builder, one in given):
            return None
        kinds = {builder.analysis(type(self.analysis)).kinds._value_kind(one.value, one.scope, following) for builder, one in given}
        return ModelKind.BN if ModelKind.BN in kinds else None if None in kinds else \
            ModelKind.MAYBE if ModelKind.MAYBE in kinds else ModelKind.NO

    def _plain_instance(self, value: cst.BaseExpression, scope: "Scope") -> bool:
        """``Log(path)``: an instance of a project class (of this file or another) with no base class: no module
        (also through a name bound once to one: ``log = Log(path); self.log = log``)."""
        if isinstance(value, cst.Name) and scope is not None:
            bound = self.analysis.model.binding(value.value, scope)
            value, scope = bound if bound is not None else (value, scope)
        if not isinstance(value, cst.Call):
            return False
        owner, info = self._built_class_of(value, scope)
        return info is not None and all(isinstance(base, cst.Name) and base.value == "object" for base in info.bases)

    def _plain_annotation(self, param: cst.Param, scope: "Scope") -> bool:
        """``vec2box: Vec2Box`` where ``Vec2Box`` is a project class with no base class."""
        annotation = param.annotation.annotation if param.annotation is not None else None
        return isinstance(annotation, cst.Name) and self._plain_instance(cst.Call(annotation), scope)

    def _built_class_of(self, built: cst.BaseExpression | None, scope: "Scope") -> tuple["ModeAnalysis", "ClassInfo | None"]:
        """The project class ``built`` (``Net(num_classes=5)``) makes an instance of, with the analysis of the
        file that defines it (this one, or the file it is imported from); (this analysis, None) for no class."""
        func = built.func if isinstance(built, cst.Call) else None
        if not isinstance(func, cst.Name) or self.analysis.model.binding(func.value, scope) is not None:
            return self.analysis, None
        if func.value in self.analysis.model.classes:
            return self.analysis, self.analysis.model.classes[func.value]
        found = project_class(self.analysis.model, func) if func.value in self.analysis.model.imports else None
        if found is None:
            return self.analysis, None
        return found[0].analysis(type(self.analysis)), found[1]

    def _path_kind(self, info: "ClassInfo | None", path: str) -> ModelKind:
        """What ``self.<path>`` of a class of this file holds, an attribute at a time (``resnet.conv1`` of a
        class whose ``self.resnet = resnet50()``: the torchvision model's stem convolution, NO); MAYBE
        where an attribute is assigned more than once or by a value not followed."""
        head, _, tail = path.partition(".")
        if not tail:
            return self._attribute_kind(info, head)
        values = info.attributes.get(head) if info is not None else None
        value = _unwrap_passthrough(values[0][0]) if values and len(values) == 1 else None
        if isinstance(value, cst.Name) and values[0][1] is not None:  # (`self.model = model.cuda()`: what `model` is)
            bound = self.analysis.model.binding(value.value, values[0][1])
            value = _unwrap_passthrough(bound[0]) if bound is not None else value
        if value is None:
            return ModelKind.MAYBE
        if "." not in tail and library_part_without_bn(self.analysis.model, value, tail):
            return ModelKind.NO
        func = value.func if isinstance(value, cst.Call) else None
        if isinstance(func, cst.Name) and func.value in self.analysis.model.classes and self.analysis.model.binding(func.value, None) is None:
            return self._path_kind(self.analysis.model.classes[func.value], tail)
        return ModelKind.MAYBE

    def _attribute_kind(self, info: "ClassInfo | None", attribute: str) -> ModelKind:
        """What the attribute of a class of this file holds: NO only when every assignment shows no
        BatchNorm, BN when one shows it, MAYBE otherwise."""
        values = info.attributes.get(attribute) if info is not None else None
        # (`self.head = self.head.cuda()`: the module it held, moved; not a value of its own)
        values = [(value, where) for value, where in values or () if key_of(_unwrap_passthrough(value)) != f"self.{attribute}"]
        if values:
            found = {self._value_kind(value, where, frozenset()) for value, where in values}
            if ModelKind.BN in found:
                return ModelKind.BN
            if found == {ModelKind.NO}:
                return ModelKind.NO
        return ModelKind.MAYBE

    def keeps_own_modes(self, facts: frozenset) -> bool:
        """Whether the model was built from a class of this file that overrides ``train()`` (an
        Inception feature extractor kept in eval whatever its caller asks): its class sets its modes.
        (Classes of other files are not looked into here: that would parse them for every finding.)"""
        for fact in facts:
            built = _unwrap_passthrough(fact.node) if isinstance(fact.node, cst.Call) else None
            if (isinstance(built, cst.Call) and fact.why == "built" and isinstance(built.func, cst.Name)
                    and built.func.value in self.analysis.model.classes and overrides_train(self.analysis.model, built.func)):
                return True
        return False

    def has_train_override(self, key: str, scope: "Scope", following: frozenset = frozenset()) -> bool:
        """Whether the model's project class overrides ``train()`` (e.g. to keep BatchNorm in eval), or the code
        replaces the instance's own (``model.train = train_with_frozen_bn``)."""
        root = key_root(key)
        if any(attribute.attr.value == "train" and key_of(attribute.value) in (root, key)
               for attribute, _value, _where in self.analysis.model.attribute_assignments):
            return True
        part = key.partition(".")[2]
        if root == "self":
            info = self.analysis.model.enclosing_class(scope)
            return info is not None and "train" in info.methods and train_sets_modes(info.methods["train"]) \
                and _covers(override_parts(info.methods["train"]), part)
        bound = self.analysis.model.binding(root, scope)
        assigned = self.analysis.model.bindings(root, scope)
        for value in (assigned[0] if assigned is not None else ()):  # `net = Net().to(device)`, also rebound
            value = _unwrap_passthrough(value)
            if isinstance(value, cst.Call) and overrides_train(self.analysis.model, value.func) \
                    and _covers(refrozen_parts(self.analysis.model, value.func), part):
                return True
        function = scope.node if scope is not None else None
        following = entered(following, (id(function), root))
        if bound is None and isinstance(function, cst.FunctionDef) and root in scope.params and following is not None:
            # a parameter (`def freeze(model: Net)`): its annotation, or a model a call of this file passes (its
            # callers' callers however far up, each parameter once)
            param = scope.params[root]
            annotation = param.annotation.annotation if getattr(param, "annotation", None) is not None else None
            if isinstance(annotation, cst.Name) and overrides_train(self.analysis.model, annotation):
                return True
            for arg_key, _state, caller in self.analysis.call_args.get(f"{function.name.value}.{root}", ()):
                caller_scope = self.analysis.model.scopes.get(caller) if caller is not self.analysis.model.module else self.analysis.model.module_scope
                if caller_scope is not None and self.has_train_override(arg_key, caller_scope, following):
                    return True
        return False


def _covers(parts: frozenset[str] | None, part: str) -> bool:
    """Whether a ``train()`` override that puts ``parts`` in eval (None: any part) keeps ``part`` of the model (the
    whole model: "") in the mode it set: a frozen part the override does not name is put in training mode."""
    return parts is None or not part or any(part == p or part.startswith((p + ".", p + "[")) for p in parts)


def _loop_variable(name: str, scope: "Scope | None") -> bool:
    """Whether ``name`` is bound in ``scope`` only as the variable of a ``for`` loop of its body."""
    if scope is None or name in scope.params or scope.bindings.get(name) or name not in scope.opaque:
        return False
    return any(isinstance(node, cst.For) and isinstance(target := _enumerated(node.iter, node.target)[1], cst.Name)
               and target.value == name for node in walk(scope.node))
