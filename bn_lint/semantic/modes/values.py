"""The flow's values: the mode of the model an expression yields (built, loaded, returned, ``.eval()``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.nn_modules.bearing import ModelKind, model_kind, passed_through
from bn_lint.semantic.knowledge.library_models import MODEL_ZOOS, TRAIN_MODE_CONSTRUCTORS
from bn_lint.semantic.nn_modules.factory_kinds import builds_through_factory
from bn_lint.semantic.project.definitions import imported_name, project_class
from bn_lint.semantic.syntax.walk import dotted_parts
from .conditions import _condition
from .imported_globals import imported_facts
from .keys import _PASSTHROUGH, _container_elements, _unwrap_passthrough, key_of
from .known_calls import _COPIES, _LOADED, _WRAPPERS, _hub_builds_train
from .state import ENTRY, EVAL, Fact, State, TRAIN, UNKNOWN_MODE, _ENTRY, _UNKNOWN, _child_of, _lookup, _tracked

if TYPE_CHECKING:  # pragma: no cover
    from .flow import _Flow


class FlowValues:
    """A part of the walk of one function (``flow.values``): the modes of values."""

    def __init__(self, flow: "_Flow") -> None:
        self.flow = flow

    def value_facts(self, expr: cst.BaseExpression, state: State) -> frozenset | None:
        """The mode of the model ``expr`` yields (after its calls ran), or None if not a model (its parts
        however nested: the walk goes down the expression only)."""
        key = key_of(expr)
        if key is not None:
            if key in state or any(_child_of(key, k) for k in state):
                return _lookup(state, key)
            return imported_facts(self.flow.a, expr, self.flow.scope)  # (a module-level model of another file)
        if isinstance(expr, cst.Subscript):
            return imported_facts(self.flow.a, expr, self.flow.scope)  # (`models_list[name]`: any of its entries)
        if isinstance(expr, cst.IfExp):  # `resnet56() if deep else resnet20()`: either, as after an if/else
            body, orelse = self.value_facts(expr.body, state), self.value_facts(expr.orelse, state)
            return body | orelse if body is not None and orelse is not None else None
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Call) \
                and model_kind(self.flow.model, expr, self.flow.model.scope_of(expr)) is ModelKind.BN:
            # `mobilenet_v2(weights=...).features`: part of a model built here, in training mode
            return frozenset({Fact(TRAIN, expr, "built", "built at line {line} (models start in training mode)",
                                   ModelKind.BN)})
        if not isinstance(expr, cst.Call):
            return None
        func = expr.func
        if isinstance(func, cst.Attribute) and func.attr.value in _PASSTHROUGH | {"eval", "train"}:
            inner = key_of(func.value)
            if inner is not None:
                return _lookup(state, inner) if _tracked(state, inner) else None
            facts = self.value_facts(func.value, state)
            if facts is None:
                return None
            kinds = {f.kind for f in facts if f.kind is not None}
            kind = next(iter(kinds)) if len(kinds) == 1 else None
            if func.attr.value == "eval" and not expr.args:
                return frozenset({Fact(EVAL, expr, "eval()", "`.eval()` at line {line}", kind)})
            if func.attr.value == "train":
                return frozenset(Fact(f.mode, f.node, f.why, f.where, kind) for f in self.train_arg(expr, "", state))
            return facts
        qn = self.flow.model.qualname(func)
        if qn in _COPIES or qn in _WRAPPERS:
            if expr.args:
                return self.value_facts(expr.args[0].value, state)
            return None
        if qn in _PLAIN_CONTAINERS:
            parts = self._container_parts(expr, state)
            if parts is not None:
                return parts
        kind = model_kind(self.flow.model, expr, self.flow.model.scope_of(expr))
        if kind is None and qn in _LOADED:
            # a whole model loaded (`torch.load(path)`), of a class and mode the code does not show: another object,
            # a path of its own beside one that builds a model here
            return frozenset({Fact(UNKNOWN_MODE, expr, "loaded", "", None)})
        if kind is None:
            # `build(name)`, whose branches build different models: a BatchNorm model on some of its paths
            return self.built_by(expr, None, state)
        if kind is ModelKind.NO:
            # a module without BatchNorm, built here: a path of its own beside one that builds BatchNorm
            return frozenset({Fact(TRAIN, expr, "built", "built at line {line} (modules start in training mode)",
                                   kind)}) if self.builds_module(expr) else None
        if kind in (ModelKind.BN, ModelKind.MAYBE):
            if builds_through_factory(self.flow.model, expr):  # `ModelFactory.from_config(cfg)`: `cls.PRODUCTS[name](...)`
                return frozenset({Fact(TRAIN, expr, "built", "built at line {line} (modules start in training mode)",
                                       kind)})
            built_by = self.built_by(expr, kind, state)
            if built_by is not None:
                return built_by
            if qn in _LOADED or (qn == "torch.hub.load" and not _hub_builds_train(expr)):
                # it keeps the mode it was saved in (or its hub entry point chose): unknown
                return frozenset({Fact(UNKNOWN_MODE, expr, "loaded", "", kind)})
            if qn == "torch.hub.load" or (qn or "").startswith(("torchvision.", "timm.")):
                where = "built at line {line} (models start in training mode)"
            elif isinstance(func, cst.Attribute) and func.attr.value in TRAIN_MODE_CONSTRUCTORS:
                where = f"loaded at line {{line}} by `{func.attr.value}()`, which leaves it in training mode"
            else:
                where = "built at line {line} (modules start in training mode)"
            return self._constructed(expr, kind, where) or frozenset({Fact(TRAIN, expr, "built", where, kind)})
        return None

    def _constructed(self, call: cst.Call, kind: ModelKind, where: str) -> frozenset | None:
        """``Net(pretrained=True)`` of a project class whose ``__init__`` (of this file or another, as this call's
        literal arguments run it) puts the instance in eval mode on some path (``self.eval()``, or a method of it
        that loads weights and calls it): the modes of its paths. None when no path ends in eval."""
        if self.flow.helper_calls.local_init(call) is None and not self._file_mentions_eval(call):
            return None  # (another file's class whose text calls no `.eval(`: not parsed for this)
        found = self.flow.calls.project_init(call)
        summary = found[0].given.given_summary(found[1], call, defaults=True) if found is not None else None
        facts = summary.effects.get("self") if summary is not None else None
        if not facts or not any(f.mode == EVAL for f in facts):
            return None
        name = self.flow.model.code(call.func)
        out = set()
        for fact in facts:
            if fact.mode == EVAL:
                out.add(Fact(EVAL, call, "helper", f"`{name}()` at line {{line}} puts it in eval mode (in `__init__`)", kind))
            elif fact.mode in (ENTRY, TRAIN):
                out.add(Fact(TRAIN, call, "built", where, kind))
            elif fact.why != "mixed":
                out.add(Fact(UNKNOWN_MODE))
        return frozenset(out)

    def _file_mentions_eval(self, call: cst.Call) -> bool:
        """Whether the file of the class ``call`` builds (imported by name or through its module) mentions
        ``.eval(`` in its text (read, not parsed)."""
        project, func = self.flow.model.project, call.func
        dotted = imported_name(self.flow.model, func)
        if project is None or not dotted:
            return False
        module = dotted.rpartition(".")[0]
        path = project.resolve_module(module, self.flow.model.path) if module else None
        return path is not None and project.mentions(path, ".eval(")

    def _container_parts(self, call: cst.Call, state: State) -> frozenset | None:
        """The modes of ``nn.Sequential(*list(net.children())[:-2])`` / ``nn.Sequential(encoder, head)`` when
        it holds parts of a followed model: the parts keep their modes (a new container's own flag moves no
        BatchNorm); a new BatchNorm part is in training mode. None when no part is followed or one is unknown."""
        if any(arg.keyword is not None for arg in call.args):
            return None
        parts = [(element, key_of(element) if not arg.star else _parts_of(element), arg.star) for arg in call.args
                 for element in ([arg.value] if arg.star else _container_elements(call.with_changes(args=[arg])))]
        if not any(key is not None and _tracked(state, key) for _element, key, _star in parts):
            return None  # (no part is followed: the other parts' kinds are not asked, nor their files parsed)
        out: set = set()
        for element, key, star in parts:
            if key is not None and _tracked(state, key):
                out |= _lookup(state, key)
                continue
            if star:
                return None
            facts = self.value_facts(element, state)
            kind = model_kind(self.flow.model, element, self.flow.model.scope_of(element))
            if facts is None and kind is not ModelKind.NO and not isinstance(element, cst.Call):
                return None  # (a module of unknown mode)
            out |= facts or frozenset()
        return frozenset(out) if out else None

    def built_by(self, call: cst.Call, kind: ModelKind | None, state: State,
                  index: int | None = None) -> frozenset | None:
        """The mode of the model a project function (``build_model()``) returns, from its ``return``s; for
        one that gives back the model it was given, unchanged (``load_checkpoint(model, path)``), its mode here.
        With ``index``: of the model at that place of the tuple it returns. With no ``kind`` (its paths build
        different models): each path's model and kind, when one of them builds a BatchNorm model, else None."""
        func = call.func
        if not isinstance(func, cst.Name) and not (isinstance(func, cst.Attribute) and dotted_parts(func) is not None):
            return None  # (a name, `self.build()`, `models.build()`, `Model.bilinear.load_model()`)
        target = self.flow.a.callees.callee(call)
        if target is None:
            return None
        summary = target[0].summary(target[1])
        if summary is not None and len({f.mode for f in summary.returns or ()}) > 1:
            # (as this call runs it, where its paths return other modes: `load_classifier(eval=False)` skips its
            # `if eval: model.eval()`)
            summary = target[0].given.given_summary(target[1], call, defaults=True)
        returns = summary.returns if summary is not None else None
        if index is not None:
            returns = summary.element_returns.get(index) if summary is not None else None
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
            # `model = self._init_model()`: a method building the model it returns (one that gives back what
            # `self` holds, `self.get_model()`, is not a build)
            if not returns or {f.mode for f in returns} - {TRAIN, EVAL} or any(f.why == "loaded" for f in returns):
                return None
        # (returns None: some `return` gives no model, e.g. one for lists only in `to_device(data, device)`)
        # (a whole model loaded on one of its paths, `torch.load(path)`: another object, a path of its own)
        shown = frozenset(f for f in returns or () if not (f.mode == UNKNOWN_MODE and f.why == "loaded"))
        given = passed_through(target[0].model, target[1], call, index) if returns in (_ENTRY, None) else None
        if given is not None and kind is None and key_of(given) is not None:
            # (`self.model = load_test_model(self.model, cfg)`: what it gives back is what it was given, in its mode
            # here, whatever the kind of the model says)
            return self.value_facts(given, state)
        if kind is None:
            if not shown or {f.mode for f in shown} - {TRAIN, EVAL} or all(f.kind is not ModelKind.BN for f in shown):
                return None
            return frozenset(Fact(UNKNOWN_MODE, call, "loaded", "", f.kind) if f not in shown else
                             Fact(f.mode, call, "built" if f.mode == TRAIN else "helper",
                                  f"`{summary.name}()` at line {{line}} builds it on one of its paths (modules start in "
                                  f"training mode)" if f.mode == TRAIN else
                                  f"`{summary.name}()` at line {{line}} returns it in eval mode", f.kind) for f in returns)
        if given is not None:
            return self.value_facts(given, state)
        if not shown or {f.mode for f in shown} - {TRAIN, EVAL}:
            return frozenset({Fact(UNKNOWN_MODE, call, "helper", "", kind)})  # as its caller left it, or unknown
        out = set()
        for fact in returns:
            if fact not in shown:
                out.add(Fact(UNKNOWN_MODE, call, "loaded", "", kind))
            elif fact.mode == TRAIN:
                out.add(Fact(TRAIN, call, "built", "built at line {line} (modules start in training mode)", kind))
            else:
                out.add(Fact(EVAL, call, "helper", f"`{summary.name}()` at line {{line}} returns it in eval mode", kind))
        return frozenset(out)

    def builds_module(self, call: cst.Call) -> bool:
        """``call`` builds an instance of a project class derived from ``nn.Module``, or a model zoo's model
        (``torchvision.models.vit_b_16()``)."""
        if (self.flow.model.qualname(call.func) or "").startswith(tuple(zoo + "." for zoo in MODEL_ZOOS)):
            return True
        found = project_class(self.flow.model, call.func) if isinstance(call.func, (cst.Name, cst.Attribute)) else None
        return found is not None and found[0].is_nn_module_class(found[1])

    def wrapped(self, value: cst.BaseExpression | None) -> str | None:
        """The module a wrapper holds: ``DDP(net, ...)``, ``torch.compile(net.to(device))`` -> ``net``
        (the wrapper's mode is the module's: ``.train()`` on one sets the other)."""
        value = _unwrap_passthrough(value)
        if not (isinstance(value, cst.Call) and value.args and value.args[0].keyword is None
                and self.flow.model.qualname(value.func) in _WRAPPERS):
            return None
        inner = _unwrap_passthrough(value.args[0].value)
        return key_of(inner) if isinstance(inner, (cst.Name, cst.Attribute)) else None

    def train_arg(self, call: cst.Call, key: str, state: State) -> frozenset:
        if not call.args:
            return frozenset({Fact(TRAIN, call, "train()", "`.train()` at line {line}")})
        arg = call.args[0]
        if arg.keyword is not None and arg.keyword.value != "mode":
            return _UNKNOWN
        value = arg.value
        if isinstance(value, cst.Name) and value.value in ("True", "False"):
            if value.value == "True":
                return frozenset({Fact(TRAIN, call, "train()", "`.train(True)` at line {line}")})
            return frozenset({Fact(EVAL, call, "eval()", "`.train(False)` at line {line}")})
        condition = _condition(value)
        if condition is not None and condition[0] in self.flow.assume:  # (`net.train(train)`, the call gives `True`)
            if self.flow.assume[condition[0]] == condition[1]:
                return frozenset({Fact(TRAIN, call, "train()", "`.train()` at line {line}")})
            return frozenset({Fact(EVAL, call, "eval()", "`.train(False)` at line {line}")})
        flag_key = key_of(value)
        if flag_key in self.flow.flags and self.flow.flags[flag_key][0] == key:
            return self.flow.flags[flag_key][1]  # restores the mode saved earlier
        if isinstance(value, cst.Attribute) and value.attr.value == "training":
            return _UNKNOWN
        return _UNKNOWN


_PLAIN_CONTAINERS = frozenset({"torch.nn.Sequential", "torch.nn.ModuleList"})


def _parts_of(expr: cst.BaseExpression) -> str | None:
    """The model whose parts a starred argument spreads: ``list(net.children())[:-2]``, ``net.features``,
    ``list(net.features)[:5]`` -> ``net`` / ``net.features``."""
    while True:
        if isinstance(expr, cst.Subscript):
            expr = expr.value
        elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in ("list", "tuple") \
                and len(expr.args) == 1:
            expr = expr.args[0].value
        elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and not expr.args \
                and expr.func.attr.value in ("children", "modules"):
            expr = expr.func.value
        else:
            return key_of(expr)
