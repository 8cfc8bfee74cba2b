"""Models of a class the code picks at run time (RULES.md, Evidence: "a model of unknown class ... may hold
BatchNorm when the project itself builds BatchNorm models"): an entry of a registry the code fills at run time
(``MODELS[name](**cfg)`` over ``globals()``), a class an attribute or a variable holds (``self.model_cls(**params)``
with ``self.model_cls`` given to a setter), a class a configuration names (``hydra.utils.instantiate(cfg.model)``).
A class named by a constant dotted path (``hydra.utils.get_class("pkg.models.Net")``) is that project class."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.file.project_imports import imported
from bn_lint.semantic.file.records import param_of
from bn_lint.semantic.knowledge.library_models import CLASS_INSTANTIATORS, CLASS_LOCATORS
from bn_lint.semantic.syntax.constants import evaluate

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope

# a call's argument that configures a construction rather than feeding a forward pass
_CONFIG_ROOTS = frozenset({"args", "opt", "opts", "cfg", "config", "conf", "hparams", "params", "hp", "kwargs",
                           "settings", "options"})
_CONFIG_SUFFIXES = ("_args", "_kwargs", "_cfg", "_config", "_params", "_opts", "_hparams")


def evaluated_construction(model: "FileModel", expr: cst.BaseExpression, scope: "Scope | None") -> cst.Call | None:
    """``eval('models.{}()'.format(name))`` (or ``eval(f"models.{name}()")``): the construction the string names, as
    ``getattr(models, name)()`` writes it (an expression outside the tree, whose parts are the code's own); None for
    any other expression."""
    if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "eval"
            and len(expr.args) == 1 and model.binding("eval", scope) is None):
        return None
    given = expr.args[0].value
    if isinstance(given, cst.Call) and isinstance(given.func, cst.Attribute) and given.func.attr.value == "format" \
            and isinstance(given.func.value, cst.SimpleString) and len(given.args) == 1 and given.args[0].keyword is None:
        template, picked = str(given.func.value.evaluated_value), given.args[0].value
    elif isinstance(given, cst.FormattedString) and len([p for p in given.parts if isinstance(p, cst.FormattedStringExpression)]) == 1:
        template = "".join("{}" if isinstance(p, cst.FormattedStringExpression) else p.value for p in given.parts)
        picked = next(p.expression for p in given.parts if isinstance(p, cst.FormattedStringExpression))
    else:
        return None
    owner, dot, rest = template.partition(".{}(")
    if not dot or not owner or not all(part.isidentifier() for part in owner.split(".")) or "{" in rest:
        return None
    try:
        written = cst.parse_expression(f"{owner}.__picked__({rest}")
    except cst.ParserSyntaxError:
        return None
    if not (isinstance(written, cst.Call) and isinstance(written.func, cst.Attribute)):
        return None
    getter = cst.Call(func=cst.Name("getattr"), args=[cst.Arg(written.func.value), cst.Arg(picked)])
    return written.with_changes(func=getter)


def located_class(model: "FileModel", call: cst.Call, scope: "Scope | None") -> tuple["FileModel", str] | None:
    """The project class ``call`` builds when its callee is a locator given a constant dotted path:
    ``hydra.utils.get_class("uda.base.Model")()`` is ``Model`` of ``uda/base.py``."""
    func = call.func
    if not (isinstance(func, cst.Call) and func.args and func.args[0].keyword is None
            and model.qualname(func.func) in CLASS_LOCATORS):
        return None
    dotted = evaluate(func.args[0].value, model, scope)
    if not isinstance(dotted, str) or "." not in dotted or not all(p.isidentifier() for p in dotted.split(".")):
        return None
    return imported(model, dotted, "class")


def builds_run_time_class(model: "FileModel", call: cst.Call, scope: "Scope | None") -> bool:
    """Whether ``call`` builds an instance of a class the code picks at run time (not a forward pass of a
    module it holds: the arguments configure, they feed no input)."""
    call = evaluated_construction(model, call, scope) or call  # (`eval('models.{}()'.format(name))`)
    func = call.func
    if isinstance(func, cst.Call):  # `hydra.utils.get_class(name)(...)`, `getattr(models, name)(...)`
        return model.qualname(func.func) in CLASS_LOCATORS or isinstance(func.func, cst.Name) \
            and func.func.value == "getattr" and model.binding("getattr", scope) is None
    if model.qualname(func) in CLASS_INSTANTIATORS:  # `hydra.utils.instantiate(cfg.model)`
        return True
    if not _configures(call):
        return False
    if isinstance(func, cst.Subscript):  # `MODELS[name](**cfg)`: a registry's entry (not `self.heads[i](x)`)
        return isinstance(func.value, cst.Name)
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
        return _holds_given_class(model, func.attr.value, scope)
    if isinstance(func, cst.Name) and model.binding(func.value, scope) is not None:
        value = model.binding(func.value, scope)[0]  # `model_class = MODELS[name]; model_class(**kwargs)`
        return isinstance(value, cst.Subscript) and isinstance(value.value, cst.Name) \
            or isinstance(value, cst.Call) and model.qualname(value.func) in CLASS_LOCATORS
    return False


def picks_unshown_class(model: "FileModel", call: cst.Call, scope: "Scope | None") -> bool:
    """``builds_run_time_class`` where the code shows no candidates to judge instead: not ``getattr`` over names an
    option lists, not a registry that is a dict display or filled by decorators (their kinds say what they build),
    but one filled at run time (``{n: c for n, c in globals().items() ...}``, a function's result) or a class held."""
    if not builds_run_time_class(model, call, scope):
        return False
    func = call.func
    if isinstance(func, cst.Call):
        return model.qualname(func.func) in CLASS_LOCATORS
    if isinstance(func, cst.Name) and model.binding(func.value, scope) is not None:
        func, scope = model.binding(func.value, scope)
        func = func if isinstance(func, cst.Subscript) else None
    if not isinstance(func, cst.Subscript) or not isinstance(func.value, cst.Name):
        return True
    name = func.value.value
    bound = model.binding(name, scope)
    if bound is None and name in model.imports:
        found = model.definition(model.imports[name])
        bound = (found[1], found[2]) if found is not None else None
    return bound is not None and isinstance(bound[0], (cst.Call, cst.DictComp))


def _configures(call: cst.Call) -> bool:
    """Whether every argument configures: a keyword, a constant, a configuration object's value or its spread
    (``**params``; not ``**batch``)."""
    for arg in call.args:
        value = arg.value
        if arg.keyword is not None or isinstance(value, (cst.Integer, cst.Float, cst.SimpleString)) and not arg.star:
            continue
        root = value
        while isinstance(root, (cst.Attribute, cst.Subscript)):
            root = root.value
        if not (isinstance(root, cst.Name) and (root.value in _CONFIG_ROOTS or root.value.endswith(_CONFIG_SUFFIXES))):
            return False
    return True


def _holds_given_class(model: "FileModel", attr: str, scope: "Scope | None") -> bool:
    """Whether ``self.<attr>`` only ever holds what a method of its class is given (``def set_model(self,
    model_cls): self.model = model_cls``): no module the class builds itself."""
    info = model.enclosing_class(scope) if scope is not None else None
    values = info.attributes.get(attr, []) if info is not None else []
    given = [(value, at) for value, at in values if not (isinstance(value, cst.Name) and value.value == "None")]
    return bool(given) and all(isinstance(value, cst.Name) and model.binding(value.value, at) is None
                               and param_of(value.value, at) is not None for value, at in given)
