"""BatchNorm layers that raise on a batch of one sample in training mode.

"Expected more than 1 value per channel when training" comes from a BatchNorm that sees
one value per channel: a ``BatchNorm1d`` on (N, C) features (an MLP head), or any
BatchNorm after pooling to 1×1 (an SE / attention gate, the image-pooling branch of
PSP / ASPP heads). ``fragile_layers`` finds both in a file from what the chain interpreter
saw each BatchNorm applied to: its rank and producer, and its map's size (1×1 after an
adaptive pool to 1, a mean over the map kept as dims or a window over the whole map, kept
through the convolutions and activations after it: ``shapes``).
"""
from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.shapes.producers import chains_of
from bn_lint.semantic.shapes.values import one_by_one

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel

# library models with a BatchNorm after pooling to 1x1 (torchvision's DeepLabV3: the ASPP pooling branch)
LIBRARY_FRAGILE_NAMES = r"deeplabv3_\w+|DeepLabHead|ASPP"  # (also the pre-filter's trigger for them)
_LIBRARY_FRAGILE = re.compile(rf"^torchvision\.models\.segmentation\.(deeplabv3\.)?({LIBRARY_FRAGILE_NAMES})$")
_CACHE: "weakref.WeakKeyDictionary[FileModel, list]" = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Fragile:
    """A BatchNorm constructor whose layer sees one value per channel on a batch of one."""

    node: cst.Call
    why: str  # "BatchNorm1d on (N, C)" / "BatchNorm2d after pooling to 1×1"


def fragile_layers(model: "FileModel") -> list[Fragile]:
    """The BatchNorm layers of this file that raise on a batch of one sample (see the module docstring)."""
    found = _CACHE.get(model)
    if found is None:
        found = _CACHE[model] = _one_value_per_channel(model)
    return found


def library_fragile(model: "FileModel", built: cst.Call) -> Fragile | None:
    """The fragile BatchNorm of the library model ``built`` builds, if it holds one."""
    qn = model.qualname(built.func) or ""
    if _LIBRARY_FRAGILE.match(qn):
        return Fragile(built, f"BatchNorm after the ASPP image pooling to 1×1 of {qn.rpartition('.')[2]}")
    return None


def project_fragile(model: "FileModel", names: set[str] | None = None) -> tuple["FileModel", Fragile] | None:
    """A fragile BatchNorm of this file or of a project file it imports, or a library model built here
    that holds one (the first found); with ``names``, only in what those names of this file reach (the
    builder a model comes from: ``generate_model(50)``), else in what any name the file reads reaches."""
    found = fragile_layers(model)
    if found:
        return model, found[0]
    for site in model.calls:
        library = library_fragile(model, site.node)
        if library is not None:
            return model, library
    project = model.project
    if project is None:
        return None
    # (in a module of many models, a layer of one this file never names is not in what it trains; a file
    # reached through another, `build()` of modeling.py returning `PoolHead` of layers.py, is)
    for other, reached in model.reached_files(names_read(model) if names is None else names):
        found = [f for f in fragile_layers(other) if _owner_name(other, f.node) in reached] \
            if project.mentions(other.path, "BatchNorm") else []
        found += [f for site in other.calls if _owner_name(other, site.node) in reached
                  for f in [library_fragile(other, site.node)] if f is not None]  # `net()` building a torchvision DeepLabV3
        if found:
            return other, found[0]
    return side_effect_fragile(model)


def side_effect_fragile(model: "FileModel") -> tuple["FileModel", Fragile] | None:
    """A fragile BatchNorm of a project module this file imports for its side effects (``import pyramid_vig``:
    its models registered for a factory, ``timm.create_model(args.model)``)."""
    project = model.project
    for dotted in _side_effect_imports(model) if project is not None else ():
        path = project.resolve_module(dotted, model.path)
        other = project.model(path) if path is not None and project.mentions(path, "BatchNorm") else None
        found = fragile_layers(other) if other is not None else []
        if found:
            return other, found[0]
    return None


def _side_effect_imports(model: "FileModel") -> list[str]:
    """The project modules imported whole and never read (``import pyramid_vig``): imported for what they do
    when they run, such as registering their models with a factory (``timm.create_model(args.model)``)."""
    read = [node.value for node in model.nodes_of(model.module, cst.Name)]
    return [dotted for name, dotted in model.imports.items()
            if name == dotted and "." not in name and read.count(name) <= 1]


def _owner_name(model: "FileModel", node: cst.CSTNode) -> str | None:
    """The module-level class or function of ``model`` that holds ``node`` (None at module level)."""
    owner = None
    for ancestor in model.ancestors(node):
        if isinstance(ancestor, (cst.ClassDef, cst.FunctionDef)):
            owner = ancestor.name.value
    return owner


def names_read(model: "FileModel") -> set[str]:
    """The names this file reads (``MLP`` of ``from common_models import MLP``, ``Net`` of ``models.Net``), not
    counting the import statements themselves (a class imported and never used is not in what the file runs)."""
    counts: dict[str, int] = {}
    for node in model.nodes_of(model.module, cst.Name, cst.Attribute):
        name = node.value if isinstance(node, cst.Name) else node.attr.value
        counts[name] = counts.get(name, 0) + 1
    for statement in model.nodes_of(model.module, cst.Import, cst.ImportFrom):
        for alias in statement.names if isinstance(statement.names, (list, tuple)) else ():
            shown = alias.asname.name if alias.asname is not None else alias.name
            while isinstance(shown, cst.Attribute):  # (`import a.b`: every part is a node of the statement)
                counts[shown.attr.value] = counts.get(shown.attr.value, 0) - 1
                shown = shown.value
            if isinstance(shown, cst.Name):
                counts[shown.value] = counts.get(shown.value, 0) - 1
            if alias.asname is not None:  # (`import x as y`: `x` is a node of the statement too)
                imported = alias.name
                while isinstance(imported, cst.Attribute):
                    counts[imported.attr.value] = counts.get(imported.attr.value, 0) - 1
                    imported = imported.value
                counts[imported.value] = counts.get(imported.value, 0) - 1
    return {name for name, count in counts.items() if count > 0}


def _one_value_per_channel(model: "FileModel") -> list[Fragile]:
    """The BatchNorm layers the chain interpreter saw applied to one value per channel per sample: a
    BatchNorm1d on (N, C) (rank 2, or the output of a Linear of unknown rank), or any BatchNorm on a batch
    of 1×1 maps (an SE / attention gate, the image-pooling branch of PSP / ASPP heads)."""
    found = []
    for call, observations in chains_of(model).observations.items():
        for seen in observations:
            name = seen.bn.spec.name
            tensor = seen.tensor
            producer = tensor.producer.spec.kind if tensor.producer is not None else None
            if name in ("BatchNorm1d", "LazyBatchNorm1d") and (
                    tensor.rank == 2 or (tensor.rank is None and producer == "linear")):
                found.append(Fragile(call, f"{name} on (N, C) features"))
                break
            if one_by_one(tensor) and "Sync" not in name:
                found.append(Fragile(call, f"{name} after pooling to 1×1"))
                break
    return found
