"""Batch sizes read from an attribute (``SizeResolution.attributes``):
``args.batch_size`` (an argparse default), ``self.n`` assigned once, ``cfg.epochs`` of a ``SimpleNamespace`` or
of a settings class of this file (its default, or what its construction passes), ``Config.batch_size``, an
imported module's constant, a yacs / EasyDict tree entry, Lightning's ``self.hparams``."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.batching.annotated import annotated_default, hyperparameter
from bn_lint.semantic.evaluators.attr_configs import attribute_entry
from bn_lint.semantic.batching.facts import Size, _NAMESPACES
from bn_lint.semantic.evaluators.call_binding import given_values
from bn_lint.semantic.evaluators.record_fields import record_fields
from bn_lint.semantic.project.annotated_classes import declared_default
from bn_lint.semantic.project.definitions import project_class
from bn_lint.semantic.file.records import param_of

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.batching.sizes import SizeResolution
    from bn_lint.semantic.file.model import Scope


class AttributeSizes:
    """Sizes of ``x.attr`` expressions: a part of ``SizeResolution`` (``sizes.attributes``)."""

    def __init__(self, sizes: "SizeResolution") -> None:
        self.sizes = sizes

    def attribute_size(self, expr: cst.Attribute, scope: "Scope | None", following: frozenset) -> Size | None:
        model = self.sizes.model
        attr = expr.attr.value
        base = expr.value
        if not isinstance(base, cst.Name):  # `cfg.TRAIN.BATCH_SIZE` of a yacs / EasyDict tree, Lightning's hparams
            return self._tree_entry(expr, scope, following) or hyperparameter(self.sizes, expr, scope, following)
        if base.value == "self":  # assigned once in the class (`self.n = n`): that assignment defines it
            info = model.enclosing_class(scope)
            values = info.attributes.get(attr) if info else None
            stored = self.sizes._stored(expr, scope)
            if stored is not None:
                return self.sizes.size(stored[0], stored[1], following)
            if info is not None and not values and not any(
                    attr in other.attributes or attr in other.scope.bindings for other in model.classes.values()
                    if other is not info):
                return self.class_default(info, attr, following)  # `BN_MOMENTUM = 0.99` in the class body
            return None
        if (base.value, attr) in self.sizes.config_entries.mutated or (base.value, "*") in self.sizes.config_entries.mutated:
            return None
        if base.value in model.classes:  # Config.batch_size
            return self.class_default(model.classes[base.value], attr, following)
        owner = project_class(model, base) if base.value in model.imports else None
        if owner is not None:  # TrainConfig.batch_size, the class imported from another project file
            return self.sizes.in_file(owner[0]).attributes.class_default(owner[1], attr, following)
        if base.value in model.imports and base.value not in model.module_scope.bindings:
            return self.sizes._imported(f"{model.imports[base.value]}.{attr}", following)
        bound = model.binding(base.value, scope)
        if bound is not None:
            value, value_scope = bound
            call = value if isinstance(value, cst.Call) else None
            if call is not None and isinstance(call.func, cst.Attribute) and call.func.attr.value == "parse_args":
                return self.sizes.option_defaults.argparse_default(attr, following)
            parsing = self.sizes.option_defaults.returns_parsed_args(call, value_scope) if call is not None else None
            if parsing is not None:  # args = get_args(), defined here or in another project file
                return parsing.option_defaults.argparse_default(attr, following)
            if isinstance(value, cst.Subscript) and isinstance(value.value, cst.Call) and isinstance(
                value.value.func, cst.Attribute
            ) and value.value.func.attr.value == "parse_known_args":
                return self.sizes.option_defaults.argparse_default(attr, following)
            if call is not None and model.qualname(call.func) in _NAMESPACES:  # cfg = SimpleNamespace(epochs=8)
                given = [arg for arg in call.args if arg.keyword is not None and arg.keyword.value == attr]
                if len(given) == 1 and not any(arg.star for arg in call.args):
                    return self.sizes.size(given[0].value, value_scope, following)
                return None
            # `s = Settings(momentum=0.99)`, `cfg = Config(batch_size=8)`, `s = defaults()` returning a record
            record = self._field_size(value, value_scope, attr, following)
            if record is not None or call is not None and isinstance(call.func, cst.Name) \
                    and call.func.value in model.classes:
                return record
            return self._tree_entry(expr, scope, following)
        given = self.sizes.config_entries.name_in_use(base.value, scope) if param_of(base.value, scope) is not None else None
        if given is not None:
            # `def make_loaders(cfg): ... cfg.batch_size`, every call given the module's `cfg = Config()`
            found = self.attribute_size(cst.Attribute(value=cst.Name(given), attr=expr.attr), model.module_scope, following)
            if found is not None:
                return found
        passed = self._given_field(base.value, attr, scope, following)  # `Block(defaults())`, a record built elsewhere
        if passed is not None:
            return passed
        annotated = annotated_default(self.sizes, base.value, attr, scope, following)  # `cfg: Config` with a class default
        if annotated is not None:
            return annotated
        if param_of(base.value, scope) is not None and self.sizes.option_defaults.argparse.get(attr):
            # `def main(args): ... args.batch_size` in a file that defines --batch-size
            if base.value in ("args", "opt", "opts") or any(  # (the parse may be in a file that imports this one)
                    isinstance(c.node.func, cst.Attribute) and c.node.func.attr.value in ("parse_args", "parse_known_args")
                    for c in model.calls):
                return self.sizes.option_defaults.argparse_default(attr, following)
        return None

    def _tree_entry(self, expr: cst.Attribute, scope: "Scope | None", following: frozenset) -> Size | None:
        found = attribute_entry(self.sizes.model, expr, scope)
        if found is None:
            return None
        owner, value = found
        size = self.sizes.in_file(owner).size(value, owner.module_scope, following)
        return Size(size.value, size.source or f"`{self.sizes.model.code(expr)}`") if size is not None else None

    def class_default(self, info, attr: str, following: frozenset) -> Size | None:
        declared = declared_default(self.sizes.model, info, attr)  # (`info` a class of this file)
        if declared is None:
            return None
        found = self.sizes.size(declared[0], declared[1], following)
        return Size(found.value, found.source or f"the default of {info.name}.{attr}") if found else None

    def _field_size(self, value: cst.BaseExpression, scope: "Scope | None", attr: str, following: frozenset) -> Size | None:
        """The number field ``attr`` holds in the record ``value`` builds (every way it is built agreeing)."""
        fields = record_fields(self.sizes.model, value, scope, attr)
        if not fields:
            return None
        sizes = [self.sizes.in_file(owner).size(expr, where, following) for owner, expr, where in fields]
        if any(size is None for size in sizes) or len({size.value for size in sizes}) != 1:
            return None
        return Size(sizes[0].value, sizes[0].source or f"the record field `{attr}`")

    def _given_field(self, name: str, attr: str, scope: "Scope | None", following: frozenset) -> Size | None:
        """``name.attr`` for a parameter ``name`` that every call of its function gives a record built
        where the code shows it, with the same number in field ``attr``."""
        found = param_of(name, scope)
        passed = given_values(self.sizes.model, found[1], name) if found is not None and found[1] is not None else None
        if not passed or any(one.value is None or one.default for one in passed):
            return None
        sizes = [self._field_size(one.value, one.scope, attr, following) for one in passed]
        if any(size is None for size in sizes) or len({size.value for size in sizes}) != 1:
            return None
        return sizes[0]
