"""Model expressions as keys (``self.model.backbone``) and the bits of syntax the mode flow reads."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable

import libcst as cst

from bn_lint.semantic.syntax.walk import children, walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import Scope


# Calls that return the model itself.
_PASSTHROUGH = frozenset({"to", "cuda", "cpu", "float", "half", "double", "bfloat16", "requires_grad_", "type",
                          "to_empty", "share_memory"})


def key_of(expr: cst.BaseExpression) -> str | None:
    """``model`` / ``self.model.backbone`` for plain names and attribute chains, with constant subscripts
    as parts of their own: ``nets['student']``, ``self.models[0].fc`` (a dict entry or a list item is a
    place a model is held, as an attribute is), a slice as what it slices (``net[:-1]``: some of its layers); the DDP unwrap ``model.module if distributed else model``
    (and ``getattr(model, "module", model)``) and ``model.to(device)`` are ``model``."""
    expr = one_module(expr)
    text = ""
    while type(expr) is cst.Attribute or type(expr) is cst.Subscript:  # (exact types: libcst's are slow ABCs)
        if type(expr) is cst.Attribute:
            text = "." + expr.attr.value + text
        elif len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Slice):
            pass  # `model.module[:-1]`: a slice of a Sequential runs some of its layers, in its mode
        else:
            index = subscript_key(expr) or _any_entry(expr)
            if index is None:
                return None
            text = index + text
        expr = expr.value
    if type(expr) is not cst.Name:
        return None
    return expr.value + text


def one_module(expr: cst.BaseExpression) -> cst.BaseExpression:
    """The module an expression that names one module either way names: ``model.module if c else model``,
    ``model if c else model``, ``getattr(model, "module", model)`` -> ``model`` (a wrapper's ``.module`` is the
    module it wraps, in the wrapper's mode); ``expr`` itself otherwise."""
    cls = type(expr)
    if cls is cst.Name or cls is cst.Attribute:
        return expr  # (the common case, decided without the tests below)
    if cls is cst.IfExp:
        body, orelse = _unwrapped_module(expr.body), _unwrapped_module(expr.orelse)
        if body is not None and body == orelse:
            return expr.orelse if key_of(expr.orelse) == body else expr.body
    elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "getattr" \
            and len(expr.args) == 3 and isinstance(expr.args[1].value, cst.SimpleString) \
            and expr.args[1].value.evaluated_value == "module":
        inner, default = key_of(expr.args[0].value), key_of(expr.args[2].value)
        if inner is not None and inner == default:
            return expr.args[2].value
    elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in _PASSTHROUGH:
        return _unwrap_passthrough(expr)  # (`model.cuda()` given to a helper is `model`)
    return expr


def _unwrapped_module(expr: cst.BaseExpression) -> str | None:
    """The key ``expr`` names, without a last ``.module`` (``model.module`` -> ``model``)."""
    key = key_of(expr)
    return key[: -len(".module")] if key is not None and key.endswith(".module") else key


def subscript_key(expr: cst.Subscript) -> str | None:
    """``['student']`` / ``[0]`` for a subscript by one constant (a plain word or a small int), else None."""
    if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
        return None
    index = expr.slice[0].slice.value
    if isinstance(index, cst.Integer) and index.value.isdigit():
        return f"[{int(index.value)}]"
    if isinstance(index, cst.SimpleString) and _PLAIN_WORD.fullmatch(str(index.evaluated_value)):
        return f"[{index.evaluated_value!r}]"
    return None


_PLAIN_WORD = re.compile(r"[\w\-]{1,64}")
ANY_ENTRY = "[*]"


def shown_key(model, key: str, node: cst.CSTNode) -> str:
    """``key`` as the code at ``node`` names it: ``self.nets[name]`` for ``self.nets[*]`` run there."""
    func = node.func if isinstance(node, cst.Call) else None
    return model.code(func) if ANY_ENTRY in key and func is not None and key_of(func) == key else key


def _any_entry(expr: cst.Subscript) -> str | None:
    """``[*]``, any entry, for a dict or list ``self`` holds subscripted by a variable (``self.nets[name]``, set
    in a loop over names): the entries stand together, each may be the one meant."""
    value = expr.value
    if len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index) and isinstance(expr.slice[0].slice.value, cst.Name) \
            and isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name) and value.value.value == "self":
        return ANY_ENTRY
    return None


def key_root(key: str) -> str:
    """The name an access path starts from: ``config`` for ``config['net'].fc``, ``self`` for ``self.model``."""
    return _ROOT.match(key).group(0)


_ROOT = re.compile(r"[^.\[]*")


def key_parent(key: str) -> str | None:
    """The key that holds ``key``: ``nets`` for ``nets['student']``, ``self.model`` for ``self.model.fc``."""
    cut = max(key.rfind("."), key.rfind("["))
    return key[:cut] if cut > 0 else None


def _getattr_of(call: cst.Call, *variables: str) -> str | None:
    """``model`` for ``getattr(model, name)`` with ``name`` one of ``variables``."""
    if isinstance(call.func, cst.Name) and call.func.value == "getattr" and len(call.args) == 2 \
            and not any(a.star or a.keyword for a in call.args) and isinstance(call.args[1].value, cst.Name) \
            and call.args[1].value.value in variables:
        return key_of(call.args[0].value)
    return None


def computed_lookup(expr: cst.BaseExpression | None) -> tuple[cst.BaseExpression, cst.BaseExpression] | None:
    """(owner, name) of ``getattr(owner, 'net' + name)``: a part looked up by a name the code computes from a
    variable (not a literal); None for anything else."""
    if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "getattr"
            and len(expr.args) == 2 and not any(a.star or a.keyword for a in expr.args)):
        return None
    name = expr.args[1].value
    if isinstance(name, cst.SimpleString) or not any(isinstance(n, cst.Name) for n in walk(name)):
        return None
    return expr.args[0].value, name


def looked_up_owner(expr: cst.BaseExpression | None) -> str | None:
    """``self`` for ``getattr(self, 'net' + name)``: the module a part is looked up in by a name the code computes
    (a loop over ``self.model_names``); which part is not known, so a mode set on it is taken for the owner's."""
    found = computed_lookup(expr)
    return key_of(found[0]) if found is not None else None


def receiver_key(expr: cst.BaseExpression) -> str | None:
    """``key_of`` through calls that return the model itself: ``model.to(device).cuda()`` -> ``model``."""
    while (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)
           and expr.func.attr.value in _PASSTHROUGH):
        expr = expr.func.value
    return key_of(expr)


def _names_read(node: cst.CSTNode) -> Iterable[str]:
    """The simple names in ``node`` (not attribute names, keywords, or nested functions and classes)."""
    stack = [node]
    while stack:
        current = stack.pop()
        kind = type(current).__name__
        if kind == "Name":
            yield current.value
        elif kind == "Attribute":
            stack.append(current.value)
        elif kind == "Arg":
            stack.append(current.value)
        elif kind not in ("FunctionDef", "ClassDef", "Lambda"):
            stack.extend(children(current))


def _declared_global(node: cst.CSTNode) -> set[str]:
    """The names a function's ``global`` statements declare (its nested functions' are theirs)."""
    out: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        kind = type(current).__name__
        if kind == "Global":
            out.update(item.name.value for item in current.names)
        elif kind not in ("FunctionDef", "ClassDef", "Lambda"):
            stack.extend(children(current))
    return out


def _container_elements(call: cst.Call) -> list[cst.BaseExpression]:
    """The modules ``nn.Sequential(a, b)`` / ``nn.ModuleList([a, b])`` is built from, as written."""
    elements = [arg.value for arg in call.args if not arg.keyword and not arg.star]
    if len(elements) == 1 and isinstance(elements[0], (cst.List, cst.Tuple)):
        elements = [element.value for element in elements[0].elements]
    return elements


def _unwrap_passthrough(value: cst.BaseExpression | None) -> cst.BaseExpression | None:
    """``Net().to(device).half()`` -> ``Net()``: calls that return the model itself."""
    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in _PASSTHROUGH:
        value = value.func.value
    return value


def key_expression(key: str) -> cst.BaseExpression:
    """``self.ema`` as an expression (the inverse of ``key_of``)."""
    if "[" in key:  # (an entry by a variable, `nets[*]`, as `nets[_]`: `key_of` names it so again)
        return cst.parse_expression(key.replace(ANY_ENTRY, "[_]"))
    names = key.split(".")
    expr: cst.BaseExpression = cst.Name(names[0])
    for name in names[1:]:
        expr = cst.Attribute(expr, cst.Name(name))
    return expr


def _in_function(scope: "Scope | None") -> bool:
    while scope is not None:
        if isinstance(scope.node, cst.FunctionDef):
            return True
        scope = scope.parent
    return False


def _called_name(func: cst.BaseExpression) -> str:
    """``f`` for ``f(...)`` and ``x.f(...)``; "" otherwise."""
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else ""


def plain_data_attribute(model, key: str, scope) -> bool:
    """``self.metric`` where the class around ``scope`` assigns that attribute only plain data (``self.metric = 0``,
    a string, a flag, a list of names): given to a call, it cannot carry a module's mode."""
    first, dot, attribute = key.partition(".")
    if first != "self" or not dot or "." in attribute or "[" in attribute:
        return False
    info = model.enclosing_class(scope)
    values = info.attributes.get(attribute, []) if info is not None else []
    return bool(values) and all(_plain_data(value) for value, _ in values)


def _plain_data(value: cst.BaseExpression) -> bool:
    if isinstance(value, (cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
        return True
    if isinstance(value, cst.Name):
        return value.value in ("True", "False", "None")
    if isinstance(value, cst.UnaryOperation):
        return isinstance(value.expression, (cst.Integer, cst.Float))
    if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
        return all(not isinstance(e, cst.StarredElement) and _plain_data(e.value) for e in value.elements)
    return False
