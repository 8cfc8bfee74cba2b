"""Whether a project builds or loads BatchNorm models: where a model's class is unknown, RULES.md lets a rule
assume it may hold BatchNorm only when the project itself builds such models."""
from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from bn_lint.repository_search import first_file_matching

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel

# what in a file's text shows it builds (or loads the class of) a BatchNorm model
_BUILDS_BN = re.compile(
    r"BatchNorm|norm_layer|(?<![\w-])bn\d*(?![\w-])|torchvision\.models|segmentation_models_pytorch|(?i:res_?net|resnext|densenet|vgg\d+_bn|mobilenet|efficientnet|hrnet|darknet|deeplab|pspnet)|\bmodels\.\w*(?:resnet|densenet|vgg\d+_bn|mobilenet|efficientnet"
    r"|inception|regnet|resnext|shufflenet|mnasnet|googlenet)|timm\.create_model|torch\.hub\.load|\bresnet\d+\(")
# (`bn` a name of its own: not the `bn-lint` of a notebook's cell markers)
# ... in PyTorch code: `bn` is also sympy's Bernoulli number, `ResNet` a word in any documentation
_TORCH_CODE = re.compile(r"\b(?:torch|timm|torchvision|segmentation_models_pytorch|pretrainedmodels)\b")
_NOTEBOOK = ".ipynb"
_BUILDS_BN_BYTES = (_BUILDS_BN.pattern.encode(), _TORCH_CODE.pattern.encode())


def project_builds_batchnorm(model: "FileModel") -> bool:
    """Whether the project builds or loads BatchNorm models: this file, a project file it imports (a package's
    ``__init__.py`` that re-exports its modules, ``from .resnet import ResNet``, stands for them), or any file of
    the repository it belongs to (a library function given a model is called from elsewhere); a notebook is a
    program of its own, which no other file imports: its cells and the files they import."""
    cache = model.index_facts
    if ("builds_bn", "") not in cache:
        found = _builds_bn(model.source)
        if not found and model.project is not None:
            found = any(_imported_builds_bn(model, path) for path in model.imported_project_paths[:20]) \
                or not model.path.endswith(_NOTEBOOK) \
                and first_file_matching(model.project, model.path, _BUILDS_BN_BYTES) is not None
        cache[("builds_bn", "")] = found
    return bool(cache[("builds_bn", "")])


def _builds_bn(text: str) -> bool:
    return bool(_BUILDS_BN.search(text)) and bool(_TORCH_CODE.search(text))


def _imported_builds_bn(model: "FileModel", path: str) -> bool:
    """Whether the imported project file builds BatchNorm models, or, a package's ``__init__.py``, one of the
    modules of its package it imports does."""
    other = model.project.model(path) if model.project is not None else None
    if other is None:
        return False
    if _builds_bn(other.source):
        return True
    if os.path.basename(path) != "__init__.py":
        return False
    package = os.path.dirname(os.path.abspath(path))
    for inner in other.imported_project_paths[:20]:
        if os.path.dirname(os.path.abspath(inner)).startswith(package) and inner != path:
            found = model.project.model(inner)
            if found is not None and _builds_bn(found.source):
                return True
    return False
