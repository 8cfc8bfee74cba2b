"""A model a plain class holds (``self.model`` of a trainer, a handler, a predictor): the modes its methods
leave it in, as the entry of one of its methods that runs only from outside the class.

A ``predict`` of a trainer, or a serving handler's ``inference``, runs after whichever of the class's methods
its caller ran: the one that builds the model (``__init__``, a base's ``__init__`` of another file, an
``initialize(ctx)``) or one that trains it. When every method that touches the model leaves it in training
mode or as it was (``self.model = de_parallel(self.model)``, a training epoch that ends in ``train()``), and
no code of the file puts it in eval, each of those is a path into the method on which the model is in
training mode (RULES.md, Evidence: a bug on one visible path is a bug). When a method leaves it in eval
mode (a training loop that validates), the paths left are those of the methods that load trained weights
into it and leave it in training mode (``load_pretrained(path)`` then ``predict(x)``: a model loaded to
be used as it is); without such a method the entry is unknown, as before.
"""
from __future__ import annotations

import os
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from bn_lint.semantic.file.classes import module_forward
from bn_lint.semantic.project.callers import callers_in_file, calling_files
from bn_lint.semantic.project.definitions import project_class
from bn_lint.semantic.syntax.followed import entered
from .keys import _unwrap_passthrough, key_of
from .known_calls import loads_own_weights, loads_weights
from .method_names import sets_modes
from .state import ENTRY, EVAL, TRAIN, Fact, _lookup

if TYPE_CHECKING:  # pragma: no cover
    from .analysis import ModeAnalysis
    from bn_lint.semantic.file.classes import ClassInfo
    from bn_lint.semantic.file.model import FileModel
_LEFT_TRAINING = ("built", "trained", "train()", "helper")  # why a fact says training mode: built, stepped, set


def class_chain(model: "FileModel", info: "ClassInfo",
                following: frozenset = frozenset()) -> Iterator[tuple["FileModel", "ClassInfo"]]:
    """Class ``info`` and its project bases (in this file or the project file a base is imported from), however
    many levels up (each once), each with the model of its file."""
    following = entered(following, id(info.node))
    if following is None:
        return
    yield model, info
    for base in info.bases:
        found = project_class(model, base) if isinstance(base, (cst.Name, cst.Attribute)) else None
        if found is not None:
            yield from class_chain(found[0], found[1], following)


def class_methods(model: "FileModel", info: "ClassInfo") -> Iterator[tuple["FileModel", str, cst.FunctionDef]]:
    """The methods an instance of class ``info`` has: its own, then its bases' that it does not override."""
    seen: set[str] = set()
    for owner, cls in class_chain(model, info):
        for name, method in cls.methods.items():
            if name not in seen:
                seen.add(name)
                yield owner, name, method


def held_by_class(analysis: "ModeAnalysis", func: cst.FunctionDef, attr: str) -> dict | None:
    """``{"self.attr": facts}`` for a method of a plain class that runs only from outside it (no
    ``self.method()`` call of the class runs it): the training modes the class's other methods leave
    ``self.attr`` in (``left_in_training``); None otherwise."""
    cache = analysis.__dict__.setdefault("_class_held", {})
    if (func, attr) not in cache:
        info = _plain_class(analysis, func)
        cache[(func, attr)] = None if info is None or any(
            caller is not None for _, caller, _ in analysis.method_calls.get(func, ())) \
            or _subclass_sets_eval(analysis, func, attr) or run_by_inherited(analysis.model, info, func) \
            else left_in_training(analysis, info, func, attr)
    return cache[(func, attr)]


def run_by_inherited(model: "FileModel", info: "ClassInfo", func: cst.FunctionDef) -> bool:
    """Whether a method the class inherits from a base of another file calls ``func`` on ``self`` (a template
    method: the base's ``_eval_epoch`` puts ``self.model`` in eval, then runs the subclass's ``evaluate``)."""
    called = f"self.{func.name.value}("
    return any(owner is not model and called in owner.code(method) and _may_set_mode(owner, method)
               for owner, _, method in class_methods(model, info))


def _may_set_mode(model: "FileModel", method: cst.FunctionDef) -> bool:
    """Whether an inherited template method may set a mode before its hook runs: its code, or that of a method of its
    file it calls on ``self``, switches one (``translate()`` calling ``self._translate(x)`` and nothing else sets
    none: the hook runs in the mode its caller leaves)."""
    code = model.code(method)
    if sets_modes(code):
        return True
    info = model.class_of_method(method)
    others = set(re.findall(r"\bself\.(\w+)\s*\(", code)) - {method.name.value}
    return info is not None and any(name in info.methods and sets_modes(model.code(info.methods[name])) for name in others)


def _subclass_sets_eval(analysis: "ModeAnalysis", func: cst.FunctionDef, attr: str) -> bool:
    """Whether a file beside this one calls the method on ``self`` (itself, or a method of its class that calls it
    on ``self``) and puts ``self.attr`` in eval: a subclass's ``select()`` doing ``self.model.eval()`` before
    ``self.get_feature_embedding(...)`` (distil's strategies)."""
    model = analysis.model
    project = model.project
    return project is not None and any(
        project.mentions(other, f"self.{name}(") and project.mentions(other, f"self.{attr}.eval()")
        for name in callers_in_file(model, func.name.value) for other in calling_files(model, name))


def entered_from_outside(analysis: "ModeAnalysis", func: cst.FunctionDef, key: str, passed: list) -> list | None:
    """The callers' states of method ``func`` (all calls from outside its class: ``handler.inference(x)``),
    with ``self.attr`` at ``key`` as the class's methods leave it where a caller does not show its mode
    (``if not handler.initialized: handler.initialize()``: built on one path, as before on the other)."""
    if not all(caller is None for _, _, caller in passed) \
            or not any(f.mode == ENTRY for _, state, _ in passed for f in _lookup(state, key)):
        return None
    held = held_by_class(analysis, func, key.split(".")[1])
    if held is None:
        return None
    return [("self", {key: frozenset(f for f in _lookup(state, key) if f.mode != ENTRY) | held[key]}, None)
            for _, state, _ in passed]


def _plain_class(analysis: "ModeAnalysis", func: cst.FunctionDef) -> "ClassInfo | None":
    """``func``'s class when it is a plain class, not a model (whose parts follow its own mode) nor a
    framework's class (which sets the modes itself)."""
    model = analysis.model
    info = model.class_of_method(func)
    if info is None or info.methods.get(func.name.value) is not func \
            or model.is_nn_module_class(info) or analysis.evaluation.framework_class(info) or module_forward(info) \
            or any(model_base(model, base) for base in info.bases):
        return None
    return info


def left_in_training(analysis: "ModeAnalysis", info: "ClassInfo", func: cst.FunctionDef, attr: str) -> dict | None:
    """``{"self.attr": facts}``: the training-mode facts that the other methods of ``func``'s class (own and
    inherited) leave ``self.attr`` in, when no code of this file calls ``.eval()`` / ``.train(False)`` on an
    ``.attr`` of anything; only those of methods that load weights into it when another method leaves it (or
    a part of it) in eval mode; None otherwise."""
    model = analysis.model
    key = f"self.{attr}"
    if not any(attr.partition("[")[0] in cls.attributes for _, cls in class_chain(model, info)):
        return None  # (not a part the class keeps: `self.assertEqual`, a method; `self.nets['a']`: an entry of one)
    own = {id(method) for _, _, method in class_methods(model, info) if own_evaluation(model, method, attr)}
    for site in model.calls:
        call = site.node
        if isinstance(call.func, cst.Attribute) and model.code(call.func.value).endswith(f".{attr}") \
                and (call.func.attr.value == "eval" or call.func.attr.value == "train" and call.args) \
                and id(analysis.enclosing_function(call)) not in own:
            return None  # (a `trainer.model.eval()` in the file: the entry depends on the order of calls)
    facts: set = set()
    loaded: set = set()  # the facts of methods that load trained weights into it
    evaluated = False  # some method leaves it (or a part of it) in eval mode
    base = info.node.bases[0].value if info.node.bases else info.node.name
    for owner, name, method in class_methods(model, info):
        if method is func:
            continue
        summary = owner.analysis(type(analysis)).summary(method)
        if summary is None:
            continue
        effects = [(effect, found) for effect, found in summary.effects.items()
                   if effect == key or effect.startswith(key + ".")]
        if any(f.mode == EVAL for _, found in effects for f in found):
            # (a sibling that puts it in eval for its own run, `network(x)`, is one path in; the one that
            # brings it here in training mode is another)
            evaluated = evaluated or id(method) not in own
            continue
        loads = loads_weights_into(owner, method, attr)
        for effect, found in effects:
            if effect != key:
                continue
            for fact in found:
                if fact.mode != TRAIN or fact.why not in _LEFT_TRAINING:
                    continue
                if owner is model:
                    facts.add(fact)
                else:  # (a base class's method in its own file: named at the base here)
                    where = f"`{model.code(base)}.{name}()` (the base class at line {{line}}, in " \
                            f"{os.path.basename(owner.path)}) " + ("builds it (modules start in training mode)"
                                                                   if fact.why == "built" or "builds it" in fact.where
                                                                   else "leaves it in training mode")
                    fact = Fact(TRAIN, base, "helper", where, fact.kind)
                    facts.add(fact)
                if loads:
                    loaded.add(replace(fact, where=f"`{name}()` loads trained weights into it; {fact.where}"))
    if evaluated:  # (another method's eval: a path that loads trained weights and runs the model as it is stays)
        facts = loaded
    if not any(f.why in ("built", "train()") or f.why == "helper" and "builds it" in f.where for f in facts):
        return None  # (only run in a training step: a loss or metric function kept on `self`, not shown a module)
    return {key: frozenset(facts)}


def loads_weights_into(model: "FileModel", method: cst.FunctionDef, attr: str) -> bool:
    """Whether ``method`` loads trained weights into ``self.attr``: ``self.attr.load_state_dict(sd)``,
    ``load_checkpoint(path, self.attr)``, or into a ``self.other`` it then assigns to ``self.attr``
    (``self.model.load_state_dict(sd); self.best_model = self.model``)."""
    targets = {f"self.{attr}"}
    for assign in model.nodes_of(method, cst.Assign):
        source = key_of(_unwrap_passthrough(assign.value))
        if source is not None and source.startswith("self.") and any(
                key_of(target.target) == f"self.{attr}" for target in assign.targets):
            targets.add(source)
    for call in model.nodes_of(method, cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute) and loads_own_weights(func.attr.value) and key_of(func.value) in targets:
            return True
        if loads_weights(func) and any(key_of(arg.value) in targets for arg in call.args):
            return True
    return False


def model_base(model: "FileModel", base: cst.BaseExpression, following: frozenset = frozenset()) -> bool:
    """Whether a base class may be a model's: a class of this file that is an ``nn.Module``, has a ``forward``
    or such a base (``class BaseModel:`` of a GAN trainer is none), one of another file that is an ``nn.Module`` or
    has a ``forward``, or, in another file or out of sight, one named like a model (``PreTrainedModel``; scvi-tools'
    ``BaseModelClass``, whose ``train()`` runs a runner of a third file that leaves the module in eval)."""
    found = project_class(model, base) if isinstance(base, (cst.Name, cst.Attribute)) else None
    named = any(word in model.code(base) for word in ("Module", "Model", "Net"))
    if found is None:
        return named
    owner, info = found
    if owner is not model:  # (another file's: a module there, `class LayerDepwiseEncode(nn.Module)`, or by its name)
        if not (module_forward(info) or {"train", "fit"} & info.methods.keys()) and all(owner.code(b) == "object" for b in info.bases):
            return False  # (`class UnetModel():`, a plain class whatever its name: no base to be a module by, no
            # `train()` of its own that may drive its models' modes from code out of sight, as scvi-tools' does)
        return named or owner.is_nn_module_class(info) or module_forward(info)
    return owner.is_nn_module_class(info) or module_forward(info) \
        or (deeper := entered(following, id(info.node))) is not None \
        and any(model_base(owner, other, deeper) for other in info.bases)


_STEPS = re.compile(r"\.\s*(?:backward|step)\s*\(")


def own_evaluation(model: "FileModel", method: cst.FunctionDef, attr: str) -> bool:
    """Whether ``method`` puts ``self.attr`` in eval mode for a run of its own and trains nothing
    (``self.net.eval()`` then ``self.net(x)``): an evaluation that owns its mode, not a setter other methods
    rely on."""
    code = model.code(method)
    at = re.search(r"\bself\s*\.\s*" + re.escape(attr) + r"\s*\.\s*eval\s*\(\s*\)", code)
    return at is not None and not _STEPS.search(code) and re.search(
        r"\bself\s*\.\s*" + re.escape(attr) + r"\s*\(", code[at.end():]) is not None
