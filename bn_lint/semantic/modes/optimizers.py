"""What the file's optimizers are given: the modules whose parameters each optimizer holds, and the whole models
none of them holds.

A model that no optimizer of the file is given, and that the file only builds, wraps, loads and runs, is frozen by
being left out (RULES.md BN105: "by leaving those parameters out of the optimizer"): a pretrained network whose
output another network trains on (a disparity network under ``no_grad`` feeding a refinement network, a
feature extractor feeding a probe). In training mode its BatchNorm statistics move with every step.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from bn_lint.semantic.syntax.followed import entered
from bn_lint.semantic.syntax.walk import walk
from bn_lint.semantic.evaluators.call_binding import bind, positional_names
from .keys import _called_name, key_of, key_parent, key_root

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel

def builds_optimizer(model, node: cst.CSTNode) -> bool:
    """Whether ``node`` builds a torch optimizer (``torch.optim.Adam(...)``)."""
    return isinstance(node, cst.Call) and _optimizer_class(model.qualname(node.func))


def _optimizer_class(qn: str | None) -> bool:
    return qn is not None and qn.startswith("torch.optim.") and qn.count(".") == 2 and qn[12:13].isupper()


def given_parts(model, call: cst.Call) -> list[str] | None:
    """The modules whose parameters the optimizer ``call`` is given (its ``params``: ``optimised_parts``)."""
    given = next((a.value for a in call.args if a.keyword is None and not a.star
                  or a.keyword is not None and a.keyword.value == "params"), None)
    return optimised_parts(model, given, model.scope_of(call)) if given is not None else None


def optimised_parts(model, expr: cst.BaseExpression, scope, following: frozenset = frozenset()) -> list[str] | None:
    """The modules whose parameters an optimizer's ``params`` gives it (``model.fc.parameters()``, a list of them,
    param groups ``[{"params": ...}]``, a name bound to one of these); None when the code does not show them."""
    if isinstance(expr, cst.Name):  # (names bound to names however far; one bound to itself shows nothing)
        bound = model.binding(expr.value, scope)
        following = entered(following, id(bound[0])) if bound is not None else None
        return optimised_parts(model, bound[0], bound[1], following) if following is not None else None
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and not expr.args \
            and expr.func.attr.value in ("parameters", "named_parameters"):
        key = key_of(expr.func.value)
        return [key] if key is not None else None
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "list" and len(expr.args) == 1:
        return optimised_parts(model, expr.args[0].value, scope, following)
    if isinstance(expr, (cst.List, cst.Tuple)) and expr.elements:
        found: list[str] = []
        for element in expr.elements:
            value = element.value
            if isinstance(value, cst.Dict):  # a param group: `{"params": model.fc.parameters(), "lr": 0.1}`
                value = next((e.value for e in value.elements if isinstance(e, cst.DictElement)
                              and isinstance(e.key, cst.SimpleString) and e.key.evaluated_value == "params"), None)
            inner = optimised_parts(model, value, scope, following) if value is not None else None
            if inner is None:
                return None
            found += inner
        return found
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        left, right = (optimised_parts(model, side, scope, following) for side in (expr.left, expr.right))
        return left + right if left is not None and right is not None else None
    return None


_OPTIMIZER_NAMED = re.compile(r"(?i)optim")
#: what may be done with a model left out of every optimizer, besides running it: its own methods that set its
#: mode, place it, or read or load its weights
_OWN_METHODS = frozenset({"train", "eval", "cuda", "cpu", "to", "half", "float", "double", "load_state_dict",
                          "state_dict", "parameters", "named_parameters", "requires_grad_", "forward"})
#: calls a model left out may be given: wrappers of the same module, and readers
_GIVEN_TO = frozenset({"DataParallel", "DistributedDataParallel", "print", "str", "len", "repr", "type"})


def optimizer_keys(model: "FileModel") -> frozenset[str] | None:
    """The access paths that the arguments of the file's optimizers read, with their prefixes (``model.fc`` and
    ``model`` for ``Adam(model.fc.parameters())``): torch's, and any call whose name says optimizer
    (``build_optimizer(cfg, net)``); None when a torch optimizer is given parameters the code does not show."""
    return model.analysis(_optimizer_keys)


def _optimizer_keys(model: "FileModel") -> frozenset[str] | None:
    keys: set[str] = set()
    for site in model.calls:
        call = site.node
        qn = model.qualname(call.func)
        torch_optimizer = _optimizer_class(qn)
        if not torch_optimizer and not _OPTIMIZER_NAMED.search(_called_name(call.func)):
            continue
        if torch_optimizer and given_parts(model, call) is None:
            return None
        for arg in call.args:
            for node in walk(arg.value):
                key = key_of(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
                while key is not None:
                    keys.add(key)
                    key = key_parent(key)
    return frozenset(keys)


def left_out_models(model: "FileModel", optimizer: cst.Call, keys: Iterator[str], bears_batchnorm) -> list[str]:
    """Among ``keys`` (plain names of tracked models), those built in the function of ``optimizer`` (the module at
    the top) that no optimizer of the file is given and the file only builds, wraps, loads, puts in a mode and runs,
    and that ``bears_batchnorm``."""
    given = optimizer_keys(model)
    if given is None or any(key_root(key) == "self" for key in given_parts(model, optimizer) or ()):
        return []  # (the parts of `self`: an instance a caller holds under another name is optimised)
    here = _function_of(model, optimizer)
    return [key for key in keys if key.isidentifier() and key not in given and _only_run(model, key)
            and _built_on_its_own(model, key, given, here) and not _frozen_by_parameters(model, key)
            and bears_batchnorm(key)]


def _function_of(model: "FileModel", node: cst.CSTNode) -> cst.FunctionDef | None:
    return next((a for a in model.ancestors(node) if isinstance(a, cst.FunctionDef)), None)


def _built_on_its_own(model: "FileModel", name: str, given: frozenset[str], here: cst.FunctionDef | None) -> bool:
    """Whether ``name`` is built in ``here`` (None: at the top of the module) and every assignment of it builds or
    wraps a model of its own: a call given none of the modules an optimizer holds (not ``net = model.module``,
    ``net = DDP(model)``: another name of an optimised model)."""
    assigns = [assign for assign in model.nodes_of(model.module, cst.Assign)
               if any(isinstance(t.target, cst.Name) and t.target.value == name for t in assign.targets)]
    values = [assign.value for assign in assigns]
    return any(_function_of(model, assign) is here for assign in assigns) and all(
        isinstance(value, cst.Call) and not any(key_of(node) in given for arg in value.args for node in walk(arg.value)
                                                if isinstance(node, (cst.Name, cst.Attribute)))
        for value in values)


def _frozen_by_parameters(model: "FileModel", name: str) -> bool:
    """Whether the file freezes ``name`` by its parameters (``teacher.requires_grad_(False)``, a loop over
    ``teacher.parameters()`` setting ``requires_grad``): that freeze is the finding, not the optimizer."""
    escaped = re.escape(name)
    return re.search(rf"\b{escaped}\s*\.\s*requires_grad_\s*\(", model.source) is not None or re.search(
        rf"\bin\s+{escaped}\s*\.\s*(?:named_)?parameters\s*\(\s*\)\s*:[^\n]*(?:\n[^\n]*)?requires_grad", model.source) is not None


def _only_run(model: "FileModel", name: str) -> bool:
    """Whether every use of the name ``name`` in the file builds, wraps, runs it or calls one of its own methods
    (``model = nn.DataParallel(model)``, ``model.train()``, ``model(x)``), or gives it to a function of the file
    that does only that with it (``train_step(backbone, head, x, y, opt)``): nothing could optimise it."""
    return _plain_in(model, model.module, name, frozenset())


def _plain_in(model: "FileModel", scope: cst.CSTNode, name: str, seen: frozenset) -> bool:
    """Whether each read of ``name`` in ``scope`` (not in functions of it that take their own ``name``) is plain."""
    for node in model.nodes_of(scope, cst.Name):
        if node.value != name or _shadowed(model, node, scope, name):
            continue
        parent = model.parent(node)
        if isinstance(parent, cst.Attribute) and parent.attr is node or isinstance(parent, cst.Arg) \
                and parent.keyword is node or isinstance(parent, (cst.Param, cst.FunctionDef, cst.ClassDef,
                                                                   cst.ImportAlias, cst.AssignTarget)):
            continue  # (not a read of the variable)
        if not _plain_use(model, node, parent, seen):
            return False
    return True


def _shadowed(model: "FileModel", node: cst.Name, scope: cst.CSTNode, name: str) -> bool:
    """Whether ``node`` is inside a function of ``scope`` that takes a parameter ``name`` of its own."""
    for ancestor in model.ancestors(node):
        if ancestor is scope:
            return False
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)) and any(
                param.name.value == name for param in _params(ancestor)):
            return True
    return False


def _params(func: cst.FunctionDef | cst.Lambda) -> list[cst.Param]:
    params = func.params
    return [*params.posonly_params, *params.params, *params.kwonly_params]


def _plain_use(model: "FileModel", node: cst.Name, parent: cst.CSTNode, seen: frozenset) -> bool:
    if isinstance(parent, cst.Call) and parent.func is node:
        return True  # (`model(x)`)
    if isinstance(parent, cst.Attribute) and parent.value is node:
        return parent.attr.value in _OWN_METHODS and isinstance(model.parent(parent), cst.Call)
    if isinstance(parent, cst.Arg):
        call = model.parent(parent)
        func = call.func if isinstance(call, cst.Call) else None
        called = _called_name(func) if func is not None else None
        if called in _GIVEN_TO:
            return True
        function = model.functions.get(called) if isinstance(func, cst.Name) else None
        param = _bound_param(function, call, parent) if function is not None else None
        given = optimizer_keys(model) or frozenset()
        return param is not None and (function, param) not in seen and param not in given \
            and _plain_in(model, function, param, seen | {(function, param)})
    return False


def _bound_param(function: cst.FunctionDef, call: cst.Call, arg: cst.Arg) -> str | None:
    """The parameter of ``function`` that ``arg`` of ``call`` binds (the shared binder, ``call_binding.bind``)."""
    names = {param.name.value for param in _params(function)}
    bound = bind(call, positional_names(function))
    return next((name for name, value in bound.values.items() if value is arg.value and name in names), None)
