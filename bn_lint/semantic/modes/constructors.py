"""What a project class's ``__init__`` does with the modules it is given (stores, deep-copies)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.evaluators.call_binding import bind
from bn_lint.semantic.file.classes import super_call
from bn_lint.semantic.file.model import stored_on_self
from bn_lint.semantic.project.definitions import inherited_definition
from bn_lint.semantic.syntax.walk import walk
from bn_lint.semantic.syntax.followed import entered
from .keys import _names_read

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel


# a module's methods that read it and leave its mode alone (`optim.SGD(model.parameters())`)
_READING_METHODS = frozenset({"parameters", "named_parameters", "state_dict", "modules", "named_modules", "children",
                              "named_children", "buffers", "named_buffers"})


def _deep_copies(function: cst.FunctionDef, model: "FileModel") -> dict[cst.Call, str]:
    """``copy.deepcopy(param)`` calls in ``function`` (of ``model``'s file), with the parameter each copies."""
    return {node: node.args[0].value.value for node in model.nodes_of(function.body, cst.Call)
            if len(node.args) == 1 and isinstance(node.args[0].value, cst.Name)
            and model.qualname(node.func) == "copy.deepcopy"}


def stored_by_init(model: "FileModel", info: "ClassInfo",
                   following: frozenset = frozenset()) -> tuple[cst.FunctionDef, dict[str, str]] | None:
    """The ``__init__`` a project class runs (its own, or inherited from a project base of any file) and
    param -> attribute for the parameters it only stores on ``self``, also through ``super().__init__(net,
    opt)`` into a base's ``__init__`` that stores them (bases however deep, each once: ``following``)."""
    following = entered(following, id(info.node))
    if following is None:
        return None
    init = info.methods.get("__init__")
    owner, owner_info = model, info
    if init is None:
        inherited = inherited_definition(model, info, "__init__")
        if inherited is None:
            return None
        owner, owner_info, init = inherited
    passed: dict[str, str] = {}
    for call in _super_inits(init):
        base = inherited_definition(owner, owner_info, "__init__")
        found = stored_by_init(base[0], base[1], following) if base is not None else None
        if found is None:
            continue
        names = [p.name.value for p in found[0].params.params[1:]] + [p.name.value for p in found[0].params.kwonly_params]
        for param, arg in bind(call, names).values.items():
            if isinstance(arg, cst.Name) and param in found[1]:
                passed.setdefault(arg.value, found[1][param])
    return init, _stored_params(init, passed)


def _super_inits(init: cst.FunctionDef) -> list[cst.Call]:
    """The ``super().__init__(...)`` statements of ``__init__``'s body."""
    found = []
    for line in init.body.body:
        small = line.body[0] if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 else None
        call = small.value if isinstance(small, cst.Expr) else None
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "__init__" \
                and super_call(call.func.value) and not any(a.star for a in call.args):
            found.append(call)
    return found


def _stored_params(init: cst.FunctionDef, passed: dict[str, str] | None = None) -> dict[str, str]:
    """param -> attribute, for the parameters ``__init__`` uses only in ``self.attr = param`` statements (or
    passes to a base's ``__init__`` that stores them: ``passed``)."""
    stored: dict[str, str] = {}
    assigned: list[str] = []
    for attribute, param in stored_on_self(init):  # `self.model = model.to(device)`: the same module
        stored.setdefault(param, attribute)
        assigned.append(param)
    for param, attribute in (passed or {}).items():
        stored.setdefault(param, attribute)
        assigned.append(param)
    read = list(_names_read(init.body))
    # `encoder.out_dim`: reading an attribute of the module (not calling a method of it) leaves it as it is
    called = {id(node.func) for node in walk(init.body) if isinstance(node, cst.Call)}
    peeked = [node.value.value for node in walk(init.body) if isinstance(node, cst.Attribute)
              and isinstance(node.value, cst.Name) and (id(node) not in called or node.attr.value in _READING_METHODS)]
    # `if model is None:`, `if type(model) == str:` test the argument and leave it as it is (`else: self.model =
    # model`); a test that calls a method of it does not
    tested = [name for node in walk(init.body) if isinstance(node, cst.If) and not any(
              isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute) for inner in walk(node.test))
              for name in _names_read(node.test)]
    # (and its reads on the branch where that test says it is no module: `getattr(models, model)` under
    # `if type(model) == str:`, `build(model)` under `if isinstance(model, str):`)
    tested += [name for node in walk(init.body) if isinstance(node, cst.If)
               for name in _names_read(node.body) if name == _no_module_test(node.test)]
    return {param: attribute for param, attribute in stored.items()
            if read.count(param) == assigned.count(param) + peeked.count(param) + tested.count(param)}


def _no_module_test(test: cst.BaseExpression) -> str | None:
    """The name a test holds true only when it names no module: ``x is None``, ``type(x) == str``,
    ``isinstance(x, str)``."""
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 \
            and isinstance(test.comparisons[0].operator, (cst.Is, cst.Equal)):
        left, right = test.left, test.comparisons[0].comparator
        if isinstance(left, cst.Name) and isinstance(right, cst.Name) and right.value == "None":
            return left.value
        if isinstance(left, cst.Call) and isinstance(left.func, cst.Name) and left.func.value == "type" \
                and len(left.args) == 1 and isinstance(left.args[0].value, cst.Name) \
                and isinstance(right, cst.Name) and right.value in ("str", "int", "dict"):
            return left.args[0].value.value
    if isinstance(test, cst.Call) and isinstance(test.func, cst.Name) and test.func.value == "isinstance" \
            and len(test.args) == 2 and isinstance(test.args[0].value, cst.Name) \
            and isinstance(test.args[1].value, cst.Name) and test.args[1].value.value in ("str", "int", "dict"):
        return test.args[0].value.value
    return None


def _is_dataclass_decorator(decorator: cst.BaseExpression, model: "FileModel") -> bool:
    func = decorator.func if isinstance(decorator, cst.Call) else decorator
    return model.qualname(func) == "dataclasses.dataclass"
