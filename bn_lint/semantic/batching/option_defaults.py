"""Batch sizes that are defaults of command-line options and environment variables (the
``OptionDefaults`` mixin of ``SizeResolution``): argparse ``add_argument(..., default=...)`` (unless
``set_defaults`` may change it; a ``store_true`` flag is False unless its ``default=`` says otherwise,
a ``store_false`` one True), click and typer options, ``os.environ.get("BS", 4)``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import libcst as cst

from bn_lint.semantic.batching.facts import Size, _dest
from bn_lint.semantic.project.definitions import element_builder
from bn_lint.semantic.syntax.walk import returned_values

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.batching.sizes import SizeResolution
    from bn_lint.semantic.file.model import Scope

_SWITCHES = {"store_true": "False", "store_false": "True"}  # a switch's action -> its default when none is written


class OptionDefaults:
    """Command-line option and environment defaults: a part of ``SizeResolution``."""

    def __init__(self, sizes: "SizeResolution") -> None:
        self.sizes = sizes

    @property
    def argparse(self) -> dict[str, list[tuple[cst.BaseExpression | None, "Scope"]]]:
        """dest -> the ``default=`` of each ``add_argument`` defining it (None when absent or required)."""
        if self.sizes._argparse is None:
            found: dict[str, list[tuple[cst.BaseExpression | None, Scope]]] = {}
            for site in self.sizes.model.calls:
                call = site.node
                if not isinstance(call.func, cst.Attribute) or call.func.attr.value != "add_argument":
                    continue
                flags = [self.sizes.model.value(a.value, site.scope) for a in call.args if a.keyword is None and not a.star]
                if not flags or not all(isinstance(f, str) for f in flags):
                    continue
                keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
                dest = _dest(flags, keywords, self.sizes.model, site.scope)
                if dest is None:
                    continue
                default = keywords.get("default")
                required = self.sizes.model.value(keywords["required"], site.scope) if "required" in keywords else False
                action = keywords.get("action")
                switch = _SWITCHES.get(self.sizes.model.value(action, site.scope)) if action is not None else None
                if switch is not None and default is None:  # `action="store_true"`: False when not given
                    default = cst.Name(switch)
                if required is not False or not flags[0].startswith("-") or action is not None and switch is None:
                    default = None
                found.setdefault(dest, []).append((default, site.scope))
                self.sizes._flags.setdefault(dest, next((f for f in flags if f.startswith("--")), flags[0]))
            self.sizes._argparse = found
        return self.sizes._argparse

    def argparse_default(self, dest: str, following: frozenset) -> Size | None:
        definitions = self.argparse.get(dest)
        if not definitions or any(default is None for default, _ in definitions):
            return None
        if any(self._sets_default(dest)):
            return None
        sizes = {self.sizes.size(default, scope, following) for default, scope in definitions}
        if len(sizes) != 1 or None in sizes:
            return None
        size = sizes.pop()
        return Size(size.value, f"the default of {self.sizes._flags.get(dest, '--' + dest)}")

    def _sets_default(self, dest: str) -> Iterator[bool]:
        for site in self.sizes.model.calls:
            func = site.node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "set_defaults":
                yield any(a.keyword is None or a.keyword.value == dest for a in site.node.args)

    def returns_parsed_args(self, call: cst.Call, scope: "Scope | None") -> "SizeResolution | None":
        """The resolution of the file whose ``def parse(): ...; return parser.parse_args()`` ``parse()``
        calls: this file's, or another project file's (``from options import get_args``), else None."""
        model, func = self.sizes.model, call.func
        found = element_builder(model, func, scope) if isinstance(func, (cst.Name, cst.Attribute)) else None
        if found is None or isinstance(func, cst.Name) and model.binding(func.value, scope):
            return None
        owner, function = found
        returns = returned_values(function)
        if not returns:
            return None
        for value in returns:
            if isinstance(value, cst.Name):
                bound = owner.binding(value.value, owner.scopes.get(function))
                value = bound[0] if bound else None
            if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
                    and value.func.attr.value == "parse_args"):
                return None
        return self.sizes if owner is model else self.sizes.in_file(owner)

    def option_default(self, param: cst.Param, function: cst.FunctionDef | None, following: frozenset) -> Size | None:
        """A parameter's default, when the function is a click / typer command."""
        if function is None:
            return None
        name = param.name.value
        for decorator in function.decorators:
            call = decorator.decorator
            if not isinstance(call, cst.Call):
                continue
            qn = self.sizes.model.qualname(call.func) or ""
            if qn in ("click.option", "click.argument") or (isinstance(call.func, cst.Attribute) and call.func.attr.value == "option"):
                flags = [self.sizes.model.value(a.value, None) for a in call.args if a.keyword is None]
                keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
                if not flags or not all(isinstance(f, str) for f in flags):
                    continue
                if _dest(flags, {}, self.sizes.model, None) != name and name not in flags:
                    continue
                if "default" not in keywords:
                    return None
                found = self.sizes.size(keywords["default"], None, following)
                return Size(found.value, f"the default of {flags[0] if flags[0].startswith('-') else '--' + name}") if found else None
        if param.default is None:
            return None
        default = param.default
        is_typer_option = isinstance(default, cst.Call) and (self.sizes.model.qualname(default.func) or "").startswith("typer.")
        is_command = any(
            isinstance(d.decorator, cst.Call) and isinstance(d.decorator.func, cst.Attribute)
            and d.decorator.func.attr.value == "command"
            and (self.sizes.model.qualname(d.decorator.func) or "").split(".")[0] != "click"
            and "typer" in {*self.sizes.model.imports.values(), *(v.split(".")[0] for v in self.sizes.model.imports.values())}
            for d in function.decorators
        )
        if is_typer_option:
            args = default.args
            value = next((a.value for a in args if a.keyword is None or a.keyword.value == "default"), None)
            found = self.sizes.size(value, None, following) if value is not None else None
        elif is_command:
            found = self.sizes.size(default, None, following)
        else:
            return None
        return Size(found.value, f"the default of --{name.replace('_', '-')}") if found else None

    def environ_default(self, expr: cst.BaseExpression, scope: "Scope | None") -> Size | None:
        """``os.environ.get("BS", 4)`` / ``os.getenv("BS", "4")``: the default, as an int."""
        if not isinstance(expr, cst.Call):
            return None
        qn = self.sizes.model.qualname(expr.func)
        if qn not in ("os.environ.get", "os.getenv") or len(expr.args) != 2:
            return None
        key = self.sizes.model.value(expr.args[0].value, scope)
        default = self.sizes.model.value(expr.args[1].value, scope)
        if isinstance(default, str) and default.strip().isdigit():
            default = int(default)
        if not isinstance(default, int) or isinstance(default, bool) or not isinstance(key, str):
            return None
        return Size(default, f"the default of ${key}")
