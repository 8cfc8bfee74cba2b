"""What registries of builders and factory classes build (RULES.md "Evidence": a model's class).

``MODELS[arch](...)`` over a dict literal or a decorator-filled registry, ``MODELS[arch].from_config(cfg)``,
and a factory class's classmethod (``ModelFactory.from_config(cfg)``) whose returns go through ``cls``: its
other classmethods, its own instances, the registry it keeps in a class attribute
(``cls.PRODUCTS[name](*args)``), with ``cls`` the class the call names, not the base that defines the method.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import libcst as cst

from bn_lint.semantic.evaluators.argparse_choices import argparse_choices
from bn_lint.semantic.file.classes import super_call
from bn_lint.semantic.nn_modules.kind import KindQueries, ModelKind, one_of
from bn_lint.semantic.nn_modules.library_kinds import picked_by_name
from bn_lint.semantic.syntax.constants import evaluate
from bn_lint.semantic.project.definitions import class_level_method, cls_class, inherited_definition, project_class
from bn_lint.semantic.project.registries import registered
from bn_lint.semantic.project.returns import class_param, moved, returns_own_instance
from bn_lint.semantic.syntax.walk import returned_values
from bn_lint.semantic.syntax.followed import entered

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel, Scope


def registry_kind(ask: KindQueries, model: "FileModel", name: cst.Name, scope: "Scope | None", following: frozenset,
                  constructor: str | None = None, item: int | None = None,
                  given: "Sequence[cst.Arg]" = ()) -> "ModelKind | None":
    """``MODELS[arch](...)`` with ``MODELS`` a dict literal of builders: BN when every entry builds a
    BatchNorm model, MAYBE when every entry builds some module and one at least builds BatchNorm. With ``constructor``
    (``MODELS[arch].from_config(cfg)``): every entry a class whose classmethod of that name returns ``cls(...)``.
    With ``item`` (``MODELS[arch][0](...)``): the builder at that place of each entry's tuple, called with the
    arguments ``given``."""
    bound = model.binding(name.value, scope)
    if bound is None and name.value in model.imports:  # (`from nets import MODELS`: the dict of its own file)
        found = model.definition(model.imports[name.value])
        if found is not None and isinstance(found[1], cst.Dict) and found[1].elements and not given:
            return _dict_kind(ask, found[0], [found[1]], found[2], following, constructor, item=item)
        return None
    if bound is None:
        return None
    if isinstance(bound[0], cst.Subscript) and isinstance(bound[0].value, cst.Name) and item is None \
            and bound[0].value.value != name.value:
        # (`stage_dict = model_dict[stage]; stage_dict[name](**args)`: one of the inner dicts of a dict of dicts)
        return registry_kind(ask, model, bound[0].value, bound[1], following, constructor, given=given)
    if isinstance(bound[0], cst.Dict) and bound[0].elements:
        return _dict_kind(ask, model, [bound[0]], bound[1], following, constructor, item=item, given=given)
    if item is not None:
        return None
    entries = registered(model, name.value, bound[0]) if bound[1] is model.module_scope else None
    if not entries:
        return None
    return _registry_entries({_entry_kind(ask, other, cst.Name(entry), other.module_scope, following, constructor)
                              for other, entry in entries})


def _dict_kind(ask: KindQueries, model: "FileModel", dicts: list[cst.BaseExpression], scope: "Scope | None", following: frozenset,
               constructor: str | None = None, args: "Sequence[cst.Arg]" = (), item: int | None = None,
               given: "Sequence[cst.Arg]" = (), inner: bool = False) -> "ModelKind | None":
    """What the entries of dict literals ``dicts`` build (``registry_kind``), given the call's unpacked ``args``
    (``*args, **kwargs``: what they pass is not shown); None for anything but dicts. ``inner``: one dict of a
    dict of dicts, whose kind (NO included) joins its siblings'."""
    kinds = set()
    for value in dicts:
        if not isinstance(value, cst.Dict):
            return None
        for element in value.elements:
            if not isinstance(element, cst.DictElement):
                return None
            entry = element.value
            if isinstance(entry, cst.Dict) and item is None and constructor is None:
                # (`{'feature_extraction': {'VGG': VGG, 'ResNet': ResNet}}`: a registry per stage, every builder)
                kinds.add(_dict_kind(ask, model, [entry], scope, following, args=args, given=given, inner=True))
                continue
            if item is not None:  # (`{'deeplab': (Head, SegModel)}`: the builder at that place of the tuple)
                if not isinstance(entry, (cst.Tuple, cst.List)) or item >= len(entry.elements):
                    return None
                entry = entry.elements[item].value
                kinds.add(ask.model_kind(model, cst.Call(func=entry, args=given), scope, following))
                continue
            kinds.add(_entry_kind(ask, model, entry, scope, following, constructor, args))
    return one_of(kinds) if inner else _registry_entries(kinds)


def _registry_entries(kinds: set) -> "ModelKind | None":
    """What a registry's entries build (``kind.one_of``), but never NO: an entry by a key not known here may be a
    module of any class."""
    kind = one_of(kinds)
    return None if kind is ModelKind.NO else kind


def _entry_kind(ask: KindQueries, model: "FileModel", entry: cst.BaseExpression, scope: "Scope | None", following: frozenset,
                constructor: str | None, args: "Sequence[cst.Arg]" = ()) -> "ModelKind | None":
    """What a registry entry builds: called (with the call's unpacked ``args``), or (``constructor``) through
    its alternative constructor."""
    if constructor is None:
        unpacked = [arg for arg in args if arg.star]
        return ask.model_kind(model, cst.Call(func=entry, args=unpacked), scope, following)
    found = project_class(model, entry)
    method = found[1].methods.get(constructor) if found is not None else None
    owner = found[0] if found is not None else None
    if found is not None and method is None:  # (`class ResNet18(_ResNeXt)`: the base's `from_config`)
        inherited = inherited_definition(found[0], found[1], constructor)
        owner, method = (inherited[0], inherited[2]) if inherited is not None else (None, None)
    if method is None or not returns_own_instance(owner, method):
        return None
    return ask.model_kind(model, cst.Call(func=entry), scope, following)


def class_method_kind(ask: KindQueries, model: "FileModel", receiver: cst.BaseExpression, owner: "FileModel", method: cst.FunctionDef,
                      following: frozenset) -> "ModelKind | None":
    """What ``Receiver.method(...)`` builds, ``method`` a static or class method (of ``owner``'s file) that the
    project class ``receiver`` names in ``model`` has or inherits: each return, with ``cls`` that class."""
    found = _receiving_class(model, receiver) if class_param(method) is not None else None
    if found is None:
        return ask.builder_kind(owner, method, following)
    return _returns_kind(ask, found, owner, method, following, set())


def instance_method_kind(ask: KindQueries, model: "FileModel", func: cst.BaseExpression, scope: "Scope | None",
                         following: frozenset) -> "ModelKind | None":
    """What ``Factory(cfg).create(n)`` or ``factory.create(n)`` builds, ``factory`` bound once to an instance of a
    plain project class (a builder object, no module): what the method returns."""
    if not isinstance(func, cst.Attribute) or func.attr.value.startswith("__"):
        return None
    receiver = func.value
    if isinstance(receiver, cst.Name):
        bound = model.binding(receiver.value, scope)
        receiver = bound[0] if bound is not None else None
    if not isinstance(receiver, cst.Call) or not isinstance(receiver.func, (cst.Name, cst.Attribute)):
        return None
    found = project_class(model, receiver.func)
    if found is None or found[0].is_nn_module_class(found[1]):
        return None
    method = _method_of(found, func.attr.value)
    return ask.builder_kind(method[0], method[1], following) if method is not None else None


def builds_through_factory(model: "FileModel", call: cst.Call) -> bool:
    """Whether ``call`` is a factory class's classmethod each of whose returns builds a new instance: ``cls(...)``,
    another such classmethod through ``cls``, or an entry of the class's registry (``cls.PRODUCTS[name](...)``
    of project classes). What it returns is then freshly built, in training mode."""
    static = class_level_method(model, call.func)
    receiver = _receiving_class(model, call.func.value) if static is not None else None
    return receiver is not None and class_param(static[1]) is not None and _constructs(receiver, *static, set())


def _constructs(receiver: tuple["FileModel", "ClassInfo"], owner: "FileModel", method: cst.FunctionDef,
                seen: set) -> bool:
    first = class_param(method)
    if method in seen or first is None:
        return False
    seen.add(method)
    returned = _returned(owner, method)
    for value in returned or ():
        form, name = _through(value, first)
        if form == "instance":
            continue
        found = _method_of(receiver, name) if form == "method" else None
        if found is not None and _constructs(receiver, *found, seen):
            continue
        found = _class_attribute(receiver, name) if form == "registry" else None
        if found is not None and isinstance(found[1], cst.Dict) and found[1].elements and all(
                isinstance(e, cst.DictElement) and project_class(found[0], e.value) is not None for e in found[1].elements):
            continue
        return False
    return bool(returned)


def _returned(owner: "FileModel", method: cst.FunctionDef) -> list[cst.BaseExpression] | None:
    """What each ``return`` of ``method`` gives, through a local name bound once (``model = cls(...); return
    model``) and device moves; None when one returns nothing."""
    scope = owner.scopes.get(method)
    values = []
    for value in returned_values(method):
        if value is None:
            return None
        value = moved(value)
        if isinstance(value, cst.Name) and scope is not None and len(scope.bindings.get(value.value) or []) == 1:
            value = moved(scope.bindings[value.value][0])
        values.append(value)
    return values or None


def _through(value: cst.BaseExpression, first: str | None) -> tuple[str | None, str]:
    """How a returned ``value`` goes through ``cls`` (the parameter ``first``): ``("instance", "")`` for
    ``cls(...)``, ``("method", name)`` for ``cls.name(...)``, ``("registry", attr)`` for ``cls.attr[key](...)``;
    ``(None, "")`` otherwise."""
    func = value.func if isinstance(value, cst.Call) else None
    if first is None:
        return None, ""
    if isinstance(func, cst.Name) and func.value == first:
        return "instance", ""
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == first:
        return "method", func.attr.value
    if isinstance(func, cst.Subscript) and isinstance(func.value, cst.Attribute) \
            and isinstance(func.value.value, cst.Name) and func.value.value.value == first:
        return "registry", func.value.attr.value
    return None, ""


def _receiving_class(model: "FileModel", receiver: cst.BaseExpression) -> tuple["FileModel", "ClassInfo"] | None:
    """The project class ``receiver`` names: a class, or ``cls`` in a classmethod (the class defining it)."""
    if isinstance(receiver, cst.Name):
        own = cls_class(model, receiver)
        if own is not None:
            return own
    return project_class(model, receiver) if isinstance(receiver, (cst.Name, cst.Attribute)) else None


def _returns_kind(ask: KindQueries, receiver: tuple["FileModel", "ClassInfo"], owner: "FileModel", method: cst.FunctionDef,
                  following: frozenset, seen: set) -> "ModelKind | None":
    if method in seen:
        return None
    seen.add(method)
    returned = _returned(owner, method)
    if returned is None:
        return None
    kinds = {_through_cls(ask, receiver, owner, method, value, following, seen) for value in returned}
    return kinds.pop() if len(kinds) == 1 else None


def _through_cls(ask: KindQueries, receiver: tuple["FileModel", "ClassInfo"], owner: "FileModel", method: cst.FunctionDef,
                 value: cst.BaseExpression, following: frozenset, seen: set) -> "ModelKind | None":
    """What one returned ``value`` builds, ``cls`` standing for the receiving class."""
    form, name = _through(value, class_param(method))
    if form == "instance":  # `cls(...)`: an instance
        return ask.class_kind(*receiver, following)
    if form == "method":  # `cls.create(name, *args)`: the receiver's (inherited) method
        found = _method_of(receiver, name)
        return _returns_kind(ask, receiver, found[0], found[1], following, seen) if found is not None else None
    if form == "registry":  # `cls.PRODUCTS[name](*args)`
        found = _class_attribute(receiver, name)
        return _dict_kind(ask, found[0], [found[1]], found[0].module_scope, following, args=value.args) \
            if found is not None else None
    return ask.model_kind(owner, value, owner.scope_of(value) or owner.scopes.get(method), following)


def _method_of(receiver: tuple["FileModel", "ClassInfo"], name: str) -> tuple["FileModel", cst.FunctionDef] | None:
    model, info = receiver
    if name in info.methods:
        return model, info.methods[name]
    inherited = inherited_definition(model, info, name)
    return (inherited[0], inherited[2]) if inherited is not None else None


def _class_attribute(receiver: tuple["FileModel", "ClassInfo"], attr: str,
                     following: frozenset = frozenset()) -> tuple["FileModel", cst.BaseExpression] | None:
    """The value the receiving class's body, or the nearest project base's, binds class attribute ``attr`` to (its
    one binding in the class scope); bases however deep, each once (``following``)."""
    model, info = receiver
    values = info.scope.bindings.get(attr)
    if values:
        return (model, values[0]) if len(values) == 1 and values[0] is not None else None
    following = entered(following, ("bases", id(info.node)))
    for base in info.bases if following is not None else ():
        found = project_class(model, base) if isinstance(base, (cst.Name, cst.Attribute)) else None
        value = _class_attribute(found, attr, following) if found is not None else None
        if value is not None:
            return value
    return None


def builders_given_to_base(ask: KindQueries, model: "FileModel", call: cst.Call, following: frozenset) -> "ModelKind | None":
    """``super(ResNet18, self).__init__(resnet18)`` into a base ``__init__`` (of any project file) that calls the
    parameter it gives (``self.resnet = resnet_builder(pretrained=True)``): what that builder builds; None for
    any other call, or when no argument is such a builder."""
    from bn_lint.semantic.evaluators.call_binding import bind, positional_names

    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "__init__" and super_call(func.value)):
        return None
    if not any(isinstance(arg.value, (cst.Name, cst.Attribute)) and not arg.star for arg in call.args):
        return None  # (`super().__init__()`, `super().__init__(cfg, 3)`: no builder given; no base looked up)
    where = model.scope_of(call)
    found = inherited_definition(model, model.enclosing_class(where), "__init__")
    if found is None:
        return None
    init = found[2]
    given = bind(call, positional_names(init, 1), model, where).values
    called = {node.func.value for node in found[0].nodes_of(init, cst.Call) if isinstance(node.func, cst.Name)}
    kinds = [ask.model_kind(model, cst.Call(func=arg), where, following)
             for param, arg in given.items() if param in called and isinstance(arg, (cst.Name, cst.Attribute))]
    return one_of(set(kinds)) if kinds else None


def getattr_factory_kind(ask: KindQueries, model: "FileModel", getter: cst.Call, scope: "Scope | None",
                         following: frozenset) -> "ModelKind | None":
    """``getattr(models, args.arch)(...)``, ``models`` an imported module (or ``torchvision.models``): the
    kind every name it may pick builds, the name a literal or an argparse option with literal ``choices``."""
    args = [a.value for a in getter.args]
    if len(args) != 2 or any(a.keyword or a.star for a in getter.args) or not isinstance(args[0], (cst.Name, cst.Attribute)):
        return None
    root = args[0]
    while isinstance(root, cst.Attribute):
        root = root.value
    zoo = model.qualname(args[0]) if isinstance(root, cst.Name) and model.imports.get(root.value) is not None \
        and model.binding(root.value, scope) is None else None
    if zoo is None:
        return None
    name = evaluate(args[1], model, scope)
    names = [name] if isinstance(name, str) else argparse_choices(model, args[1]) or _given_names(model, args[1], scope)
    if not names:  # `getattr(torchvision.models, args.arch)()`: one of them, some with BatchNorm
        return picked_by_name(model, zoo)
    kinds = {ask.model_kind(model, cst.Call(func=cst.Attribute(value=args[0], attr=cst.Name(n))), scope, following)
             for n in names if n.isidentifier()}
    return kinds.pop() if len(kinds) == 1 and len(names) > 0 else None


def _given_names(model: "FileModel", expr: cst.BaseExpression, scope: "Scope | None") -> list[str]:
    """For a parameter ``expr``: the strings the calls of its function in this file give it (its default where they
    leave it out), when every one gives a constant string; [] otherwise."""
    from bn_lint.semantic.evaluators.call_binding import given_values

    function = scope.node if scope is not None and scope.kind == "function" else None
    if not isinstance(expr, cst.Name) or not isinstance(function, cst.FunctionDef) or expr.value not in scope.params \
            or scope.bindings.get(expr.value):
        return []
    given = given_values(model, function, expr.value) or []
    values = [evaluate(g.value, model, g.scope) if g.value is not None else None for g in given]
    return values if values and all(isinstance(v, str) for v in values) else []
