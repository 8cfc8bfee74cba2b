"""The semantic model of one file: built once, shared by every rule.

One walk over the libcst tree (:mod:`.builder`) records imports, scopes and
their simple bindings, classes (methods, class constants, ``self.x = ...``
attributes), every call site, and each node's parent. Rules ask the model
questions (what does this name refer to? which torch.nn layer does this call
build?) instead of re-walking the tree; most answers are worked out in
:mod:`.names`, :mod:`.layer_calls`, :mod:`.classes` and :mod:`.project_imports`,
whose functions are the model's methods.
"""
from __future__ import annotations

from bisect import bisect_left
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Iterator, TypeVar

import libcst as cst

from bn_lint.semantic.file import classes as _classes
from bn_lint.semantic.file import layer_calls as _layer_calls
from bn_lint.semantic.file import names as _names
from bn_lint.semantic.file import project_imports as _imports
from bn_lint.semantic.file.builder import build
from bn_lint.semantic.file.project_names import settle
from bn_lint.semantic.file.classes import (  # noqa: F401  (re-exported: rules and analyses import them from here)
    MODULE_BASES, stored_on_self,
)
from bn_lint.semantic.file.names import canonical  # noqa: F401  (re-exported)
from bn_lint.semantic.file.records import CallSite, ClassInfo, LayerCall, Scope
from bn_lint.semantic.file.reports import NodeFix, Report
from bn_lint.semantic.syntax.constants import UNKNOWN
from bn_lint.semantic.syntax.walk import children, walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.syntax.quick_tree import Spans
    from bn_lint.config import Settings
    from bn_lint.project import Project
    from bn_lint.semantic.syntax.positions import Positions

A = TypeVar("A")


class FileModel:
    """Everything the rules need to know about one file."""

    def __init__(
        self,
        path: str,
        source: str,
        module: cst.Module,
        settings: "Settings | None" = None,
        project: "Project | None" = None,
        spans: "Spans | None" = None,
    ) -> None:
        self.path = path
        self.source = source
        self.module = module
        self.spans = spans  # where the nodes are, for a tree built from the stdlib parser's (quick_tree.py)
        self.settings = settings
        self.project = project
        self.imports: dict[str, str] = {}
        self.star_imports: list[str] = []
        # every node but the module, in source order (a pre-order walk), and each one's parent by ``id``
        # (libcst nodes hash in Python: keys by id are looked up without calling it)
        self.nodes: list[cst.CSTNode] = []
        self.parent_by_id: dict[int, cst.CSTNode] = {}
        self.order_by_id: dict[int, int] = {}  # id(node) -> its index in ``nodes``
        # each class -> the indices in ``nodes`` of its nodes, and those nodes (``nodes_of``)
        self.by_type: dict[type, tuple[list[int], list[cst.CSTNode]]] = {}
        self._ends: dict[int, int] = {}  # a node's index in ``nodes`` -> the index just past its subtree
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
        self._deeper_imports: list[str] | None = None  # project files imports deep (project_imports.imported_deeper)
        # (table, name) -> an answer about this file worth keeping in the project index (``Project.indexed``)
        self.index_facts: dict[tuple[str, str], Any] = {}
        self._analyses: dict[Callable[[FileModel], Any], Any] = {}
        build(self)
        if project is not None:
            settle(self)

    def analysis(self, kind: "Callable[[FileModel], A]") -> "A":
        """``kind(self)``, made once for this file: how analyses built on the model (modes, batches,
        chains) are reached without the model importing them."""
        try:
            return self._analyses[kind]
        except KeyError:
            found = self._analyses[kind] = kind(self)
            return found

    # ----------------------------------------------------------------- names (see names.py)
    qualname = _names.qualname
    binding = _names.binding
    bindings = _names.bindings
    unpacked = _names.unpacked
    local_function = _names.local_function
    value = _names.value

    # ---------------------------------------------------------------- layers (see layer_calls.py)
    layer_class = _layer_calls.layer_class
    layer_call = _layer_calls.layer_call
    layer_calls = cached_property(_layer_calls.layer_calls)

    # --------------------------------------------------------------- classes (see classes.py)
    is_nn_module_class = _classes.is_nn_module_class
    enclosing_class = _classes.enclosing_class
    class_of_method = _classes.class_of_method
    called_as = _classes.called_as

    # ------------------------------------------------------ other project files (see project_imports.py)
    imported = _imports.imported
    imported_path = _imports.imported_path
    imported_project_paths = cached_property(_imports.imported_project_paths)
    method_texts = _imports.method_texts
    reached_files = _imports.reached_files
    definition = _imports.definition

    def code(self, node: cst.CSTNode) -> str:
        """The source text of ``node`` (generated once per node; a plain ``a.b.c`` without generating)."""
        text = self._code.get(node)
        if text is None:
            text = _dotted_text(node) or (self.spans.text(node) if self.spans is not None else None)
            text = self._code[node] = text or self.module.code_for_node(node)
        return text

    @cached_property
    def sites_by_called(self) -> dict[str, list[CallSite]]:
        """The call sites by the last name of what they call (``f`` of ``f(...)`` and of ``obj.f(...)``), in
        order: what a search of ``calls`` for one function's or method's calls needs to look at."""
        found: dict[str, list[CallSite]] = {}
        for site in self.calls:
            func = site.node.func
            cls = type(func)
            name = func.value if cls is cst.Name else func.attr.value if cls is cst.Attribute else None
            if name is not None:
                found.setdefault(name, []).append(site)
        return found

    @cached_property
    def positions(self) -> "Positions":
        """Where each node is (code generation of the module-level statements asked about; the stdlib
        parser's places for a quick tree)."""
        from bn_lint.semantic.syntax.positions import Positions

        if self.spans is not None:
            return self.spans  # type: ignore[return-value]

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

    # -------------------------------------------------------------- structure
    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parent_by_id.get(id(node))

    def order(self, node: cst.CSTNode) -> int:
        """``node``'s place in a pre-order walk of the module (source order); -1 for the module itself."""
        return self.order_by_id.get(id(node), -1)

    def nodes_of(self, within: cst.CSTNode, *types: type) -> list[cst.CSTNode]:
        """The nodes of exactly these (concrete) libcst classes in ``within``'s subtree, itself included,
        in source order: what ``walk(within)`` filtered by type gives, from an index of the module."""
        if within is self.module:
            start, end = 0, len(self.nodes)
        else:
            start = self.order_by_id.get(id(within))
            if start is None:  # a node of another tree
                return [node for node in walk(within) if type(node) in types]
            end = self._subtree_end(within, start)
        found: list[tuple[int, cst.CSTNode]] = []
        for cls in types:
            indices, nodes = self.by_type.get(cls, ((), ()))
            low, high = bisect_left(indices, start), bisect_left(indices, end)
            if len(types) == 1:
                return list(nodes[low:high])
            found.extend(zip(indices[low:high], nodes[low:high]))
        found.sort(key=_first)
        return [node for _, node in found]

    def _subtree_end(self, within: cst.CSTNode, start: int) -> int:
        """The index in ``nodes`` just past ``within``'s subtree (``within`` at ``start``), found once per node."""
        ends = self._ends
        end = ends.get(start)
        if end is None:
            last = within
            while True:
                kids = children(last)
                if not kids:
                    break
                last = kids[-1]
            end = ends[start] = self.order_by_id[id(last)] + 1
        return end

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        parent = self.parent_by_id.get
        current = parent(id(node))
        while current is not None:
            yield current
            current = parent(id(current))

    def scope_of(self, node: cst.CSTNode) -> Scope:
        parent, scopes = self.parent_by_id.get, self._scope_by_id
        current = parent(id(node))
        while current is not None:
            scope = scopes.get(id(current))
            if scope is not None and current is not node:
                return scope
            current = parent(id(current))
        return self.module_scope

    @cached_property
    def _scope_by_id(self) -> dict[int, Scope]:
        return {id(node): scope for node, scope in self.scopes.items()}  # (the builder made every scope)


def _first(pair: tuple[int, Any]) -> int:
    return pair[0]


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
