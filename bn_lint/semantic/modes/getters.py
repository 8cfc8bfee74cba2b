"""Getters: a method of a class whose body only gives back one of its attributes (``def get_module(self): return
self.model, self.example_inputs``); a name bound to what it returns holds that attribute."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.file.classes import module_forward
from .keys import key_of

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel


def _docstring(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Expr) \
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))


def got_from_self(model: "FileModel", func: cst.FunctionDef, value: cst.BaseExpression | None,
                   index: int | None) -> cst.Attribute | None:
    """``self.get_model()`` (``index`` None) or element ``index`` of ``self.get_module()``, a method of the class
    of ``func`` (of this file) whose body is one ``return`` of that ``self.attr`` (in a tuple, at ``index``): that
    attribute, which the name holds (the same module, in the same mode); None otherwise."""
    if not (isinstance(value, cst.Call) and not value.args and isinstance(value.func, cst.Attribute)
            and isinstance(value.func.value, cst.Name) and value.func.value.value == "self"):
        return None
    info = model.class_of_method(func)
    getter = info.methods.get(value.func.attr.value) if info is not None else None
    return _getter_attribute(model, getter, index)


def _getter_attribute(model: "FileModel", getter: cst.FunctionDef | None, index: int | None) -> cst.Attribute | None:
    """The ``self.attr`` that ``getter``'s one statement, ``return self.attr`` (or a tuple holding it at
    ``index``), gives back; None for any other body."""
    statements = [stmt for stmt in getter.body.body if not _docstring(stmt)] if getter is not None \
        and isinstance(getter.body, cst.IndentedBlock) else []
    if len(statements) != 1 or not isinstance(statements[0], cst.SimpleStatementLine) \
            or len(statements[0].body) != 1 or not isinstance(statements[0].body[0], cst.Return):
        return None  # (a getter that does nothing but give back the attribute)
    found: dict[str, cst.Attribute] = {}
    for returned in model.nodes_of(getter, cst.Return):
        element = returned.value
        if index is not None:
            items = element.elements if isinstance(element, cst.Tuple) else ()
            element = items[index].value if index < len(items) and not any(
                isinstance(item, cst.StarredElement) for item in items) else None
        attribute = key_of(element) if isinstance(element, cst.Attribute) else None
        if attribute is None or not attribute.startswith("self.") or attribute.count(".") != 1:
            return None
        found.setdefault(attribute, element)
    return next(iter(found.values())) if len(found) == 1 else None


def got_from_receiver(analysis, value: cst.BaseExpression | None) -> cst.Attribute | None:
    """``ssl_model.get_encoder()`` where the project method it runs (of any file, resolved as the flow resolves
    calls) is a getter of one ``self.attr``: ``ssl_model.attr`` (the same module, in the same mode); None
    otherwise (``self.get_x()`` of the enclosing class is ``got_from_self``'s)."""
    if not (isinstance(value, cst.Call) and not value.args and isinstance(value.func, cst.Attribute)
            and key_of(value.func.value) is not None and key_of(value.func.value) != "self"):
        return None
    target = analysis.callees.callee(value)
    attribute = _getter_attribute(target[0].model, target[1], None) if target is not None else None
    if attribute is None:
        return None
    return cst.Attribute(value=value.func.value, attr=cst.Name(attribute.attr.value))


def plain_class_method(analysis, call: cst.Call) -> tuple | None:
    """``m.train(niter=1)`` / ``m.eval()`` where ``m`` is an instance of a project class with no bases (not an
    ``nn.Module``: a trainer, a benchmark's holder of a model) that defines that method itself: ``(analysis,
    method)``, its own method, which the flow follows like any other, not a mode switch; None otherwise."""
    target = analysis.callees.callee(call)
    if target is None or not isinstance(call.func, cst.Attribute):
        return None
    other, method = target
    info = other.model.class_of_method(method)
    if info is None or info.methods.get(call.func.attr.value) is not method:
        return None
    if any(not (isinstance(base, cst.Name) and base.value == "object") for base in info.bases):
        return None
    return target


def plain_self_call(analysis, call: cst.Call, scope) -> tuple | bool | None:
    """``self(event)`` in a method of a plain class (not an ``nn.Module``, no ``forward``): its ``__call__``
    runs, not a forward of a module (a learner dispatching its callbacks). ``(analysis, __call__)`` when the
    class defines one, True when it defines none (the call runs no model of the flow), None for a module's
    ``self(x)`` or anything else."""
    if not (isinstance(call.func, cst.Name) and call.func.value == "self") or scope is None:
        return None
    model = analysis.model
    method = scope
    while method is not None and not isinstance(method.node, cst.FunctionDef):
        method = method.parent
    info = model.enclosing_class(method.parent) if method is not None and method.parent is not None else None
    if info is None or model.is_nn_module_class(info) or module_forward(info) \
            or any(not (isinstance(base, cst.Name) and base.value == "object") for base in info.bases):
        return None
    own = info.methods.get("__call__")
    return (analysis, own) if own is not None else True
