"""The single walk over a file's syntax tree that fills its :class:`~.model.FileModel`: imports, scopes
and their bindings, classes, call sites, attribute assignments, each node's parent."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.file.classes import same_object
from bn_lint.semantic.file.records import CallSite, ClassInfo, Scope
from bn_lint.semantic.syntax.walk import children, walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel


# Every node type `_Builder._visit` handles, by libcst class name (libcst is imported on first
# use: lazy.py); the walk skips the call for all others, as isinstance on libcst's ABCs is slow.
VISITED = (
    "Call", "Assign", "AnnAssign", "AugAssign", "Expr", "For", "CompFor", "WithItem",
    "NamedExpr", "Import", "ImportFrom", "FunctionDef", "Lambda", "ClassDef",
)
_VISITED_CACHE: dict[type, bool] = {}


def build(model: FileModel) -> None:
    """Fill ``model`` (made empty) from its syntax tree."""
    _Builder(model).build()


class _Builder:
    """The single walk that fills a FileModel."""

    def __init__(self, model: FileModel) -> None:
        self.model = model

    def build(self) -> None:
        model = self.model
        module = model.module
        stack: list[tuple[cst.CSTNode, Scope, cst.CSTNode]] = [(module, model.module_scope, module)]
        parents, nodes, order, by_type = model.parent_by_id, model.nodes, model.order_by_id, model.by_type
        visited = _VISITED_CACHE
        pop, push = stack.pop, stack.append
        while stack:
            node, scope, parent = pop()
            if node is not module:
                key = id(node)
                parents[key] = parent
                cls = type(node)
                indices = by_type.get(cls)
                if indices is None:
                    indices = by_type[cls] = ([], [])
                indices[0].append(len(nodes))
                indices[1].append(node)
                order[key] = len(nodes)
                nodes.append(node)  # (at the pop: the walk's pre-order)
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
        cls = type(node)  # (exact types: libcst's classes are ABCs, slow to test with isinstance)
        if cls is cst.Call:
            model.calls.append(CallSite(node, scope))
        elif cls is cst.Assign:
            for target in node.targets:
                self._bind(target.target, node.value, scope)
        elif cls is cst.AnnAssign:
            if node.value is not None:
                self._bind(node.target, node.value, scope)
        elif cls is cst.AugAssign:
            self._opaque(node.target, scope)
        elif cls is cst.Expr:
            if isinstance(node.value, cst.Attribute):
                model.attribute_statements.append((node, scope))
        elif cls is cst.For or cls is cst.CompFor:
            self._opaque(node.target, scope)
        elif cls is cst.WithItem:
            if node.asname is not None:
                self._opaque(node.asname.name, scope)
        elif cls is cst.NamedExpr:
            self._bind(node.target, node.value, scope)
        elif cls is cst.Import:
            for alias in node.names:
                dotted = _dotted(alias.name)
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    model.imports[alias.asname.name.value] = dotted
                else:
                    head = dotted.split(".")[0]
                    model.imports[head] = head
        elif cls is cst.ImportFrom:
            base = "." * len(node.relative) + (_dotted(node.module) if node.module else "")
            if isinstance(node.names, cst.ImportStar):
                model.star_imports.append(base)
            else:
                for alias in node.names:
                    name = _dotted(alias.name)
                    local = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name
                    sep = "" if base.endswith(".") else "."
                    model.imports[local] = f"{base}{sep}{name}"
        elif cls is cst.FunctionDef:
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
        elif cls is cst.Lambda:
            inner = Scope(node, "lambda", scope)
            for param in _all_params(node.params):
                inner.params[param.name.value] = param
            model.scopes[node] = inner
            return inner
        elif cls is cst.ClassDef:
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
            if scope.kind == "class" and isinstance(value, cst.Name):
                info = self.model.classes.get(scope.name or "")
                if info is not None and value.value in info.methods:  # `evaluate_accelerate = evaluate`: that method
                    info.methods[target.value] = info.methods[value.value]
        elif isinstance(target, cst.Attribute):
            self.model.attribute_assignments.append((target, value, scope))
            if isinstance(target.value, cst.Name) and target.value.value == "self":
                info = self.model.enclosing_class(scope)
                if info is not None and not _same_attribute(value, target.attr.value):
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


def _same_attribute(value: cst.BaseExpression, attribute: str) -> bool:
    """``self.model.to(device)``, ``nn.DataParallel(self.model)``: the module ``self.<attribute>`` already holds,
    moved or wrapped (no value of its own for the attribute)."""
    return isinstance(value, cst.BaseExpression) and isinstance(held := same_object(value), cst.Attribute) \
        and held.attr.value == attribute and isinstance(held.value, cst.Name) and held.value.value == "self"
