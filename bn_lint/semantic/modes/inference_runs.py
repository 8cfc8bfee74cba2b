"""Inference runs recognised from trained weights (RULES.md, BN101).

A model given trained weights (its own loader, a pretrained build, a project helper that loads them, a
wrapper of such a model) and run on data in a file that trains nothing is an inference run; a smoke test on
random input before its evaluation spoils the running statistics; a model used after the loop that trained it
puts the trained model to use.
"""
from __future__ import annotations

import re
import weakref
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.knowledge.library_models import TRAIN_MODE_CONSTRUCTORS
from bn_lint.semantic.knowledge.module_names import named_as_module
from bn_lint.semantic.knowledge.wrappers import HOLDS_MODULE, SAME_MODULE
from bn_lint.semantic.nn_modules.library_kinds import framework_constructed
from bn_lint.semantic.modes.attribution import attribution_only
from bn_lint.semantic.modes.eval_data import PASSTHROUGH, unwrapped
from bn_lint.semantic.modes.known_calls import loads_own_weights, loads_weights
from bn_lint.semantic.nn_modules.uses import forwarded
from bn_lint.semantic.modes.output_reads import detached
from bn_lint.semantic.modes.synthetic_runs import evaluation_after
from bn_lint.semantic.modes.weight_loaders import loads_weights_into
from bn_lint.semantic.modes.keys import _names_read, key_of
from bn_lint.semantic.modes.state import _tracked
from bn_lint.semantic.syntax.followed import entered

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel


_TRAINS = re.compile(r"\.backward\s*\(|\.step\s*\(|\bfit\s*\(|\btrain(?:er)?\s*\.\s*train\s*\(|train_(?:one_)?epoch\s*\(")
_TRAINING_FILES: "weakref.WeakKeyDictionary[FileModel, bool]" = weakref.WeakKeyDictionary()


def trains_in_file(model: "FileModel") -> bool:
    """Whether the file's text shows a training step (searched once per file)."""
    found = _TRAINING_FILES.get(model)
    if found is None:
        found = _TRAINING_FILES[model] = _TRAINS.search(model.source) is not None and not attribution_only(model)
    return found


def inference_run(analysis, node: cst.CSTNode) -> str | None:
    """Why ``node`` is an inference run: the model it calls had weights loaded into it
    (``net.load_state_dict(...)`` before it, in the same function or at module level), the file trains
    nothing, and the call is not inside a module's own code; its input is data, or random input whose
    output is saved as images (a generator's samples). None otherwise."""
    model = analysis.model
    if not isinstance(node, cst.Call) or trains_in_file(model):
        return None
    func = forwarded(node.func) or node.func  # (`model.forward(img)`: TorchServe's handlers)
    key = func.value if isinstance(func, cst.Name) else None
    scope_node = analysis.enclosing_function(node)
    if key is None:
        loaded = _held_loaded(model, func, scope_node)  # (`self.model(img)` of a predictor that loaded it)
    elif scope_node is not None and (scope_node.name.value in ("forward", "__init__", "__call__")
                                     or model.enclosing_class(model.scopes.get(scope_node)) is not None):
        return None
    else:
        loaded = _loaded(model, key, scope_node, model.order(node), set())
    if not loaded:
        return None
    if analysis.output_reads.dummy_input(node) and not analysis.output_reads.visualised(node):
        return None
    return f"an inference run: weights loaded at line {analysis.line(loaded[-1])}, nothing in this file trains"


def _held_loaded(model: "FileModel", func: cst.BaseExpression, method: cst.FunctionDef | None) -> list[cst.Call]:
    """``[call]`` for ``self.model(x)`` in a method (not ``__init__``) of a class that is no module, when one of its
    methods loads trained weights into ``self.model`` (``self.model.load_state_dict(...)`` in ``__init__``): a
    predictor built around a trained model."""
    if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self") \
            or method is None or method.name.value == "__init__":
        return []
    info = model.enclosing_class(model.scopes.get(method))
    if info is None or model.is_nn_module_class(info):
        return []
    attribute = func.attr.value
    return [call for other in info.methods.values() for call in model.nodes_of(other, cst.Call)
            if isinstance(call.func, cst.Attribute) and loads_own_weights(call.func.attr.value)
            and isinstance(call.func.value, cst.Attribute) and isinstance(call.func.value.value, cst.Name)
            and call.func.value.value.value == "self" and call.func.value.attr.value == attribute] \
        or _held_pretrained(model, info, attribute)


def _held_pretrained(model: "FileModel", info, attribute: str) -> list[cst.Call]:
    """``[call]`` when every assignment of ``self.<attribute>`` in the class's methods is a pretrained build
    (``self.backbone = resnet101(pretrained=True)``): a feature extractor built around trained weights."""
    values = [assign.value for method in info.methods.values() for assign in model.nodes_of(method, cst.Assign)
              if any(isinstance(t.target, cst.Attribute) and isinstance(t.target.value, cst.Name)
                     and t.target.value.value == "self" and t.target.attr.value == attribute for t in assign.targets)]
    built = [unwrapped(value) for value in values]  # (`resnet50(pretrained=True).to(device)`)
    if not all(isinstance(value, cst.Call) and pretrained_build(model, value) for value in built):
        return []
    return built[:1]


def spoiled_before_evaluation(analysis, node: cst.CSTNode) -> str | None:
    """Why ``node`` spoils an evaluation: a model given trained weights (loaded, or built pretrained) is run in
    training mode on random input (a smoke test, ``y = net(torch.randn(5, 3, 224, 224))``) before the code
    puts it in eval and runs it, with no training step in between: that forward has already moved the running
    statistics the evaluation normalises with. None otherwise."""
    model = analysis.model
    if not isinstance(node, cst.Call) or not analysis.output_reads.dummy_input(node):
        return None
    func = forwarded(node.func) or node.func
    helper_run = analysis.synthetic_runs.get(node)  # (another file's helper runs it: `trace(net, torch.ones(...))`)
    key = helper_run if helper_run is not None and "." not in helper_run else (
        func.value if isinstance(func, cst.Name) and helper_run is None else None)
    scope_node = analysis.enclosing_function(node)
    if key is None or scope_node is not None and (scope_node.name.value in ("forward", "__init__", "__call__")
                                                  or model.enclosing_class(model.scopes.get(scope_node)) is not None):
        return None
    at, body = model.order(node), scope_node or model.module
    calls = model.nodes_of(body, cst.Call)
    loaded = [call for call in calls if isinstance(call.func, cst.Attribute) and loads_own_weights(call.func.attr.value)
              and isinstance(call.func.value, cst.Name) and call.func.value.value == key and model.order(call) < at] \
        or _pretrained(model, key, model.scope_of(node)) or _built_pretrained_before(model, body, key, at) \
        or _built_loaded(model, key, scope_node, at, set())
    if not loaded and helper_run is not None and scope_node is not None and key in model.scopes[scope_node].params:
        loaded = [scope_node]  # (a model given to the function: its callers' weights, in the mode they give it)
    evals = [call for call in calls if isinstance(call.func, cst.Attribute) and call.func.attr.value == "eval"
             and not call.args and isinstance(call.func.value, cst.Name) and call.func.value.value == key
             and model.order(call) > at] if helper_run is None else evaluation_after(analysis, key, body, at)
    if not loaded or not evals:
        return None
    if any(at < model.order(step) < model.order(evals[0]) for step in analysis.steps.training_calls(body)):
        return None  # (trained in between: the evaluation sees the statistics of that training)
    if any(at < model.order(call) < model.order(evals[0]) for call in calls
           if isinstance(call.func, cst.Attribute) and call.func.attr.value == "backward"):
        return None  # (a backward pass in between: the forward was a training-mode run on purpose, a gradient test)
    run = ("synthetic input run by the called function" if helper_run
           else f"random input run on the weights given at line {analysis.line(loaded[-1])}")
    return f"{run}, before its evaluation after `.eval()` at line {analysis.line(evals[0])}, with no training in between"


def _built_pretrained_before(model: "FileModel", body: cst.CSTNode, name: str, at: int) -> list[cst.Call]:
    """``[call]`` for the last ``name = resnet18(pretrained=True)`` before ``at`` in ``body``, when ``name`` is
    bound again elsewhere (``net = net.eval()``: one binding per name is what ``_pretrained`` reads)."""
    last = None
    for assign in model.nodes_of(body, cst.Assign):
        if model.order(assign) < at and len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name) \
                and assign.targets[0].target.value == name:
            last = assign.value
    while isinstance(last, cst.Call) and isinstance(last.func, cst.Attribute) and last.func.attr.value in PASSTHROUGH:
        last = last.func.value
    return [last] if isinstance(last, cst.Call) and pretrained_build(model, last) else []


def _loaded(model: "FileModel", key: str, scope_node: cst.FunctionDef | None, at: int, seen: set) -> list[cst.Call]:
    """The calls that gave ``key`` trained weights before ``at`` in ``scope_node`` (the module when None): its
    own loader (``net.load_state_dict(...)``), a pretrained build; for a parameter, what gave them to the model
    a caller of this file passes (``main`` loads ``net`` and calls ``probe(net)``, whose loop calls
    ``process_image(model, img)``)."""
    loaded = [call for call in model.nodes_of(scope_node or model.module, cst.Call)
              if model.order(call) < at and (_loads_own(call, key) or _function_of(model, call) is scope_node
                                             and (_given_to_loader(call, key) or loads_weights_into(model, call, key)))]
    scope = model.scopes.get(scope_node) if scope_node is not None else model.module_scope
    if not loaded:
        loaded = _pretrained(model, key, scope)
    if not loaded:
        loaded = _built_loaded(model, key, scope_node, at, seen)
    wrapped = _wrapped_name(model, key, scope) if not loaded and (key, "wrapped", scope_node) not in seen else None
    if wrapped is not None:  # (`ddp = DDP(net)` after `load_checkpoint(net, path)`: the weights of what it wraps)
        seen.add((key, "wrapped", scope_node))
        loaded = _loaded(model, wrapped[0], scope_node, min(at, model.order(wrapped[1])), seen)
    params = () if scope_node is None else \
        {p.name.value for p in (*scope_node.params.posonly_params, *scope_node.params.params, *scope_node.params.kwonly_params)}
    if loaded or key not in params or (key, scope_node) in seen:
        return loaded
    seen.add((key, scope_node))
    from bn_lint.semantic.evaluators.call_binding import callers
    for site, bound in callers(model, scope_node) or ():
        given = bound.get(key)
        if isinstance(given, cst.Name) and bound.scope_of(key, site.scope) is site.scope:
            found = _loaded(model, given.value, _function_of(model, site.node), model.order(site.node), seen)
            if found:
                return found
    return []


def _wrapped_name(model: "FileModel", key: str, scope) -> tuple[str, cst.Call] | None:
    """``(net, call)`` when ``key`` is bound once, in ``scope``, to a wrapper that holds the module it is given
    (``DistributedDataParallel(net, ...)``, ``nn.DataParallel(net).cuda()``): the wrapped name, and that call."""
    found = model.binding(key, scope)
    value = found[0] if found is not None and found[1] is scope else None
    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in PASSTHROUGH:
        value = value.func.value
    if not isinstance(value, cst.Call) or not value.args or value.args[0].keyword is not None or value.args[0].star:
        return None
    inner = value.args[0].value
    if model.qualname(value.func) not in HOLDS_MODULE or not isinstance(inner, cst.Name) or inner.value == key:
        return None
    return inner.value, value


def _loads_own(call: cst.Call, key: str) -> bool:
    """``key.load_state_dict(sd)``, ``key.load_weights(path)``: the model loads trained weights itself."""
    return isinstance(call.func, cst.Attribute) and loads_own_weights(call.func.attr.value) \
        and isinstance(call.func.value, cst.Name) and call.func.value.value == key


def _function_of(model: "FileModel", node: cst.CSTNode) -> cst.FunctionDef | None:
    """The function whose body holds ``node`` (None at module level or in a class body)."""
    scope = model.scope_of(node)
    while scope is not None and scope.kind not in ("function", "module"):
        scope = scope.parent
    return scope.node if scope is not None and scope.kind == "function" else None


def _given_to_loader(call: cst.Call, key: str) -> bool:
    """``load_checkpoint(key, path)``, ``restore(model=key, ...)``: a function named for loading weights is given
    the model (``loads_weights``: it loads them into the module it is given, as ``load_state_dict`` does)."""
    return loads_weights(call.func) and any(isinstance(arg.value, cst.Name) and arg.value.value == key
                                            for arg in call.args if not arg.star)


def _built_loaded(model: "FileModel", key: str, scope_node: cst.FunctionDef | None, at: int,
                  seen: set) -> list[cst.Call]:
    """``[call]`` when the last ``key = build(...)`` before ``at`` in ``scope_node`` (the module when None) calls a
    project function, of this file or another, that gives the model it returns trained weights on one of its paths
    (``net = Net(); if path: net.load_state_dict(torch.load(path)); return nn.DataParallel(net)``)."""
    from bn_lint.semantic.project.definitions import class_level_method, element_builder
    from bn_lint.semantic.syntax.walk import returned_values

    last = None
    for assign in model.nodes_of(scope_node or model.module, cst.Assign):
        if model.order(assign) < at and len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name) \
                and assign.targets[0].target.value == key and not _rewraps(model, assign.value, key):
            last = assign  # (`model = DataParallel(model).cuda()` wraps the model built before it)
    value = unwrapped(last.value) if last is not None else None
    if not isinstance(value, cst.Call) or next((a for a in model.ancestors(last) if isinstance(a, cst.FunctionDef)),
                                               None) is not scope_node:
        return []
    # (a project function, or a static / class method: `model = DeepSpeech.load_model(path)`)
    found = element_builder(model, value.func, model.scope_of(last)) or class_level_method(model, value.func)
    if found is None or (found[1], "built") in seen:
        return []
    seen.add((found[1], "built"))
    other, builder = found
    for returned in returned_values(builder):
        returned = unwrapped(returned) if returned is not None else None
        while isinstance(returned, cst.Call) and len(returned.args) == 1 and other.qualname(returned.func) in SAME_MODULE:
            returned = unwrapped(returned.args[0].value)  # `return nn.DataParallel(net)`: `net`, wrapped
        if isinstance(returned, cst.Call) and pretrained_build(other, returned):
            return [value]  # (`return Localiser.load_from_checkpoint(path)`)
        if isinstance(returned, cst.Name):
            end = max((other.order(node) for node in other.nodes_of(builder, cst.Return)), default=0) + 1
            if _loaded(other, returned.value, builder, end, seen):
                return [value]
    return []


def _rewraps(model: "FileModel", value: cst.BaseExpression, key: str) -> bool:
    """``DataParallel(key)`` (device moves allowed): the model bound to ``key`` before, wrapped."""
    value = unwrapped(value)
    return isinstance(value, cst.Call) and len(value.args) >= 1 and model.qualname(value.func) in SAME_MODULE \
        and isinstance(unwrapped(value.args[0].value), cst.Name) and unwrapped(value.args[0].value).value == key




def _pretrained(model: "FileModel", name: str, scope, following: frozenset = frozenset()) -> list[cst.Call]:
    """``[call]`` when ``name`` is bound to a model built with pretrained weights (``pretrained_build``), or
    to a ``Sequential`` of such a model's children (``nn.Sequential(*list(net.children())[:-2])``)."""
    found = model.binding(name, scope)
    value = found[0] if found is not None else None
    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in PASSTHROUGH:
        value = value.func.value  # `googlenet(pretrained=True).float().cuda()`
    following = entered(following, id(value))  # (parts of parts however far: each model once)
    if not isinstance(value, cst.Call) or following is None:
        return []
    if pretrained_build(model, value):
        return [value]
    for arg in value.args:
        if arg.star == "*":  # `nn.Sequential(*list(net.children())[:-2])`: parts of `net`
            for call in model.nodes_of(arg.value, cst.Call):
                if isinstance(call.func, cst.Attribute) and call.func.attr.value in ("children", "modules") \
                        and isinstance(call.func.value, cst.Name):
                    return _pretrained(model, call.func.value.value, found[1], following)
    return []


def pretrained_build(model: "FileModel", call: cst.Call) -> bool:
    """``resnet50(pretrained=True)``, ``resnet50(weights="DEFAULT")`` / ``weights=ResNet50_Weights.DEFAULT``; a
    project class a framework builds with loaded weights (``Net.load_from_checkpoint(path)``)."""
    if isinstance(call.func, cst.Attribute) and call.func.attr.value in TRAIN_MODE_CONSTRUCTORS:
        return framework_constructed(model, call.func) is not None
    return any(arg.keyword is not None and (
        arg.keyword.value == "pretrained" and isinstance(arg.value, cst.Name) and arg.value.value == "True"
        or arg.keyword.value == "weights" and (isinstance(arg.value, cst.SimpleString) or "Weights" in model.code(arg.value)))
        for arg in call.args)


def run_after_training(analysis, node: cst.CSTNode) -> str | None:
    """Why ``node`` puts a trained model to use: ``code = encoder(images)`` in the same function (or at
    module level) after the loop that trained ``encoder`` ended, in no loop itself (or in a loop of its own that
    trains nothing, its output detached: features collected per task), with no backward pass after it (latent codes
    to plot, features to save). None otherwise."""
    model = analysis.model
    key = _run_name(node)
    if key is None:
        return None
    function = analysis.enclosing_function(node)
    if function is not None and (function.name.value in ("forward", "__init__", "__call__")
                                 or model.enclosing_class(model.scopes.get(function)) is not None):
        return None
    body = function or model.module
    taken_off = detached(model, node) or _detached_after(model, node)
    innermost = True
    for ancestor in model.ancestors(node):
        if ancestor is body:
            break
        if isinstance(ancestor, (cst.For, cst.While)) and taken_off and not (innermost and analysis.steps.trains(ancestor)):
            innermost = False  # (a loop of its own, training nothing, its outputs detached: features to collect)
            continue
        if isinstance(ancestor, (cst.For, cst.While, cst.FunctionDef, cst.Lambda)):
            return None  # (in a loop: a later epoch's, or a loop of its own; in a nested function: its callers)
    at = model.order(node)
    if any(model.order(step) > at for step in analysis.steps.training_calls(body)):
        return None  # (a training step after it: its output may feed one)
    around = {id(a) for a in model.ancestors(node)}
    for loop in model.nodes_of(body, cst.For, cst.While):
        if model.order(loop) < at and id(loop) not in around and analysis.steps.trains(loop) and any(
                _run_name(call) == key for call in model.nodes_of(loop, cst.Call)):
            return f"after the training loop at line {analysis.line(loop)}, its output going to no backward pass"
    for call in model.nodes_of(body, cst.Call):  # (`train(x, model)`: a helper that trained it, then its use)
        if model.order(call) < at and id(call) not in around and analysis.enclosing_function(call) is function \
                and any(isinstance(arg.value, cst.Name) and arg.value.value == key for arg in call.args) \
                and analysis.steps.is_training_call(call):
            return f"after `{model.code(call.func)}()` at line {analysis.line(call)} trained it, its output going to no " \
                f"backward pass"
    return None


def _run_name(call: cst.CSTNode) -> str | None:
    """The name of the module a call runs: ``encoder(x)``, ``encoder.forward(x)``."""
    if not isinstance(call, cst.Call):
        return None
    func = call.func if isinstance(call.func, cst.Name) else forwarded(call.func)
    return func.value if isinstance(func, cst.Name) else None


def _detached_after(model: "FileModel", call: cst.Call) -> bool:
    """``out = net(x); out = out.detach()``: the output, bound to a name, detached by a later statement of the same
    block (before anything else reads it)."""
    statement = model.parent(model.parent(call))
    if not (isinstance(model.parent(call), cst.Assign) and len(model.parent(call).targets) == 1
            and isinstance(model.parent(call).targets[0].target, cst.Name)):
        return False
    name = model.parent(call).targets[0].target.value
    block = model.parent(statement)
    lines = list(block.body) if isinstance(block, cst.IndentedBlock) else []
    for line in lines[lines.index(statement) + 1:] if statement in lines else ():
        reads = [n for n in model.nodes_of(line, cst.Name) if n.value == name
                 and not isinstance(model.parent(n), cst.AssignTarget)]
        if not reads:
            continue
        first = model.parent(reads[0])
        return isinstance(first, cst.Attribute) and first.attr.value == "detach" and first.value is reads[0] \
            and isinstance(model.parent(first), cst.Call)
    return False


def inference_helper_key(flow, call: cst.Call, state) -> str | None:
    """``output = apply_generator(image, generator)`` in a loop over images, its result read out as data
    (``torch.from_numpy(output)``): a function out of sight given one followed model and the loop's item runs the
    model on it (an inference helper); the model's key, or None."""
    model = flow.model
    if not isinstance(call.func, (cst.Name, cst.Attribute)) or any(arg.star for arg in call.args):
        return None
    keys = [key_of(arg.value) for arg in call.args]
    held = [k for k in keys if k is not None and _tracked(state, k) and named_as_module(k.rpartition(".")[2])]
    if len(held) != 1:
        return None
    loop = next((a for a in model.ancestors(call) if isinstance(a, (cst.For, cst.FunctionDef, cst.Lambda))), None)
    if not isinstance(loop, cst.For):
        return None
    items = set(_names_read(loop.target))
    if not any(key is None or key != held[0] for key in keys) or not any(
            n in items for arg, key in zip(call.args, keys) if key != held[0] for n in _names_read(arg.value)):
        return None
    return held[0] if flow.a.output_reads.read_out(call) or flow.a.output_reads.predicts(call) else None

