"""Attribute-tree configs: yacs ``CfgNode`` / ``EasyDict`` defaults.

    _C = CN()
    _C.TRAIN = CN()
    _C.TRAIN.BATCH_SIZE = 1
    cfg = _C

``cfg.TRAIN.BATCH_SIZE`` reads the one module-level assignment of that path (through plain
aliases of the root, in this file or in the project file ``cfg`` is imported from). Silent when
the path is written more than once, or when the file merges settings read at run time into the
tree (``cfg.merge_from_file(...)``, ``cfg.update(...)``, ``update_config(cfg, args)``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.syntax.walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope

_MERGES = frozenset({"merge_from_file", "merge_from_list", "merge_from_other_cfg", "update", "load", "load_cfg",
                     "from_file", "setdefault"})


def attribute_entry(model: "FileModel", expr: cst.Attribute,
                    scope: "Scope | None") -> tuple["FileModel", cst.BaseExpression] | None:
    """(file, value) of the module-level assignment of the attribute path ``expr`` reads."""
    path: list[str] = []
    node: cst.BaseExpression = expr
    while isinstance(node, cst.Attribute):
        path.insert(0, node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name) or node.value == "self":
        return None
    root = node.value
    if _merged(model, root):
        return None
    bound = model.binding(root, scope)
    if bound is not None and bound[1] is not model.module_scope:
        return None  # a local config object: its writes are not module-level facts
    owner = model
    if bound is None and root in model.imports and root not in model.module_scope.bindings:
        found = model.imported(model.imports[root])
        if found is None or found[0] is model:
            return None
        owner, root = found
        if _merged(owner, root):
            return None
    return _assigned(owner, root, path)


def written_entry(model: "FileModel", path: list[str]) -> tuple["FileModel", cst.BaseExpression] | None:
    """(file, value) of the one module-level write of ``ROOT.<path>`` in ``model``'s file, ``ROOT`` a module-level
    tree of this file (``_C.MODEL.DIM = 512`` after ``_C = CN()``) that the file does not merge settings into;
    None when no tree here, or more than one, writes that path."""
    roots: set[str] = set()
    for statement in model.module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        written = _path(target.target)
                        if written is not None and written[1] == path and written[0] in model.module_scope.bindings:
                            roots.add(written[0])
    found = {root: _assigned(model, root, path) for root in sorted(roots) if not _merged(model, root)}
    values = [value for value in found.values() if value is not None]
    return values[0] if len(roots) == 1 and len(values) == 1 else None


def _aliases(model: "FileModel", root: str) -> set[str]:
    """``root`` and the module-level names plainly bound to it, either way (``cfg = _C``, ``__C = cfg``)."""
    names = {root}
    changed = True
    while changed:
        changed = False
        for name, values in model.module_scope.bindings.items():
            for value in values:
                if isinstance(value, cst.Name) and (value.value in names) != (name in names):
                    names |= {name, value.value}
                    changed = True
    return names


def _assigned(model: "FileModel", root: str, path: list[str]) -> tuple["FileModel", cst.BaseExpression] | None:
    names = _aliases(model, root)
    found: list[cst.BaseExpression] = []
    for statement in model.module.body:
        for node in walk(statement):
            if isinstance(node, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
                targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
                for target in targets:
                    written = _path(target)
                    if written is None or written[0] not in names:
                        continue
                    if written[1] == path:
                        if not isinstance(node, cst.Assign):
                            return None
                        found.append(node.value)
                    elif written[1] and path[:len(written[1])] == written[1] and not _is_new_node(node):
                        return None  # `_C.TRAIN = other`: the subtree is replaced
    if len(found) != 1:
        return None
    # (a write to the path inside a function makes it unknown)
    for function in model.nodes_of(model.module, cst.FunctionDef):
        if isinstance(function, cst.FunctionDef):
            for node in model.nodes_of(function.body, cst.Assign):
                if isinstance(node, cst.Assign) and any(_path(t.target) is not None and _path(t.target)[1] == path
                                                        for t in node.targets):
                    return None
    return model, found[0]


def _is_new_node(node: cst.CSTNode) -> bool:
    """``_C.TRAIN = CN()`` / ``edict()``: an empty subtree, filled by the assignments that follow."""
    value = getattr(node, "value", None)
    return isinstance(value, cst.Call) and not value.args


def _path(target: cst.BaseExpression) -> tuple[str, list[str]] | None:
    path: list[str] = []
    while isinstance(target, cst.Attribute):
        path.insert(0, target.attr.value)
        target = target.value
    return (target.value, path) if isinstance(target, cst.Name) and path else None


def _merged(model: "FileModel", root: str) -> bool:
    """Whether the file merges run-time settings into the tree of ``root`` (or any of its aliases)."""
    names = _aliases(model, root)
    for site in model.calls:
        func = site.node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _MERGES and isinstance(func.value, cst.Name) \
                and func.value.value in names:
            return True
        if any(isinstance(a.value, cst.Name) and a.value.value in names for a in site.node.args) \
                and isinstance(func, cst.Name) and ("update" in func.value or "merge" in func.value):
            return True
    return False
