"""Whether a project builds or loads BatchNorm models: where a model's class is unknown, RULES.md lets a rule
assume it may hold BatchNorm only when the project itself builds such models."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bn_lint.repository_search import first_file_matching

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel

# what in a file's text shows it builds (or loads the class of) a BatchNorm model
_BUILDS_BN = re.compile(
    r"BatchNorm|norm_layer|\bbn\d*\b|torchvision\.models|segmentation_models_pytorch|(?i:res_?net|resnext|densenet|vgg\d+_bn|mobilenet|efficientnet|hrnet|darknet|deeplab|pspnet)|\bmodels\.\w*(?:resnet|densenet|vgg\d+_bn|mobilenet|efficientnet"
    r"|inception|regnet|resnext|shufflenet|mnasnet|googlenet)|timm\.create_model|torch\.hub\.load|\bresnet\d+\(")
# ... in PyTorch code: `bn` is also sympy's Bernoulli number, `ResNet` a word in any documentation
_TORCH_CODE = re.compile(r"\b(?:torch|timm|torchvision|segmentation_models_pytorch|pretrainedmodels)\b")
_BUILDS_BN_BYTES = (_BUILDS_BN.pattern.encode(), _TORCH_CODE.pattern.encode())


def project_builds_batchnorm(model: "FileModel") -> bool:
    """Whether the project builds or loads BatchNorm models: this file, a project file it imports, or any
    file of the repository it belongs to (a library function given a model is called from elsewhere)."""
    cache = model.index_facts
    if ("builds_bn", "") not in cache:
        found = _builds_bn(model.source)
        if not found and model.project is not None:
            for path in model.imported_project_paths[:20]:
                other = model.project.model(path)
                if other is not None and _builds_bn(other.source):
                    found = True
                    break
            else:
                found = first_file_matching(model.project, model.path, _BUILDS_BN_BYTES) is not None
        cache[("builds_bn", "")] = found
    return bool(cache[("builds_bn", "")])


def _builds_bn(text: str) -> bool:
    return bool(_BUILDS_BN.search(text)) and bool(_TORCH_CODE.search(text))
