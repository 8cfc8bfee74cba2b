"""Which expressions hold a BatchNorm-bearing ``nn.Module``.

``ModelKind.BN``: the code shows a BatchNorm inside (a project class that
builds one, transitively; a torchvision/timm factory known to use BatchNorm).
``ModelKind.MAYBE``: a model of unknown content (``torch.load``, a hub model, a
project class built from parts bn-lint cannot see). ``ModelKind.NO``: the code
shows no BatchNorm. ``None``: not a model as far as the code shows.

Here the answer is worked out (``model_kind``, ``class_kind``: one recursion, memoized
per question, :mod:`.kind_memo`); what it draws on lives beside it: :mod:`.library_models` (knowledge of
library builders), :mod:`.project_defs` (the project function or class a name refers
to), :mod:`.registries`, :mod:`.pass_through`, :mod:`.norm_choice`,
:mod:`.container_members`; :mod:`.train_overrides` answers a question of its own.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import libcst as cst

from bn_lint.semantic.knowledge import layers as layer_table
from bn_lint.semantic.evaluators.call_branches import dead_suites, flag_params, in_dead_suite
from bn_lint.semantic.nn_modules.container_members import list_contents
from bn_lint.semantic.knowledge.library_models import (  # noqa: F401  (re-exported: other modules import them from here)
    BN_ARCHITECTURE_NAMES, BN_FACTORY_PREFIXES, DETECTORS, FROZEN_BN_DETECTION, LIBRARY_BN_PARTS, MODEL_ZOOS,
    LIBRARY_MODULES_WITHOUT_BN, PYG_MLP, TORCH_LOSS, TORCHVISION_WRAPPING, UNKNOWN_MODEL_SOURCES,
    library_part_without_bn, pyg_mlp_batchnorm, timm_without_bn,
)
from bn_lint.semantic.knowledge.wrappers import HOLDS_MODULE
from bn_lint.semantic.nn_modules.norm_choice import (
    default_layer, functional_batchnorm, known_other_norm, other_norm, parameter_default, preset_replaces_norm,
    replaced_norm_kind, replaces_default_norm,
)
from bn_lint.semantic.file.names import referenced_aliases
from bn_lint.semantic.file.not_indexed import NOT_INDEXED
from bn_lint.semantic.project.pass_through import passed_through, swaps_batchnorm, tuple_element
from bn_lint.semantic.project.returns import class_of_cls_call, moved
from bn_lint.semantic.project.definitions import (
    builds_own_class, class_level_method, element_builder, given_classes,
    imported_name, may_build_batchnorm, plain_imported_class, project_builder, project_class,
)
from bn_lint.semantic.nn_modules.factory_kinds import (
    builders_given_to_base, class_method_kind, getattr_factory_kind, instance_method_kind, registry_kind)
from bn_lint.semantic.nn_modules.kind import KindQueries, ModelKind, one_of
from bn_lint.semantic.nn_modules.kind_memo import cut_short, memoized
from bn_lint.semantic.nn_modules.library_kinds import (
    absent_bn_architecture, evaluated_name_kind, foreign_base, framework_constructor_kind, picked_by_name,
    pyg_mlp_kind, pyg_mlp_without_norm)
from bn_lint.semantic.nn_modules.plugin_classes import plugin_classes
from bn_lint.semantic.nn_modules.run_time_classes import evaluated_construction, located_class, picks_unshown_class
from bn_lint.semantic.project.builds_batchnorm import project_builds_batchnorm
from bn_lint.semantic.nn_modules.wrapped_parts import wraps_unknown
from bn_lint.semantic.project.train_overrides import overrides_train, train_sets_modes  # noqa: F401  (re-exported)
from bn_lint.semantic.syntax.followed import entered, node_key
from bn_lint.semantic.syntax.walk import picked_values, returned_values, walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel, Scope

_imported_name = imported_name  # (the name modes/callees.py imports it by)


_NAMES_ACTIVE: dict[tuple[int, str, int], set[int]] = {}  # (file, name, scope) -> its values being worked out


def model_kind(model: "FileModel", expr: cst.BaseExpression, scope: "Scope | None", following: frozenset = frozenset()) -> ModelKind | None:
    """What ``expr`` holds, as far as the code shows."""
    kind = _expression_kind(model, expr, scope, following)
    if kind is None and isinstance(expr, cst.Call) :
        located = located_class(model, expr, scope)  # `get_class("pkg.models.Net")()`: that project class
        if located is not None:
            return model_kind(located[0], cst.Call(func=cst.Name(located[1]), args=expr.args),
                              located[0].module_scope, following)
        picked = plugin_classes(model, expr.func, scope)  # `import_module("models." + name).MainModel(**kw)`
        if picked:
            return _combine([class_kind(owner, info, following) for owner, info in picked])
        if picks_unshown_class(model, expr, scope) and project_builds_batchnorm(model):
            return ModelKind.MAYBE  # `MODELS[name](**cfg)` of a registry filled at run time: of unknown class
    return kind


def _expression_kind(model: "FileModel", expr: cst.BaseExpression, scope: "Scope | None", following: frozenset) -> ModelKind | None:
    following = entered(following, node_key(model, "kind", expr, scope))
    if following is None:  # (a value that needs its own kind: not known on this way)
        cut_short()
        return None
    if isinstance(expr, cst.Name):
        bound = model.binding(expr.value, scope)
        if bound is not None:
            return model_kind(model, bound[0], bound[1], following)
        assigned = model.bindings(expr.value, scope)
        if assigned is None:
            unpacked = model.unpacked(expr.value, scope)
            return element_kind(model, *unpacked, following) if unpacked is not None else None
        # assigned more than once (`if arch == "r18": net = resnet18() else: net = resnet50()`): the kind
        # every assignment agrees on, MAYBE where one holds BatchNorm and the others are modules (a BatchNorm
        # model on one visible path); one that reuses the name (`net = net.to(device)`) passes it through
        values, where = assigned
        if any(swaps_batchnorm(model, value) for value in values):
            return None  # `net = strip_batchnorm(net)`: what it holds now, the code does not show
        # (`modules = list(net.children()); net = nn.Sequential(*modules)`: read while one of its values is being
        # worked out, the name holds what its other assignments give it)
        key = (id(model), expr.value, id(where))
        reading = _NAMES_ACTIVE.setdefault(key, set())
        # (`model_ft = None` first, a placeholder for the branches that build it, holds no module)
        values = [value for value in values if id(value) not in reading and not _mentions(value, expr.value)
                  and not (isinstance(value, cst.Name) and value.value == "None")]
        kinds = set()
        try:
            for value in values:
                reading.add(id(value))
                try:
                    kinds.add(model_kind(model, value, where, following))
                finally:
                    reading.discard(id(value))
        finally:
            if not reading:
                _NAMES_ACTIVE.pop(key, None)
        return one_of(kinds)
    if isinstance(expr, cst.Attribute) and expr.attr.value == "module":  # `ddp_model.module`: what DDP wraps
        return model_kind(model, expr.value, scope, following)
    if isinstance(expr, cst.Attribute) and expr.attr.value in LIBRARY_BN_PARTS:
        # `mobilenet_v2(weights=...).features`, `resnet.layer4`: the BatchNorm-bearing body of a library model
        base = expr.value
        if isinstance(base, cst.Name):
            bound = model.binding(base.value, scope)
            base = bound[0] if bound is not None else base
        base = moved(base)
        qn = model.qualname(base.func) if isinstance(base, cst.Call) else None
        if qn and qn.startswith(("torchvision.models.", "timm.")) and not LIBRARY_MODULES_WITHOUT_BN.match(qn) \
                and not DETECTORS & {qn} and model_kind(model, base, scope, following) is ModelKind.BN:
            return ModelKind.BN
        return None
    if isinstance(expr, cst.IfExp):  # `resnet56() if deep else resnet20()`: the kind both branches agree on
        kinds = {model_kind(model, branch, scope, following) for branch in (expr.body, expr.orelse)}
        return kinds.pop() if len(kinds) == 1 else None
    if isinstance(expr, cst.Call) and (written := evaluated_construction(model, expr, scope)) is not None:
        return model_kind(model, written, scope, following)  # `eval('models.{}()'.format(name))`
    if isinstance(expr, cst.Call):
        # `model.to(device)`, `model.cuda()`, `model.eval()` return the model itself
        if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("to", "cuda", "cpu", "eval", "train", "float", "half", "double"):
            inner = model_kind(model, expr.func.value, scope, following)
            if inner is not None:
                return inner
        func = expr.func
        if isinstance(func, cst.Subscript) and isinstance(func.value, cst.Name):
            return registry_kind(_QUERIES, model, func.value, scope, following)
        if isinstance(func, cst.Subscript) and isinstance(func.value, cst.Subscript) \
                and isinstance(func.value.value, cst.Name) and len(func.slice) == 1 \
                and isinstance(func.slice[0].slice, cst.Index) and isinstance(func.slice[0].slice.value, cst.Integer):
            # `model_map[name][0](...)`: the builder at that place of each entry of a dict of tuples
            item = int(func.slice[0].slice.value.value)
            return registry_kind(_QUERIES, model, func.value.value, scope, following, item=item, given=expr.args)
        if isinstance(func, cst.Subscript) and isinstance(func.value, cst.Subscript) \
                and isinstance(func.value.value, cst.Name):
            # `model_dict[stage][name](**kwargs)`: the builders of a dict of dicts, every inner entry
            return registry_kind(_QUERIES, model, func.value.value, scope, following)
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Subscript) and isinstance(func.value.value, cst.Name):
            # `MODELS[name].from_config(cfg)`: the classes the registry holds, built by their alternative constructor
            return registry_kind(_QUERIES, model, func.value.value, scope, following, func.attr.value)
        if isinstance(func, cst.Subscript) and isinstance(func.value, cst.Attribute) and func.value.attr.value == "__dict__":
            # `models.__dict__[args.arch]()` (the ImageNet example), `pretrainedmodels.__dict__[arch](...)`: a model
            # zoo's builders, some with BatchNorm; a project module's classes picked by a run-time name: of unknown class
            index = func.slice[0].slice if len(func.slice) == 1 else None
            named = getattr_factory_kind(_QUERIES, model, cst.Call(func=cst.Name("getattr"), args=[
                cst.Arg(func.value.value), cst.Arg(index.value)]), scope, following) \
                if isinstance(index, cst.Index) and isinstance(func.value.value, (cst.Name, cst.Attribute)) else None
            return named or picked_by_name(model, model.qualname(func.value.value) or "")  # (a name it evaluates: as getattr)
        if isinstance(func, cst.Call) and isinstance(func.func, cst.Name) and func.func.value == "getattr" \
                and model.binding("getattr", scope) is None:
            return getattr_factory_kind(_QUERIES, model, func, scope, following)
        if isinstance(func, cst.Call):
            # `get_speaker_model(name)(**args)`: a project function that returns a class (or `getattr(module, name)`)
            found = element_builder(model, func.func, scope) if isinstance(func.func, (cst.Name, cst.Attribute)) else None
            returns = [one for r in (returned_values(found[1]) if found is not None else []) for one in picked_values(r)]
            if returns and all(isinstance(r, (cst.Name, cst.Attribute, cst.Call)) for r in returns):
                return one_of([model_kind(found[0], cst.Call(func=r, args=expr.args), found[0].scope_of(r),
                                                following) for r in returns])
        if isinstance(func, cst.Name) and func.value not in model.functions:
            bound = model.binding(func.value, scope)
            if bound is not None and isinstance(bound[0], cst.Call) and isinstance(bound[0].func, (cst.Name, cst.Attribute)):
                found = element_builder(model, bound[0].func, bound[1])
                returns = [one for r in (returned_values(found[1]) if found is not None else []) for one in picked_values(r)]
                if returns and all(isinstance(r, (cst.Name, cst.Attribute)) for r in returns):
                    # `model_func = load_model(name); model_func()`: what calling a class the factory gives builds
                    return one_of([model_kind(found[0], cst.Call(func=r, args=expr.args), found[0].scope_of(r),
                                              following) for r in returns])
        if isinstance(func, cst.Call) and isinstance(func.func, cst.Name) and func.func.value == "eval" \
                and model.binding("eval", scope) is None and func.args and not isinstance(func.args[0].value, cst.SimpleString):
            # `eval(CONFIG.MODEL.NAME)(n_classes=21)`: one of the classes the module's namespace holds
            return evaluated_name_kind(_QUERIES, model)
        if isinstance(func, cst.Call) and func.args and model.qualname(func.func) == "functools.partial":
            # `partial(EfficientNet, 1.0, 1.1)(...)`: what the wrapped class or builder gives
            return model_kind(model, cst.Call(func=func.args[0].value), scope, following)
        if isinstance(func, cst.Name) and func.value in model.functions and model.binding(func.value, scope) is None:
            given = passed_through(model, model.functions[func.value], expr)
            if given is not None:  # `model = load_checkpoint(model, path)` gives back what it was given
                return model_kind(model, given, scope, following)
            function = model.functions[func.value]
            return _builder_kind(model, function, following, dead_suites(model, function, expr, model, scope))
        own = class_of_cls_call(model, expr, scope)
        if own is not None:  # `cls(**hparams)` in a classmethod: an instance of its class
            return model_kind(model, cst.Call(func=cst.Name(own.name), args=expr.args), model.module_scope, following)
        if isinstance(func, cst.Name) and scope is not None and scope.kind == "function" and func.value in scope.params:
            # `model = model_class(**kwargs)`: what the classes its callers give it build
            kinds = [model_kind(model, cst.Call(func=value, args=expr.args), scope, following)
                     for value in given_classes(model, scope.node, func.value)]
            return _combine(kinds) if kinds else None
        aliased = referenced_aliases(model, func, scope)
        if aliased:  # `modelfn = models.A` / `else: modelfn = models.B`, then `modelfn(...)`: what each builds
            values, where = aliased
            return _combine([model_kind(model, cst.Call(func=value, args=expr.args), where, following) for value in values])
        aliased = referenced_aliases(model, func.value, scope) if isinstance(func, cst.Attribute) else None
        if aliased:  # `cls = A if multi else B; cls.load_from_file(path)`: an alternative constructor of each
            values, where = aliased
            return _combine([model_kind(model, cst.Call(func=cst.Attribute(value, func.attr), args=expr.args), where,
                                        following) for value in values])
        built = framework_constructor_kind(_QUERIES, model, func, scope, following)
        if built is not None:  # `FGN.load_from_checkpoint(path)`: an FGN
            return built
        static = class_level_method(model, func)
        if static is not None and builds_own_class(model, func):
            return model_kind(model, cst.Call(func=func.value), scope, following)  # Net.from_config(cfg): a Net
        if static is not None:  # `gan_factory.generator_factory(kind)`, `ModelFactory.from_config(cfg)`
            given = passed_through(*static, expr)
            if given is not None:  # `ModelUtils.freeze(Net())` gives back what it was given
                return model_kind(model, given, scope, following)
            return class_method_kind(_QUERIES, model, func.value, *static, following)
        builder = project_builder(model, func)
        if builder is not None:
            given = passed_through(builder[0], builder[1], expr)
            if given is not None:
                return model_kind(model, given, scope, following)
            return _builder_kind(builder[0], builder[1], following, dead_suites(*builder, expr, model, scope))
        if (built := instance_method_kind(_QUERIES, model, func, scope, following)) is not None:  # `Factory(d).create(n)`
            return built
        qn = model.qualname(expr.func)
        if qn:
            if qn in HOLDS_MODULE | TORCHVISION_WRAPPING | DETECTORS and expr.args and not expr.args[0].keyword:
                return model_kind(model, expr.args[0].value, scope, following)  # `DDP(net)`: what it wraps
            if qn in UNKNOWN_MODEL_SOURCES:
                if qn == "copy.deepcopy" and expr.args:
                    return model_kind(model, expr.args[0].value, scope, following) or ModelKind.MAYBE
                return ModelKind.MAYBE
            if PYG_MLP.match(qn):
                return pyg_mlp_kind(expr)
            if LIBRARY_MODULES_WITHOUT_BN.match(qn) or TORCH_LOSS.match(qn):  # (a loss module: `nn.CrossEntropyLoss()`)
                if qn.startswith("torch_geometric.") and any(a.keyword is not None and a.keyword.value == "norm"
                                                             for a in expr.args):
                    return ModelKind.MAYBE  # `GCN(..., norm="batch_norm")`
                return ModelKind.NO
            if FROZEN_BN_DETECTION.match(qn):
                return ModelKind.MAYBE
            if timm_without_bn(model, qn, expr, scope):
                return ModelKind.NO
            if qn.startswith(BN_FACTORY_PREFIXES):
                if known_other_norm(model, expr, scope):
                    return ModelKind.NO  # `resnet18(norm_layer=nn.InstanceNorm2d)`
                return None if other_norm(model, expr, scope) else ModelKind.BN
            spec = layer_table.lookup(qn)
            if spec is not None:
                if spec.is_batchnorm:
                    return ModelKind.BN
                if spec.kind == "container":
                    return _calls_kind(model, [expr, *list_contents(model, expr, scope)], scope)
                return ModelKind.NO
        is_class, kind = _project_class_kind(model, expr.func, frozenset())
        if kind is ModelKind.BN:
            kind = _built_kind(model, expr, scope, following)
        if is_class:
            if kind is not None and kind is not ModelKind.BN and _bn_argument(model, expr, scope, following):
                return ModelKind.BN  # `VGG(make_layers(cfg, batch_norm=True))`: built around a BatchNorm part
            if kind is ModelKind.NO and any(arg.star == "*" for arg in expr.args):
                return ModelKind.MAYBE  # `Ensemble(*load_models())`: built around parts the code does not show
            if kind is ModelKind.NO and wraps_unknown(model, expr, scope, lambda a: model_kind(model, a, scope, following)):
                return ModelKind.MAYBE  # `Wrapper(encoder)`, `self.encoder(x)` in it: holds what it is given
            if kind is ModelKind.BN and replaces_default_norm(model, expr, scope):
                # `Net(norm_layer=nn.GroupNorm)`: the BatchNorm default is not what it builds (or may not be:
                # `norm_layer=get_norm_layer(opt.norm)`)
                return replaced_norm_kind(model, expr, scope)
            return kind
    return None


def _built_kind(model: "FileModel", call: cst.Call, scope: "Scope | None", following: frozenset) -> ModelKind | None:
    """What ``call`` builds, a project class with BatchNorm: without the suites of its ``__init__`` the call
    cannot run (``Net(use_bn=False)`` with ``if use_bn: self.bn = nn.BatchNorm2d(c)``)."""
    if pyg_mlp_without_norm(model, call):
        return ModelKind.NO
    if _indexed_fact(model, call.func, "flags") == []:
        return ModelKind.BN  # (no `if flag:` in its `__init__`: known without parsing its file)
    found = project_class(model, call.func)
    init = found[1].methods.get("__init__") if found is not None else None
    if found is not None:
        found[0].index_facts["flags", found[1].name] = flag_params(found[0], init) if init is not None else []
    dead = dead_suites(found[0], init, call, model, scope, method=True) if init is not None else frozenset()
    if not dead:
        return ModelKind.BN
    other, info = found

    def compute() -> ModelKind | None:
        _DEAD.append(dead)
        try:
            kinds = [_calls_kind(other, [info.node], info.scope, following)]
        finally:
            _DEAD.pop()
        for base in info.bases:
            _add_class_kind(other, base, following, kinds)
        return _combine(kinds)

    return memoized(other, "built", (info.name, dead), compute, following)


def element_kind(model: "FileModel", call: cst.Call, index: int, scope: "Scope | None", following: frozenset = frozenset()) -> ModelKind | None:
    """What element ``index`` of the tuple a project function returns holds (``model, tf = build()``),
    when every ``return`` gives a tuple and they agree on that element's kind."""
    found = element_builder(model, call.func, scope)
    if found is None:
        return None
    other, function = found
    given = passed_through(other, function, call, index)
    if given is not None:  # `epoch, model, opt = resume(path, epoch, model, opt)`: what it was given
        return model_kind(model, given, scope, following)
    kinds = set()
    for value in returned_values(function):
        element = tuple_element(value, index)
        if element is None:
            return None
        kinds.add(model_kind(other, element, other.scope_of(element), following))
    return kinds.pop() if len(kinds) == 1 else None


def _bn_argument(model: "FileModel", call: cst.Call, scope: "Scope | None", following: frozenset) -> bool:
    """Whether an argument of ``call`` is a module the code shows to carry BatchNorm."""
    return any(not arg.star and model_kind(model, arg.value, scope, following) is ModelKind.BN for arg in call.args)


def class_kind(model: "FileModel", info: "ClassInfo", following: frozenset = frozenset()) -> ModelKind | None:
    """BN if the class (or a base, or a part it builds) constructs a BatchNorm; None if not an nn.Module."""

    def compute() -> ModelKind | None:
        if any(PYG_MLP.match(model.qualname(base) or "") for base in info.bases):
            return ModelKind.BN  # `class SharedMLP(MLP)` of PyG: its layers, BatchNorm by default
        module = model.is_nn_module_class(info)
        if not module and not any(_names_project_class(model, b) for b in info.bases):
            return None
        kinds: list[ModelKind | None] = []
        foreign = False  # a base from another library, which may be an nn.Module
        for base in info.bases:
            if ModelKind.BN in kinds:
                break  # BN outranks every other answer: the other bases need not be read (or parsed)
            if not _add_class_kind(model, base, following, kinds):
                foreign = foreign or foreign_base(model, base)
        if not module and not foreign and all(kind is None for kind in kinds):
            return None  # no base is (or may be) an nn.Module: neither is this class (its body is not read)
        if ModelKind.BN not in kinds:
            kinds.append(_calls_kind(model, [info.node], info.scope, following))
        if ModelKind.BN not in kinds:
            kinds.append(_mixin_kind(model, info, following))
        return _combine(kinds)

    return memoized(model, "class", info.name, compute, following)


def _mixin_kind(model: "FileModel", info: "ClassInfo", following: frozenset) -> ModelKind | None:
    """What the plain (not module) project bases build whose methods the class calls on ``self`` and does not
    define: ``class Yolo(nn.Module, CNNBuilder)`` whose ``__init__`` runs ``self._construct(cfg)`` of the mixin."""
    inherited = {node.func.attr.value for node in model.nodes_of(info.node, cst.Call)
                 if isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Name)
                 and node.func.value.value == "self"} - set(info.methods)
    kinds: list[ModelKind | None] = []
    for base in info.bases if inherited else ():
        found = project_class(model, base) if isinstance(base, (cst.Name, cst.Attribute)) else None
        if found is not None and inherited & set(found[1].methods) and class_kind(*found, following) is None:
            kinds.append(_calls_kind(found[0], [found[1].node], found[1].scope, following))
    return _combine(kinds)


_DEAD: list[frozenset] = []  # the suites of the builders being asked about that their calls cannot run


def _calls_kind(model: "FileModel", roots: list[cst.CSTNode], scope: "Scope | None", following: frozenset = frozenset()) -> ModelKind:
    """BN if any call under ``roots`` builds a BatchNorm (directly, via a local helper, project class or
    registry of them)."""
    kinds: list[ModelKind | None] = []
    for root in roots:
        for node in model.nodes_of(root, cst.Call):
            if _DEAD and any(in_dead_suite(model, node, dead) for dead in _DEAD):
                continue  # (in a branch the call being asked about cannot run)
            found = model.layer_class(node.func, model.scope_of(node)) or default_layer(model, node.func, node)
            if found is not None:
                if found[0].is_batchnorm:
                    return ModelKind.BN
                continue
            if functional_batchnorm(model, node):
                return ModelKind.BN  # `F.batch_norm(x, ..., self.training)` in the module's own code
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("children", "modules") \
                    and isinstance(node.func.value, cst.Name):
                # `nn.Sequential(*list(resnet.children())[:-2])`: layers of that model
                kinds.append(model_kind(model, node.func.value, model.scope_of(node), following))
                if kinds[-1] is ModelKind.BN:
                    return ModelKind.BN
                continue
            if isinstance(node.func, cst.Subscript) and isinstance(node.func.value, cst.Attribute) \
                    and node.func.value.attr.value == "__dict__":
                kinds.append(model_kind(model, node, model.scope_of(node), following))  # `models.__dict__[arch](...)`
                if kinds[-1] is ModelKind.BN:
                    return ModelKind.BN
                continue
            if isinstance(node.func, cst.Call) and isinstance(node.func.func, cst.Name) and node.func.func.value == "getattr" \
                    and model.binding("getattr", model.scope_of(node)) is None:
                kinds.append(getattr_factory_kind(_QUERIES, model, node.func, model.scope_of(node), following))  # a zoo's model
                if kinds[-1] is ModelKind.BN:
                    return ModelKind.BN
                continue
            where = model.scope_of(node)
            picked = plugin_classes(model, node.func, where)
            if picked:  # (`self.__S__ = import_module("models." + name).MainModel(**kwargs)`)
                kinds.append(_combine([class_kind(owner, info, following) for owner, info in picked]))
                if kinds[-1] is ModelKind.BN:
                    return ModelKind.BN
                continue
            if isinstance(node.func, cst.Name) and where is not None \
                    and where.kind == "function" and node.func.value in where.params:
                # `self.resnet = resnet_builder(pretrained=True)`: what the builders its callers give it build (a
                # parameter they give no builder, `act(x)`, says nothing)
                built = model_kind(model, node, where, following)
                if built is ModelKind.BN:
                    return ModelKind.BN
                if built is not None:
                    kinds.append(built)
                continue
            given = builders_given_to_base(_QUERIES, model, node, following)
            if given is not None:  # `super().__init__(resnet18)` into a base that calls the builder it is given
                kinds.append(given)
                if given is ModelKind.BN:
                    return ModelKind.BN
            qn = model.qualname(node.func)
            if qn and PYG_MLP.match(qn):
                kinds.append(pyg_mlp_kind(node))
                if kinds[-1] is ModelKind.BN:
                    return ModelKind.BN
                continue
            if qn and qn.startswith(BN_FACTORY_PREFIXES) and not LIBRARY_MODULES_WITHOUT_BN.match(qn):
                if qn in TORCHVISION_WRAPPING or other_norm(model, node, model.scope_of(node)):
                    continue  # (a wrapped model is built by a call of its own)
                if FROZEN_BN_DETECTION.match(qn):
                    kinds.append(ModelKind.MAYBE)
                    continue
                return ModelKind.BN
            registry = node.func.value if isinstance(node.func, cst.Subscript) else None
            if isinstance(registry, cst.Subscript) and not isinstance(registry.slice[0].slice, cst.Index) \
                    or isinstance(registry, cst.Subscript) and not isinstance(registry.slice[0].slice.value, cst.Integer):
                registry = registry.value  # (`model_dict[stage][name](**kwargs)`: a dict of dicts of builders)
            if isinstance(registry, cst.Name):
                kinds.append(registry_kind(_QUERIES, model, registry, model.scope_of(node), following))  # BACKBONES[name]()
            if qn == "functools.partial" and node.args and isinstance(node.args[0].value, cst.Name):
                # `block = partial(conv_bn_relu, norm=norm)`, then `block(3, 32)`: what the helper builds
                target = model.local_function(node.args[0].value.value, model.scope_of(node))
                if target is not None and target not in roots and not preset_replaces_norm(model, node, target):
                    kinds.append(memoized(model, "helper", target, lambda h=target: _calls_kind(model, [h], None, following), following))
            helper = model.local_function(node.func.value, model.scope_of(node)) if isinstance(node.func, cst.Name) else None
            if helper is not None:
                if helper not in roots:
                    kinds.append(memoized(model, "helper", helper, lambda h=helper: _calls_kind(model, [h], None, following), following))
            elif isinstance(node.func, cst.Name) and may_build_batchnorm(model, node.func):
                builder = project_builder(model, node.func)  # `tower(dims)` imported from the project's blocks.py
                if builder is not None:
                    kinds.append(_builder_kind(*builder, following, dead_suites(*builder, node, model, model.scope_of(node))))
            if replaces_default_norm(model, node, model.scope_of(node)):
                # `Backbone(norm_layer=FrozenBatchNorm2d)`: not the BatchNorm it defaults to (or may not be)
                kinds.append(replaced_norm_kind(model, node, model.scope_of(node)))
            elif pyg_mlp_without_norm(model, node):
                kinds.append(ModelKind.NO)
            elif not _add_class_kind(model, node.func, following, kinds):
                # `block(64, 128)` / `self.block(64, 128)` with `block=BasicBlock` a parameter's default
                default = parameter_default(model, node.func, node)
                if default is not None and isinstance(default[0], (cst.Name, cst.Attribute)):
                    _add_class_kind(model, default[0], following, kinds)
            if ModelKind.BN in kinds[-2:]:  # (a helper's kind, then a class's)
                return ModelKind.BN  # as a BatchNorm layer would: nothing after it can change the answer
    return _combine(kinds) or ModelKind.NO


def _combine(kinds: list[ModelKind | None]) -> ModelKind | None:
    if ModelKind.BN in kinds:
        return ModelKind.BN
    if ModelKind.MAYBE in kinds:
        return ModelKind.MAYBE
    if ModelKind.NO in kinds:
        return ModelKind.NO
    return None


def _builder_kind(model: "FileModel", function: cst.FunctionDef, following: frozenset,
                  dead: frozenset[cst.CSTNode] = frozenset()) -> ModelKind | None:
    """What a local builder (``def build(): return nn.Sequential(...)``) returns: the kind every return agrees on,
    MAYBE where a return holds BatchNorm and the others are modules without it (``one_of``); for a call that cannot run the ``dead`` suites (``if batch_norm:`` with ``batch_norm=False``), without them."""

    def compute() -> ModelKind | None:
        inner = model.scopes.get(function)
        returns = [r for r in returned_values(function) if r is None or not in_dead_suite(model, r, dead)]
        if not returns or any(r is None for r in returns):
            return None
        if dead:
            _DEAD.append(dead)
        try:
            kinds = {model_kind(model, r, model.scope_of(r) or inner, following) for r in returns}
        finally:
            if dead:
                _DEAD.pop()
        return one_of(kinds)  # (`if batch_norm:` undecided here: BatchNorm on one of its paths, MAYBE)

    return memoized(model, "builder", (function, dead) if dead else function, compute, following)


# ---------------------------------------------------------------- class kinds, through the project index


def _indexed_fact(model: "FileModel", func: cst.BaseExpression, table: str) -> Any:
    """What the project index holds in ``table`` about the imported project class ``func`` names; else NOT_INDEXED."""
    if model.project is None or model.project.index is None or (isinstance(func, cst.Name) and func.value in model.classes):
        return NOT_INDEXED
    dotted = imported_name(model, func)
    where = model.imported_path(dotted, "class") if dotted else None
    return model.project.indexed(where[0], table, where[1]) if where is not None else NOT_INDEXED


def _indexed_class_kind(model: "FileModel", func: cst.BaseExpression) -> Any:
    """The kind of the imported project class ``func`` names, as the project index holds it; else NOT_INDEXED."""
    kind = _indexed_fact(model, func, "class")
    if kind is NOT_INDEXED:
        return NOT_INDEXED
    try:
        return ModelKind(kind) if kind is not None else None
    except ValueError:  # (a kind this version does not know: not an answer)
        return NOT_INDEXED


def _project_class_kind(model: "FileModel", func: cst.BaseExpression, following: frozenset) -> tuple[bool, ModelKind | None]:
    """(whether ``func`` names a project class, its kind): read from the project index when it holds it.
    A well-known architecture imported from a module the project lacks counts as a class with BatchNorm."""
    indexed = _indexed_class_kind(model, func)
    if indexed is not NOT_INDEXED:
        return True, indexed
    if plain_imported_class(model, func):
        return True, None  # what class_kind says of a class without bases, without parsing its file
    found = project_class(model, func)
    if found is None:
        return (True, ModelKind.BN) if absent_bn_architecture(model, func) else (False, None)
    return True, class_kind(found[0], found[1], following)


def _names_project_class(model: "FileModel", func: cst.BaseExpression) -> bool:
    return (_indexed_class_kind(model, func) is not NOT_INDEXED or plain_imported_class(model, func)
            or project_class(model, func) is not None)


def _add_class_kind(model: "FileModel", func: cst.BaseExpression, following: frozenset, kinds: list) -> bool:
    """Add the kind of the project class ``func`` names, if it names one, to ``kinds``; whether it names one."""
    is_class, kind = _project_class_kind(model, func, following)
    if is_class:
        kinds.append(kind)
    return is_class


def _mentions(expr: cst.BaseExpression, name: str) -> bool:
    return any(isinstance(node, cst.Name) and node.value == name for node in walk(expr))


_QUERIES = KindQueries(model_kind, class_kind, _builder_kind)
