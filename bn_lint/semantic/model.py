"""The semantic model of one file: built once, shared by every rule.

One walk over the libcst tree records imports, scopes and their simple
bindings, classes (methods, class constants, ``self.x = ...`` attributes),
every call site, and each node's parent. Rules ask the model questions
(what does this name refer to? which torch.nn layer does this call build?)
instead of re-walking the tree.
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Iterator, TypeVar

import libcst as cst

from . import layers as layer_table
from .layers import LayerSpec
from .values import UNKNOWN, evaluate
from .walk import children, walk

if TYPE_CHECKING:  # pragma: no cover
    from .chains import ChainAnalysis
    from ..config import Settings
    from ..project import Project
    from .batches import BatchAnalysis
    from .modes import ModeAnalysis
    from .positions import Positions

A = TypeVar("A")

# top-level packages that are never a file of the checked project
_NOT_PROJECT = frozenset({"torch", "torchvision", "torchaudio", "timm", "numpy", "os", "sys"})

#: base classes that are torch.nn.Module subclasses (a LightningModule is one, whoever calls it)
MODULE_BASES = frozenset({"torch.nn.Module", "pytorch_lightning.LightningModule", "pytorch_lightning.core.LightningModule",
                          "lightning.LightningModule", "lightning.pytorch.LightningModule",
                          "lightning.pytorch.core.LightningModule"})
_CANONICAL_PREFIXES = (
    ("torch.nn.modules.", "torch.nn."),
    ("torch.nn.functional.", "torch.nn.functional."),
)
_PARTIAL = frozenset({"functools.partial"})


@dataclass
class Scope:
    """A module, class or function body and the simple names bound in it."""

    node: cst.CSTNode
    kind: str  # "module" | "class" | "function" | "lambda"
    parent: "Scope | None"
    bindings: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    params: dict[str, cst.Param] = field(default_factory=dict)
    # names bound in ways the model cannot follow (for-targets, with-as, tuple unpacking, ...)
    opaque: set[str] = field(default_factory=set)
    # each opaque binding of a name: (call, index) for `model, preprocess = build()`, None for the others
    unpacked: dict[str, list[tuple[cst.Call, int] | None]] = field(default_factory=dict)
    functions: dict[str, cst.FunctionDef] = field(default_factory=dict)  # of a function scope: its nested defs

    @property
    def name(self) -> str | None:
        node = self.node
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            return node.name.value
        return None


@dataclass
class ClassInfo:
    name: str
    node: cst.ClassDef
    scope: Scope
    bases: list[cst.BaseExpression]
    methods: dict[str, cst.FunctionDef] = field(default_factory=dict)
    # ``self.<attr> = value`` anywhere in the class's methods, with the method's scope
    attributes: dict[str, list[tuple[cst.BaseExpression, Scope]]] = field(default_factory=dict)


@dataclass
class CallSite:
    node: cst.Call
    scope: Scope


@dataclass(frozen=True)
class LayerCall:
    """A call that builds a torch.nn layer, with its arguments bound to parameters."""

    node: cst.Call
    spec: LayerSpec
    args: dict[str, cst.BaseExpression]  # parameter name -> argument expression
    positional: frozenset[str]  # parameters passed positionally
    preset: dict[str, cst.BaseExpression]  # bound through functools.partial
    scope: Scope


@dataclass
class Report:
    """What a rule reports: a node, a message, and optionally a fix (node edits)."""

    node: cst.CSTNode
    message: str
    fix: "NodeFix | None" = None
    severity: Any = None  # a Severity that overrides the rule's default
    code: str | None = None  # set by the engine
    model: "FileModel | None" = None  # the other project file that holds ``node``, if not the checked one
    related: tuple = ()  # nodes of the checked file that cause a finding in ``model`` (the calls that pass the model)


@dataclass
class NodeFix:
    description: str
    replacements: list[tuple[cst.CSTNode, cst.CSTNode | str]]


class FileModel:
    """Everything the rules need to know about one file."""

    def __init__(
        self,
        path: str,
        source: str,
        module: cst.Module,
        settings: "Settings | None" = None,
        project: "Project | None" = None,
    ) -> None:
        self.path = path
        self.source = source
        self.module = module
        self.settings = settings
        self.project = project
        self.imports: dict[str, str] = {}
        self.star_imports: list[str] = []
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}  # filled in source order (see ``order``)
        self.scopes: dict[cst.CSTNode, Scope] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.functions: dict[str, cst.FunctionDef] = {}
        self.calls: list[CallSite] = []
        self.attribute_statements: list[tuple[cst.Expr, Scope]] = []
        self.attribute_assignments: list[tuple[cst.Attribute, cst.BaseExpression, Scope]] = []
        self.module_scope = Scope(module, "module", None)
        self.scopes[module] = self.module_scope
        self._code: dict[cst.CSTNode, str] = {}
        self._method_texts: dict[str, list[str]] = {}  # method name -> the text of its definitions (method_texts)
        # (table, name) -> an answer about this file worth keeping in the project index (``Project.indexed``)
        self.index_facts: dict[tuple[str, str], Any] = {}
        self._analyses: dict[Callable[[FileModel], Any], Any] = {}
        _Builder(self).build()

    def analysis(self, kind: "Callable[[FileModel], A]") -> "A":
        """``kind(self)``, made once for this file: how analyses built on the model (modes, batches,
        chains) are reached without the model importing them."""
        try:
            return self._analyses[kind]
        except KeyError:
            found = self._analyses[kind] = kind(self)
            return found

    # ----------------------------------------------------------------- names
    def qualname(self, expr: cst.BaseExpression | None) -> str | None:
        """The import-resolved dotted name of ``torch.nn.X``-like expressions."""
        parts: list[str] = []
        while isinstance(expr, cst.Attribute):
            parts.append(expr.attr.value)
            expr = expr.value
        if not isinstance(expr, cst.Name):
            return None
        head = self.imports.get(expr.value)
        if head is None:
            if expr.value in self.module_scope.bindings or expr.value in self.functions or expr.value in self.classes:
                return None
            for star in self.star_imports:
                candidate = f"{star}.{expr.value}"
                if layer_table.lookup(candidate) or star == "torch.nn":
                    head = candidate
                    break
            else:
                return None
        parts.append(head)
        return canonical(".".join(reversed(parts)))

    def binding(self, name: str, scope: Scope | None) -> tuple[cst.BaseExpression, Scope] | None:
        """The one expression ``name`` is bound to, seen from ``scope``, if certain."""
        found = self.bindings(name, scope)
        if found is None:
            return None
        values, where = found
        if len(values) == 1 or all(_same_code(self.module, values[0], v) for v in values[1:]):
            return values[0], where
        return None

    def local_function(self, name: str, scope: Scope | None) -> cst.FunctionDef | None:
        """The function ``name`` calls from ``scope``: one defined at the top level, or nested in an
        enclosing function (``def stage(cin, cout)`` inside ``make_model``), if nothing rebinds the name."""
        while scope is not None:
            if name in scope.bindings or name in scope.params or name in scope.opaque:
                return None
            if name in scope.functions:
                return scope.functions[name]
            if scope.kind == "module":
                return self.functions.get(name)
            scope = scope.parent
        return None

    def _none_by_default(self, expr: cst.BaseExpression, scope: Scope | None) -> bool:
        """``expr`` names a parameter (of ``scope``'s function) whose default is ``None``."""
        if not isinstance(expr, cst.Name) or scope is None or scope.kind != "function":
            return False
        param = scope.params.get(expr.value)
        return param is not None and isinstance(param.default, cst.Name) and param.default.value == "None"

    def bindings(self, name: str, scope: Scope | None) -> tuple[list[cst.BaseExpression], Scope] | None:
        """Every expression ``name`` is assigned in the scope that binds it, seen from ``scope``; None when
        that is not known (a parameter, a name bound by a loop or an import, not bound at all)."""
        current = scope or self.module_scope
        while current is not None:
            if current.kind == "class" and current is not scope:
                current = current.parent  # class bodies are not enclosing scopes
                continue
            if name in current.opaque:
                return None
            values = current.bindings.get(name)
            if values:
                return values, current
            if name in current.params:
                return None
            current = current.parent
        return None

    def unpacked(self, name: str, scope: Scope | None) -> tuple[cst.Call, int, Scope] | None:
        """``(call, index, scope)`` when ``name`` is bound once, by unpacking what a call returns
        (``model, preprocess = build_model()``: ``(build_model(), 0)``), seen from ``scope``."""
        current = scope or self.module_scope
        while current is not None:
            if current.kind == "class" and current is not scope:
                current = current.parent
                continue
            if name in current.opaque:
                found = current.unpacked.get(name, [])
                if len(found) == 1 and found[0] is not None and name not in current.bindings:
                    return (*found[0], current)
                return None
            if name in current.bindings or name in current.params:
                return None
            current = current.parent
        return None

    def value(self, expr: cst.BaseExpression, scope: Scope | None) -> Any:
        """The constant value of ``expr`` (see :mod:`values`), or UNKNOWN."""
        return evaluate(expr, self, scope)

    # ---------------------------------------------------------------- layers
    def layer_class(
        self, expr: cst.BaseExpression, scope: Scope | None, depth: int = 0
    ) -> tuple[LayerSpec, dict[str, cst.BaseExpression]] | None:
        """The torch.nn class ``expr`` refers to, with arguments preset by ``partial``."""
        if depth > 8:
            return None
        spec = layer_table.lookup(self.qualname(expr))
        if spec is not None:
            return spec, {}
        if isinstance(expr, cst.Name):
            bound = self.binding(expr.value, scope)
            if bound is not None:
                return self.layer_class(bound[0], bound[1], depth + 1)
            return None
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
            info = self.enclosing_class(scope)  # `self.norm_layer(c)`, assigned once: `self.norm_layer = norm_layer`
            values = info.attributes.get(expr.attr.value) if info is not None else None
            return self.layer_class(values[0][0], values[0][1], depth + 1) if values and len(values) == 1 else None
        if isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or) and self._none_by_default(expr.left, scope):
            return self.layer_class(expr.right, scope, depth + 1)  # `norm_layer or nn.BatchNorm2d`, its default None
        if isinstance(expr, cst.Call) and self.qualname(expr.func) in _PARTIAL and expr.args:
            first = expr.args[0]
            if first.keyword is not None or first.star:
                return None
            inner = self.layer_class(first.value, scope, depth + 1)
            if inner is None:
                return None
            spec, preset = inner
            preset = dict(preset)
            for arg in expr.args[1:]:
                if arg.star:
                    return None
                if arg.keyword is not None:
                    preset[arg.keyword.value] = arg.value
                else:
                    return None  # positional presets: rare, do not guess
            return spec, preset
        return None

    def layer_call(self, call: cst.Call, scope: Scope | None) -> LayerCall | None:
        """If ``call`` builds a known torch.nn layer: its spec and bound arguments."""
        found = self.layer_class(call.func, scope)
        if found is None:
            return None
        spec, preset = found
        args: dict[str, cst.BaseExpression] = dict(preset)
        positional: set[str] = set()
        index = 0
        for arg in call.args:
            if arg.star:
                if arg.star == "**":
                    continue
                index = len(spec.params) + 1  # unknown positions from here on
                continue
            if arg.keyword is not None:
                args[arg.keyword.value] = arg.value
                continue
            if index < len(spec.params):
                args[spec.params[index]] = arg.value
                positional.add(spec.params[index])
            index += 1
        return LayerCall(call, spec, args, frozenset(positional), preset, scope or self.module_scope)

    @cached_property
    def layer_calls(self) -> list[LayerCall]:
        """Every call in the file that builds a known torch.nn layer."""
        found = []
        for site in self.calls:
            layer = self.layer_call(site.node, site.scope)
            if layer is not None:
                found.append(layer)
        return found

    @cached_property
    def chains(self) -> "ChainAnalysis":
        """Which layer feeds each BatchNorm, with what width and rank (see :mod:`chains`)."""
        from .chains import analyse

        return analyse(self)

    @cached_property
    def chain_verdicts(self) -> list:
        """BN2xx verdicts from the chains, computed once for BN201-BN204 (see :mod:`chain_checks`)."""
        from .chain_checks import verdicts

        return verdicts(self)

    @cached_property
    def modes(self) -> "ModeAnalysis":
        """Train/eval mode flow (see :mod:`modes`); call ``.run()`` before reading its sites."""
        from .modes import ModeAnalysis

        return ModeAnalysis(self)

    @cached_property
    def positions(self) -> "Positions":
        """Where each node is (code generation of the module-level statements asked about)."""
        from .positions import Positions

        def top_of(node: cst.CSTNode) -> cst.CSTNode | None:
            top = None
            for ancestor in self.ancestors(node):
                if isinstance(ancestor, cst.Module):
                    return top
                top = ancestor
            return None

        return Positions(self.module, self.source, top_of)

    def line_of(self, node: cst.CSTNode) -> int | None:
        """The 1-based line where ``node`` starts (positions are computed on first use)."""
        pos = self.positions.get(node)
        return pos.start.line if pos is not None else None

    @cached_property
    def batches(self) -> "BatchAnalysis":
        """Data loaders, batch sizes and DDP facts of this file (see :mod:`batches`)."""
        from .batches import BatchAnalysis

        return BatchAnalysis(self)

    # -------------------------------------------------------------- structure
    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def order(self, node: cst.CSTNode) -> int:
        """``node``'s place in a pre-order walk of the module (source order); -1 for the module itself."""
        return self._order.get(id(node), -1)

    @cached_property
    def _order(self) -> dict[int, int]:
        return {id(node): index for index, node in enumerate(self.parents)}  # (by id: no Python __hash__)

    def nodes_of(self, within: cst.CSTNode, *types: type) -> list[cst.CSTNode]:
        """The nodes of exactly these (concrete) libcst classes in ``within``'s subtree, itself included,
        in source order: what ``walk(within)`` filtered by type gives, from an index of the module."""
        if within is self.module:
            start, end = 0, len(self.parents)
        else:
            start = self._order.get(id(within))
            if start is None:  # a node of another tree
                return [node for node in walk(within) if type(node) in types]
            last = within
            while True:
                kids = children(last)
                if not kids:
                    break
                last = kids[-1]
            end = self._order[id(last)] + 1
        found: list[tuple[int, cst.CSTNode]] = []
        for cls in types:
            indices, nodes = self._by_type.get(cls, ((), ()))
            low, high = bisect_left(indices, start), bisect_left(indices, end)
            if len(types) == 1:
                return list(nodes[low:high])
            found.extend(zip(indices[low:high], nodes[low:high]))
        found.sort(key=_first)
        return [node for _, node in found]

    @cached_property
    def _by_type(self) -> dict[type, tuple[list[int], list[cst.CSTNode]]]:
        out: dict[type, tuple[list[int], list[cst.CSTNode]]] = {}
        for index, node in enumerate(self.parents):
            entry = out.get(type(node))
            if entry is None:
                entry = out[type(node)] = ([], [])
            entry[0].append(index)
            entry[1].append(node)
        return out

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        current = self.parents.get(node)
        while current is not None:
            yield current
            current = self.parents.get(current)

    def scope_of(self, node: cst.CSTNode) -> Scope:
        for ancestor in self.ancestors(node):
            scope = self.scopes.get(ancestor)
            if scope is not None and ancestor is not node:
                return scope
        return self.module_scope

    def called_as(self, function: cst.FunctionDef) -> tuple[str, int] | None:
        """How this file calls ``function``: (the name, the leading parameters a call does not give):
        ``(name, 0)`` for a module-level function, ``(Class, 1)`` for a class's ``__init__``; None else."""
        scope = self.scopes.get(function)
        info = self.enclosing_class(scope.parent) if scope is not None else None
        if info is not None and info.methods.get("__init__") is function:
            return info.name, 1
        if self.functions.get(function.name.value) is function:
            return function.name.value, 0
        return None

    def enclosing_class(self, scope: Scope | None) -> ClassInfo | None:
        while scope is not None:
            if scope.kind == "class":
                return self.classes.get(scope.name or "")
            scope = scope.parent
        return None

    def imported(self, dotted: str, keyword: str | None = None) -> tuple["FileModel", str] | None:
        """The project file behind an imported ``pkg.module.name`` and the name in it; None outside the project.

        ``keyword`` ("class" or "def"): the caller wants only a class or function of that name, so a
        file whose text holds no ``class name`` / ``def name`` is not parsed.
        """
        where = self.imported_path(dotted, keyword)
        other = self.project.model(where[0]) if where is not None and self.project is not None else None
        return (other, where[1]) if other is not None else None

    def method_texts(self, name: str) -> list[str]:
        """The text of every ``def name`` of this file's classes and of the project files it imports (those
        read, not parsed); ``"?"`` for a file that cannot be read. Cached per name."""
        cache = self._method_texts
        if name not in cache:
            texts = [self.code(info.methods[name]) for info in self.classes.values() if name in info.methods]
            if self.project is not None:
                for path in self.imported_project_paths:
                    if name in self.project.names_in_text(path)[0]:
                        found = self.project.function_bodies(path, name)
                        texts.extend(found if found is not None else ["?"])
            cache[name] = texts
        return cache[name]

    @cached_property
    def imported_project_paths(self) -> list[str]:
        """The project files this file imports from (resolved, not parsed)."""
        if self.project is None:
            return []
        paths: list[str] = []
        for dotted in sorted(set(self.imports.values())):
            if dotted.split(".")[0] in _NOT_PROJECT:
                continue
            for candidate in (dotted, dotted.rpartition(".")[0]):
                path = self.project.resolve_module(candidate, self.path) if candidate else None
                if path is not None:
                    if path not in paths:
                        paths.append(path)
                    break
        return paths

    def imported_path(self, dotted: str, keyword: str | None = None) -> tuple[str, str] | None:
        """(file, name) of ``imported`` without parsing the file."""
        if self.project is None:
            return None
        level = len(dotted) - len(dotted.lstrip("."))  # `from . import build` gives ".build": the package's
        inner, _, name = dotted[level:].rpartition(".")
        module_name = "." * level + inner
        if not module_name.strip(".") and not name or module_name.split(".")[0] in _NOT_PROJECT:
            return None
        path = self.project.resolve_module(module_name, self.path) if module_name else None
        if not path:
            return None
        if keyword and not self.project.may_define(path, keyword, name):
            return self._reexported(path, name, keyword)
        return path, name

    def _reexported(self, path: str, name: str, keyword: str, depth: int = 0) -> tuple[str, str] | None:
        """``name`` imported into a package ``__init__`` from one of its modules (``from .validation
        import run_validation``): where it is defined, a few re-exports deep."""
        if depth > 3 or not path.endswith("__init__.py") or self.project is None:
            return None
        table = f"reexport-{keyword}"
        if depth == 0:
            indexed = self.project.indexed(path, table, name)
            if indexed is None or isinstance(indexed, list) and len(indexed) == 2 and all(isinstance(x, str) for x in indexed):
                return tuple(indexed) if indexed else None  # type: ignore[return-value]
        package = self.project.model(path)
        found = self._reexported_from(package, path, name, keyword, depth) if package is not None else None
        if depth == 0 and package is not None:
            package.index_facts[(table, name)] = list(found) if found else None
        return found

    def _reexported_from(self, package: "FileModel", path: str, name: str, keyword: str, depth: int) -> tuple[str, str] | None:
        dotted = package.imports.get(name)
        if dotted is None:
            return None
        module_name, _, inner = dotted.rpartition(".")
        target = self.project.resolve_module(module_name, path) if module_name and self.project else None
        if not target:
            return None
        if self.project.may_define(target, keyword, inner):
            return target, inner
        return self._reexported(target, inner, keyword, depth + 1)

    def code(self, node: cst.CSTNode) -> str:
        """The source text of ``node`` (generated once per node; a plain ``a.b.c`` without generating)."""
        text = self._code.get(node)
        if text is None:
            text = self._code[node] = _dotted_text(node) or self.module.code_for_node(node)
        return text

    def is_nn_module_class(self, info: ClassInfo, depth: int = 0) -> bool:
        """Whether the class derives (as far as this file shows) from torch.nn.Module."""
        if depth > 10:
            return False
        for base in info.bases:
            qn = self.qualname(base)
            if qn and (qn in MODULE_BASES or layer_table.lookup(qn) is not None):
                return True
            if isinstance(base, cst.Name) and base.value in self.classes and base.value != info.name:
                if self.is_nn_module_class(self.classes[base.value], depth + 1):
                    return True
        return False


def _first(pair: tuple[int, Any]) -> int:
    return pair[0]


def canonical(qualified: str) -> str:
    for prefix, replacement in _CANONICAL_PREFIXES:
        if qualified.startswith(prefix) and prefix != replacement:
            rest = qualified[len(prefix):]
            return replacement + rest.rpartition(".")[2]
    return qualified


def _same_code(module: cst.Module, a: cst.CSTNode, b: cst.CSTNode) -> bool:
    return a is b or module.code_for_node(a) == module.code_for_node(b)


# Every node type `_Builder._visit` handles, by libcst class name (libcst is imported on first
# use: lazy.py); the walk skips the call for all others, as isinstance on libcst's ABCs is slow.
VISITED = (
    "Call", "Assign", "AnnAssign", "AugAssign", "Expr", "For", "CompFor", "WithItem",
    "NamedExpr", "Import", "ImportFrom", "FunctionDef", "Lambda", "ClassDef",
)
_VISITED_CACHE: dict[type, bool] = {}


class _Builder:
    """The single walk that fills a FileModel."""

    def __init__(self, model: FileModel) -> None:
        self.model = model

    def build(self) -> None:
        model = self.model
        module = model.module
        stack: list[tuple[cst.CSTNode, Scope, cst.CSTNode]] = [(module, model.module_scope, module)]
        parents = model.parents
        visited = _VISITED_CACHE
        pop, push = stack.pop, stack.append
        while stack:
            node, scope, parent = pop()
            if node is not module:
                parents[node] = parent  # (at the pop: the dict's order is the walk's pre-order)
            cls = type(node)
            wanted = visited.get(cls)
            if wanted is None:
                wanted = visited[cls] = issubclass(cls, tuple(getattr(cst, name) for name in VISITED))
            inner = self._visit(node, scope) if wanted else scope
            kids = children(node)
            for kid in reversed(kids):
                push((kid, inner, node))

    def _visit(self, node: cst.CSTNode, scope: Scope) -> Scope:
        model = self.model
        if isinstance(node, cst.Call):
            model.calls.append(CallSite(node, scope))
        elif isinstance(node, cst.Assign):
            for target in node.targets:
                self._bind(target.target, node.value, scope)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self._bind(node.target, node.value, scope)
        elif isinstance(node, cst.AugAssign):
            self._opaque(node.target, scope)
        elif isinstance(node, cst.Expr):
            if isinstance(node.value, cst.Attribute):
                model.attribute_statements.append((node, scope))
        elif isinstance(node, (cst.For, cst.CompFor)):
            self._opaque(node.target, scope)
        elif isinstance(node, cst.WithItem):
            if node.asname is not None:
                self._opaque(node.asname.name, scope)
        elif isinstance(node, cst.NamedExpr):
            self._bind(node.target, node.value, scope)
        elif isinstance(node, cst.Import):
            for alias in node.names:
                dotted = _dotted(alias.name)
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    model.imports[alias.asname.name.value] = dotted
                else:
                    head = dotted.split(".")[0]
                    model.imports[head] = head
        elif isinstance(node, cst.ImportFrom):
            base = "." * len(node.relative) + (_dotted(node.module) if node.module else "")
            if isinstance(node.names, cst.ImportStar):
                model.star_imports.append(base)
            else:
                for alias in node.names:
                    name = _dotted(alias.name)
                    local = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name
                    sep = "" if base.endswith(".") else "."
                    model.imports[local] = f"{base}{sep}{name}"
        elif isinstance(node, cst.FunctionDef):
            scope.opaque.discard(node.name.value)
            scope.unpacked.pop(node.name.value, None)
            if scope.kind == "module":
                model.functions[node.name.value] = node
            elif scope.kind == "function":
                scope.functions[node.name.value] = node
            elif scope.kind == "class":
                info = model.classes.get(scope.name or "")
                if info is not None:
                    info.methods[node.name.value] = node
            inner = Scope(node, "function", scope)
            for param in _all_params(node.params):
                inner.params[param.name.value] = param
            model.scopes[node] = inner
            return inner
        elif isinstance(node, cst.Lambda):
            inner = Scope(node, "lambda", scope)
            for param in _all_params(node.params):
                inner.params[param.name.value] = param
            model.scopes[node] = inner
            return inner
        elif isinstance(node, cst.ClassDef):
            inner = Scope(node, "class", scope)
            model.scopes[node] = inner
            model.classes[node.name.value] = ClassInfo(
                node.name.value, node, inner, [arg.value for arg in node.bases if not arg.keyword]
            )
            return inner
        return scope

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression, scope: Scope) -> None:
        if isinstance(target, cst.Name):
            scope.bindings.setdefault(target.value, []).append(value)
        elif isinstance(target, cst.Attribute):
            self.model.attribute_assignments.append((target, value, scope))
            if isinstance(target.value, cst.Name) and target.value.value == "self":
                info = self.model.enclosing_class(scope)
                if info is not None:
                    info.attributes.setdefault(target.attr.value, []).append((value, scope))
        elif (isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List))
              and len(target.elements) == len(value.elements)
              and not any(isinstance(e, cst.StarredElement) for e in (*target.elements, *value.elements))
              and not _reads_targets(target, value)):
            # `nz, ngf, ndf = 100, 64, 64`, `self.size, self.seed = size, seed` (not a swap: `a, b = b, a`)
            for element, item in zip(target.elements, value.elements):
                self._bind(element.value, item.value, scope)
        elif isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, cst.Call) and not any(
                isinstance(element, cst.StarredElement) for element in target.elements):
            for index, element in enumerate(target.elements):
                if isinstance(element.value, cst.Name):
                    scope.opaque.add(element.value.value)
                    scope.unpacked.setdefault(element.value.value, []).append((value, index))
                else:
                    self._opaque(element.value, scope)
        else:
            self._opaque(target, scope)

    def _opaque(self, target: cst.BaseExpression, scope: Scope) -> None:
        if isinstance(target, cst.Name):
            scope.opaque.add(target.value)
            scope.unpacked.setdefault(target.value, []).append(None)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._opaque(element.value, scope)
        elif isinstance(target, cst.StarredElement):
            self._opaque(target.value, scope)


_SAME_OBJECT_METHODS = frozenset({"to", "cuda", "cpu", "float", "half", "double", "bfloat16"})


def stored_on_self(init: cst.FunctionDef) -> list[tuple[str, str]]:
    """(attribute, parameter) for each ``self.attr = param`` statement of ``__init__`` (``param.to(device)``
    allowed), including the tuples that ``accelerator.prepare(...)`` / ``fabric.setup(...)`` hand back."""
    stored: list[tuple[str, str]] = []
    for line in init.body.body:
        small = line.body[0] if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 else None
        if not (isinstance(small, cst.Assign) and len(small.targets) == 1):
            continue
        target, value = small.targets[0].target, small.value
        if isinstance(target, cst.Tuple) and isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
                and value.func.attr.value in ("prepare", "setup") and len(target.elements) == len(value.args):
            pairs = list(zip([e.value for e in target.elements], [a.value for a in value.args]))
        elif isinstance(target, cst.Tuple) and isinstance(value, cst.Tuple) and len(target.elements) == len(value.elements):
            pairs = list(zip([e.value for e in target.elements], [e.value for e in value.elements]))
        else:
            pairs = [(target, value)]
        for attribute, given in pairs:
            while isinstance(given, cst.Call) and isinstance(given.func, cst.Attribute) \
                    and given.func.attr.value in _SAME_OBJECT_METHODS:
                given = given.func.value
            if (isinstance(attribute, cst.Attribute) and isinstance(attribute.value, cst.Name)
                    and attribute.value.value == "self" and isinstance(given, cst.Name)):
                stored.append((attribute.attr.value, given.value))
    return stored


def _reads_targets(target: cst.BaseExpression, value: cst.BaseExpression) -> bool:
    """Whether an item of ``value`` reads a name that another item of ``target`` assigns (``a, b = b, a``:
    a swap, not two bindings; ``x, y = f(x), g(y)`` reads each name for its own new value)."""
    assigned = [_dotted(e.value) for e in target.elements if isinstance(e.value, (cst.Name, cst.Attribute))]
    if len(assigned) != len(target.elements):
        return True  # (a subscript or a nested tuple: not followed)
    for index, element in enumerate(value.elements):
        read: set[str] = set()
        attributes: set[int] = set()  # the `.mean` of `x.mean(0)`: not a read of a name `mean`
        for node in walk(element.value):
            if isinstance(node, cst.Attribute):
                attributes.add(id(node.attr))
                read.add(_dotted(node))
            elif isinstance(node, cst.Name) and id(node) not in attributes:
                read.add(node.value)
        if read & {name for other, name in enumerate(assigned) if other != index}:
            return True
    return False


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    found = list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
    if isinstance(params.star_arg, cst.Param):
        found.append(params.star_arg)
    if params.star_kwarg is not None:
        found.append(params.star_kwarg)
    return found


__all__ = ["FileModel", "Scope", "ClassInfo", "CallSite", "LayerCall", "Report", "NodeFix", "UNKNOWN"]


def _dotted_text(node: cst.CSTNode) -> str | None:
    """``a.b.c`` for a name or attribute chain without parentheses or spaces, else None."""
    parts = []
    while type(node).__name__ == "Attribute" and not node.lpar and not node.rpar:
        dot = node.dot
        if getattr(dot.whitespace_before, "value", " ") or getattr(dot.whitespace_after, "value", " "):
            return None  # (spaces, or a line break in parentheses, around the dot)
        parts.append(node.attr.value)
        node = node.value
    if type(node).__name__ != "Name" or node.lpar or node.rpar:
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))
