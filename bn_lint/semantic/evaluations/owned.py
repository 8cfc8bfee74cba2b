"""An evaluation function owns the mode of the model it evaluates (RULES.md, Evidence).

``def validate(model, loader): with torch.no_grad(): ... model(x)`` that never puts
``model`` in eval mode is a finding when no code the project shows does it either:
the function puts no model in eval itself (no ``.eval()`` / ``.train(False)``),
its callers here pass a model whose mode they do not set (or there is none), and no
other file beside it imports it and calls the function (or a function of this file that calls it): that
caller's own check follows the model it passes; also for a model the object it is given holds
(``solver.model``, ``self.model`` of a function written to be bound as a method). The same for ``self.model`` in an evaluation
method of a plain class (a trainer, an algorithm object) built around a model it was
given, when nothing in the file puts that attribute in eval. The model must be one
that may hold BatchNorm: a known BatchNorm model, or one of unknown class in a
project that builds BatchNorm models.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.project.callers import called_elsewhere, callers_in_file
from bn_lint.semantic.knowledge.module_names import named_as_module, named_as_other, used_as_module
from bn_lint.semantic.modes.held_by_class import class_methods, model_base, own_evaluation
from bn_lint.semantic.modes.constructors import stored_by_init
from bn_lint.semantic.modes.instrumented import hooks_before
from bn_lint.semantic.modes.keys import ANY_ENTRY, key_root
from bn_lint.semantic.modes.training_steps import result_trained
from bn_lint.semantic.modes.trained import loss_named
from bn_lint.semantic.nn_modules.unregistered import unregistered_attribute
from bn_lint.semantic.syntax.followed import entered

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.classes import ClassInfo
    from bn_lint.semantic.file.model import FileModel
    from bn_lint.semantic.modes import ModeAnalysis, Site

_SETS_EVAL = re.compile(r"\.eval\(\s*\)|\.train\(\s*(?:mode\s*=\s*)?False\s*\)")


def unowned_evaluation(analysis: "ModeAnalysis", site: "Site", node: cst.CSTNode, facts: frozenset) -> str | None:
    """Why the evaluation at ``node`` runs a model no visible code puts in eval mode (its own function
    evaluates a model it is given and never calls ``.eval()``), or None."""
    from bn_lint.semantic.modes import ENTRY, _tracked

    model = analysis.model
    if not facts or {f.mode for f in facts} != {ENTRY}:
        return None
    func = analysis.enclosing_function(node)
    if func is None or not _evaluation_function(analysis, func, node, site.key):
        return None
    if analysis.evaluation.pytest_test(func):
        return None  # (a pytest test: its model comes from a fixture, in the mode the test wants)
    if _SETS_EVAL.search(model.code(func)):
        return None  # (the function puts a model in eval itself: what else it runs is not a model it owns)
    if _hands_out_eval(model):
        return None  # (a loader of this file gives models back in eval: the ones evaluated here may come from it)
    key = _through_alias(model, func, site.key)  # (`model = wrapper.model; model(x)`: the wrapper's model)
    shown = f"`{key}` and never calls `{key}.eval()`"
    element = _loop_element(model, node, func, key)  # (`for net in self.models: net(x)`: an element of `self.models`)
    if element is not None and not used_as_module(key, model.code(func)) \
            and not (named_as_module(key) or named_as_module(element)):
        return None  # (`for t in self.transforms: t(img)`: a collection named for no network)
    if element is not None:
        shown = f"`{key}`, each model of `{element}`, and never calls `{key}.eval()`"
        key = element + ANY_ENTRY
    elif _item_of(model, node, func, key):  # (`for net in nets: net(x)` with `nets` a parameter)
        shown = f"each model of `{key}` and never calls `.eval()` on them"
    root = key_root(key)
    rest = _entry_words(key[len(root):].removesuffix(ANY_ENTRY)).lstrip(".")
    if key[len(root):].startswith("[") and "." not in key[len(root):]:
        rest = rest.rpartition(".")[2]  # (`config['inference']['net']`: entries of a settings dict, the last one named)
    method = root == "self" and model.enclosing_class(model.scope_of(func)) is not None
    if loss_named(key) or rest and not method and ("." in rest or not named_as_module(rest)):
        return None  # (`agent.act(s)`, `img.unsqueeze(0)`: a method of what it is given, not a model)
    if not used_as_module(key, model.code(func)) and (
            named_as_other(key) or root != "self" and not named_as_module(key)):
        return None  # (`func(x)`, `trigger(trainer)`, `self.eval_hook(batch)`: a callable, not a network)
    name = reached = func.name.value
    if method:
        own = not rest and model.is_nn_module_class(model.enclosing_class(model.scope_of(func)))
        if not own and (not rest or "." in rest or not _plain_holder(analysis, func, rest)):
            return None  # (but a module class's own evaluation method, `predict_image(self)` running `self(x)`)
        if any(_may_set_eval(key, state) for state, _caller, _call in analysis.method_calls.get(func, [])):
            return None  # (a caller's instance holds a model in eval, or one whose mode it does not know)
        if _built_in_eval(model, func, key):
            return None  # (`self.eval()` in `__init__`: the instance starts in eval mode)
        calls = [one[-1] for one in [*analysis.method_calls.get(func, []), *analysis.held_calls.get(func, [])]]
        if calls and all(call is not None and result_trained(analysis, call) for call in calls):
            return None  # (`loss = ce(net.predict(x), y)`: every call of it here is a training step's forward)
        if own and any(isinstance(site.node.func, cst.Attribute) and site.node.func.attr.value == name
                       for site in model.calls):
            return None  # (the module's own method with a caller here: the caller's evaluation, or its training)
        callers = "no code of this file puts it in eval mode"
    else:
        scope = model.scopes.get(func)
        where = analysis.entry.args_key(func)
        if scope is None or root not in scope.params or where is None or "." in where and not (
                where.count(".") == 1 and _imports_torch(model)):
            return None  # (a function of this file, or a method given the model, not one nested in a function)
        if _function_default(model, scope.params[root]):
            return None  # (`decoder=decode.viterbi`: a parameter whose default is a function is a callable)
        # (`def evaluate(solver, loader)` running `solver.model`: the model the object given holds)
        passed = analysis.call_args.get(f"{where}.{root}", [])
        if _eval_up_the_callers(analysis, passed, rest, frozenset()):
            return None
        if "." in where and not all(_tracked(state, arg_key) for arg_key, state, _caller in passed):
            return None  # (a method given a model its caller got from code out of sight: `self._load_model()`)
        if _given_in_eval(model, callers_in_file(model, _outermost_function(model, scope))):
            return None  # (`test(model.eval(), image)` -> `scale_process(model)` -> `net_process(model)`)
        callers = f"no caller of `{name}()` in this file puts it in eval mode" if passed else f"`{name}()` has no caller here"
        # (a nested function is reached from elsewhere only through the module-level function it is defined in)
        reached = _outermost_function(model, scope)
    # (a method's callers elsewhere pass no model: they reach it through the instance, and count only where they
    # put a model in eval; so do callers that pass an object holding the model, `config['net']`, `solver.model`: their
    # checks follow the object, not always what it holds)
    part = root == "self" or key != root
    if any(called_elsewhere(model, caller, setting_eval=part) for caller in callers_in_file(model, reached)):
        return None
    return f"`{name}()` evaluates {shown}; {callers}"


def _through_alias(model: "FileModel", func: cst.FunctionDef, key: str) -> str:
    """``key`` with a local name bound once, in ``func``, to an attribute of a parameter replaced by that attribute
    (``model = model_wrapper.model``: ``model_wrapper.model``); ``key`` itself otherwise."""
    from bn_lint.semantic.modes import key_of

    root, dot, rest = key.partition(".")
    scope = model.scopes.get(func)
    bound = scope.bindings.get(root) if scope is not None and root not in scope.params else None
    source = key_of(bound[0]) if bound and len(bound) == 1 and bound[0] is not None else None
    if source is None or key_root(source) == source or key_root(source) not in scope.params:
        return key
    return source + dot + rest


def _loop_element(model: "FileModel", node: cst.CSTNode, func: cst.FunctionDef, key: str) -> str | None:
    """The collection held by ``self`` or by a parameter whose elements the loop variable ``key`` runs through at
    ``node`` (``for net in self.models:``, ``for i, net in enumerate(solver.nets):``), also where ``key`` is an
    entry of the variable named for a network (``cfg["base_model"]``, ``member.net``: a model each element holds),
    or None."""
    from bn_lint.semantic.modes.element_runs import element_collection

    scope = model.scopes.get(func)
    name = key_root(key)
    if scope is None or name in scope.params or key != name and not named_as_module(_entry_words(key)):
        return None
    owner = element_collection(model, node, func, name)
    root = key_root(owner) if owner else None
    return owner if root == "self" or root in scope.params else None


def _item_of(model: "FileModel", node: cst.CSTNode, func: cst.FunctionDef, key: str) -> bool:
    """Whether ``node`` runs a loop variable over the parameter ``key`` (``for net in nets: net(x)``)."""
    from bn_lint.semantic.modes.element_runs import element_collection

    run = node.func if isinstance(node, cst.Call) else None
    return isinstance(run, cst.Name) and run.value != key and element_collection(model, node, func, run.value) == key


def _entry_words(key: str) -> str:
    """``cfg['base_model']`` as ``cfg.base_model``: the entry's name last, for the words that name a network."""
    return key.replace("[", ".").replace("]", "").replace("'", "")


def _outermost_function(model: "FileModel", scope) -> str:
    """The name of the module-level function whose body holds the function of ``scope`` (its own name when it is
    one): what the files beside this one can call."""
    while scope.parent is not None and scope.parent.kind == "function":
        scope = scope.parent
    return scope.name or ""


def _hands_out_eval(model: "FileModel") -> bool:
    """Whether a function of the file gives back a model it puts in eval (``return net.eval()``, or
    ``net.eval()`` then ``return net``)."""
    for func in model.functions.values():
        code = model.code(func)
        if ".eval()" not in code:
            continue
        if re.search(r"\breturn\s+[\w.]+\.eval\(\s*\)", code):
            return True
        for name in set(re.findall(r"(?<![\w.])(\w+)(?:\s*\.\s*\w+\s*\([^()]*\))*\s*\.\s*eval\(\s*\)", code)):
            if re.search(r"\breturn\s+(?:\w+\s*,\s*)*" + re.escape(name) + r"\b", code):
                return True
    return False


def _evaluation_function(analysis: "ModeAnalysis", func: cst.FunctionDef, node: cst.CSTNode, key: str) -> bool:
    """A function whose job is evaluation: named for it, running the model in a loop over data with gradients
    off, running a model it is given with gradients off for outputs it hands out (returns, reads out as data or
    as predictions) or with gradients on for outputs it reads out as data, or running it for what forward hooks
    it registers record (``modes/instrumented``)."""
    from bn_lint.semantic.modes import eval_named
    from bn_lint.semantic.modes.eval_names import evaluator_class

    if analysis.steps.trains(func):
        return False  # (a training function: what it trains and then evaluates, the path analysis follows)
    if eval_named(func.name.value):
        return True
    if hooks_before(analysis.model, node, func) is not None:
        return True  # (a model summary: it runs the model for what the forward hooks it registers record)
    owner = analysis.model.enclosing_class(analysis.model.scope_of(func))
    if evaluator_class(owner, analysis.model.code):
        # (a loop over data, or one run whose outputs a public method hands out: `synthesize(self, text)`)
        return any(isinstance(a, (cst.For, cst.While)) for a in _ancestors_within(analysis, node, func)) or (
            not func.name.value.startswith("_") and analysis.output_reads.handed_out(node))
    if analysis.output_reads.dummy_input(node):
        return False
    if not analysis.steps.under_no_grad(node):
        # (gradients on, but the outputs leave torch as data, `.detach().cpu().numpy()`, or a loss of them is read
        # out as a number and not handed back for a backward elsewhere: none is taken of them)
        return not key.startswith("self.") and (
            analysis.output_reads.read_out(node) or analysis.output_reads.read_as_number(node) and not analysis.output_reads.tensor_handed_out(node))
    # (a loop over data with gradients off, or an inference helper: the outputs it computes with gradients off
    # leave the function, returned or read out as data: ``detect_image(model, image)``)
    if any(isinstance(a, cst.For) for a in _ancestors_within(analysis, node, func)):
        return True
    # (not `self._decoder` of a method: a holder given a model whose maker, out of sight, may have put it in eval)
    return not key.startswith("self.") and (analysis.output_reads.handed_out(node) or analysis.output_reads.read_out(node) or analysis.output_reads.predicts(node))


def _ancestors_within(analysis: "ModeAnalysis", node: cst.CSTNode, func: cst.FunctionDef):
    for ancestor in analysis.model.ancestors(node):
        if ancestor is func:
            return
        yield ancestor


def _eval_up_the_callers(analysis: "ModeAnalysis", passed: list, rest: str, following: frozenset) -> bool:
    """Whether a caller of the function (``passed``: what each call gives the parameter) may put the model in eval
    mode before the call, itself or, for a caller that passes on its own parameter as it came, one of its callers,
    however far up (each caller's parameter once)."""
    from bn_lint.semantic.modes import ENTRY, _lookup, _tracked

    for arg_key, state, caller in passed:
        key = f"{arg_key}.{rest}" if rest else arg_key
        if _may_set_eval(key, state):
            return True
        where = analysis.entry.args_key(caller) if isinstance(caller, cst.FunctionDef) else None
        if where is None or not _tracked(state, key) or {f.mode for f in _lookup(state, key)} != {ENTRY}:
            continue
        root = key_root(arg_key)
        deeper = entered(following, (where, root))
        if deeper is not None and _eval_up_the_callers(analysis, analysis.call_args.get(f"{where}.{root}", []),
                                                       key[len(root):].lstrip("."), deeper):
            return True
    return False


def _may_set_eval(arg_key: str, state: dict) -> bool:
    """Whether the caller's model may be in eval mode, or in a mode it does not know (given to code that
    may set it), at the call: only a model the caller never set or followed is left to the callee."""
    from bn_lint.semantic.modes import ENTRY, TRAIN, _lookup, _tracked

    if not _tracked(state, arg_key):
        return False
    return not {f.mode for f in _lookup(state, arg_key)} <= {ENTRY, TRAIN}


def _plain_holder(analysis: "ModeAnalysis", func: cst.FunctionDef, attribute: str) -> bool:
    """``self.<attribute>`` in a method of a class that is not a module (whose parts follow its own mode), or a
    plain list or dict of a module class (no registered part: its mode, or its framework's, does not reach what it
    holds), stored from a parameter of its ``__init__``, and put in eval nowhere in the file."""
    model = analysis.model
    info = model.class_of_method(func)
    if info is None:
        return False
    if (model.is_nn_module_class(info) or analysis.evaluation.framework_class(info) or any(
            model_base(model, base) or "Lightning" in model.code(base) for base in info.bases)) \
            and not unregistered_attribute(model, info, attribute):
        return False
    pattern = re.compile(r"\." + re.escape(attribute) + r"\s*\.\s*(?:eval\s*\(|train\s*\(\s*(?:mode\s*=\s*)?False)")
    if pattern.search(model.source) and _eval_of_attribute_outside_others(model, info, attribute):
        return False
    values = info.attributes.get(attribute, [])
    if not values:  # (stored by a base's `__init__` through `super().__init__(predictor, ...)`, of any file)
        stored = stored_by_init(model, info)
        return stored is not None and attribute in stored[1].values()
    return bool(values) and all(_given(value, where, model) for value, where in values)


def _eval_of_attribute_outside_others(model: "FileModel", info: "ClassInfo", attribute: str) -> bool:
    """Whether code of this file puts ``<x>.<attribute>`` in eval other than another class's own ``self.<attribute>``
    (a validator class beside a tester, each with its own ``self.model``) or a method of this class that does
    so for a run of its own (``predict`` beside the ``get_grad_embedding`` that forgot it)."""
    owner = info.node
    own = {id(method) for _, _, method in class_methods(model, info) if own_evaluation(model, method, attribute)}
    for call in model.nodes_of(model.module, cst.Call):
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in ("eval", "train")
                and isinstance(func.value, cst.Attribute) and func.value.attr.value == attribute):
            continue
        if not _SETS_EVAL.search(model.code(call)):
            continue
        around = next((a for a in model.ancestors(call) if isinstance(a, cst.ClassDef)), None)
        if any(id(a) in own for a in model.ancestors(call) if isinstance(a, cst.FunctionDef)):
            continue  # (a sibling's own evaluation)
        receiver = func.value.value
        if around is not None and around is not owner and isinstance(receiver, cst.Name) and receiver.value == "self":
            continue  # (another class's own attribute: another object)
        return True
    return False


def _given(value: cst.BaseExpression, scope, model: "FileModel | None" = None) -> bool:
    """``model`` / ``model.to(device)`` / ``copy.deepcopy(model)`` (a copy, in the mode it is given) where ``model``
    is a parameter of the function assigning it."""
    while isinstance(value, cst.Call):
        if isinstance(value.func, cst.Attribute) and value.func.attr.value in ("to", "cuda", "cpu", "float", "double",
                                                                               "half"):
            value = value.func.value
        elif model is not None and model.qualname(value.func) in ("copy.deepcopy", "copy.copy") and value.args:
            value = value.args[0].value
        else:
            break
    return isinstance(value, cst.Name) and scope is not None and value.value in scope.params


def _given_in_eval(model: "FileModel", names: list[str]) -> bool:
    """Whether a call of this file to one of the functions ``names`` passes a model it puts in eval in the
    argument itself (``test(model.eval(), image)``)."""
    wanted = set(names)
    return any(isinstance(site.node.func, cst.Name) and site.node.func.value in wanted
               and any(_SETS_EVAL.search(model.code(arg.value)) for arg in site.node.args) for site in model.calls)


def _built_in_eval(model: "FileModel", func: cst.FunctionDef, key: str) -> bool:
    """Whether the ``__init__`` of ``func``'s class puts ``self`` (or the part ``key`` names) in eval mode."""
    info = model.enclosing_class(model.scope_of(func))
    init = info.methods.get("__init__") if info is not None else None
    if init is None:
        return False
    parts = {"self", key.removesuffix(ANY_ENTRY)}
    return any(re.search(rf"(?<![\w.]){re.escape(part)}\.(eval\(\s*\)|train\(\s*(mode\s*=\s*)?False\s*\))",
                         model.code(init)) for part in parts)


def _function_default(model: "FileModel", param) -> bool:
    """Whether the parameter's default is a lambda or a function of the project (this file's, or one of an
    imported project module: ``decoder=decode.viterbi``): what it is given is a callable, not a network."""
    from bn_lint.semantic.project.definitions import imported_name

    default = getattr(param, "default", None)
    if default is None:
        return False
    if isinstance(default, cst.Lambda) or isinstance(default, cst.Name) and default.value in model.functions:
        return True
    dotted = imported_name(model, default) if isinstance(default, (cst.Name, cst.Attribute)) else None
    found = model.imported(dotted, "def") if dotted else None
    return found is not None and found[1] in found[0].functions


def _imports_torch(model: "FileModel") -> bool:
    """Whether the file imports torch (a method of it given a ``model`` is given a torch module, not a
    scikit-learn or cuML estimator)."""
    return any(dotted.split(".")[0] == "torch" for dotted in model.imports.values())
