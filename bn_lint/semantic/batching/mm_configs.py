"""Per-GPU batch sizes of OpenMMLab-style configs (mmcv / mmengine).

An mmseg / mmdet config sets the training batch per GPU as ``data = dict(samples_per_gpu=2,
...)`` (``imgs_per_gpu`` in older versions), ``train_dataloader = dict(batch_size=2, ...)``
(mmengine), or overrides it in a script (``cfg.data.samples_per_gpu = 1``). With a plain
BatchNorm norm config (``norm_cfg = dict(type='BN')``) every GPU normalises over that many
samples; the loader itself is built inside the library. ``config_batches`` yields each such
size with the node that writes it, when the file's norm config is plain BatchNorm (not
SyncBN, not frozen with ``norm_eval=True``) and the file builds no DataLoader itself (then
the loader analysis judges).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import libcst as cst


if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel

_PER_GPU_KEYS = frozenset({"samples_per_gpu", "imgs_per_gpu"})
_PLAIN_BN = frozenset({"BN", "BN1d", "BN2d", "BN3d", "BatchNorm", "BatchNorm2d"})


@dataclass(frozen=True)
class ConfigBatch:
    node: cst.BaseExpression  # the value written
    value: int
    key: str


def config_batches(model: "FileModel") -> Iterator[ConfigBatch]:
    source = model.source
    if "DataLoader" in source or not any(key in source for key in (*_PER_GPU_KEYS, "train_dataloader")):
        return
    if not _plain_batchnorm(model):
        return
    for node in model.nodes_of(model.module, cst.Call, cst.Assign):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict":
            owner = _assigned_name(model, node)
            for arg in node.args:
                if arg.keyword is None:
                    continue
                key = arg.keyword.value
                if key in _PER_GPU_KEYS or key == "batch_size" and owner == "train_dataloader":
                    yield from _sized(model, arg.value, key)
        elif isinstance(node, cst.Assign) and len(node.targets) == 1:
            key = _written_key(model, node.targets[0].target)
            if key is not None:
                yield from _sized(model, node.value, key)


def _sized(model: "FileModel", value: cst.BaseExpression, key: str) -> Iterator[ConfigBatch]:
    number = model.value(value, None)
    if isinstance(number, int) and not isinstance(number, bool):
        yield ConfigBatch(value, number, key)


def _assigned_name(model: "FileModel", call: cst.Call) -> str | None:
    parent = model.parent(call)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
        return parent.targets[0].target.value
    return None


def _written_key(model: "FileModel", target: cst.BaseExpression) -> str | None:
    """``cfg.data.samples_per_gpu`` / ``cfg['data']['samples_per_gpu']`` / ``cfg.train_dataloader.batch_size``."""
    if isinstance(target, cst.Attribute):
        key, outer = target.attr.value, target.value
        outer_key = outer.attr.value if isinstance(outer, cst.Attribute) else None
    elif isinstance(target, cst.Subscript) and len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
        key = model.value(target.slice[0].slice.value, None)
        outer = target.value
        outer_key = None
        if isinstance(outer, cst.Subscript) and len(outer.slice) == 1 and isinstance(outer.slice[0].slice, cst.Index):
            outer_key = model.value(outer.slice[0].slice.value, None)
    else:
        return None
    if key in _PER_GPU_KEYS or key == "batch_size" and outer_key == "train_dataloader":
        return key
    return None


def _plain_batchnorm(model: "FileModel") -> bool:
    """A ``type='BN'`` norm config, and no SyncBN or frozen norm (``norm_eval=True``) in the file."""
    source = model.source
    if "SyncBN" in source or "SyncBatchNorm" in source:
        return False
    plain = False
    for node in model.nodes_of(model.module, cst.Call):
        if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict"):
            continue
        for arg in node.args:
            if arg.keyword is None:
                continue
            if arg.keyword.value == "norm_eval" and model.value(arg.value, None) is True:
                return False
            if arg.keyword.value == "type" and model.value(arg.value, None) in _PLAIN_BN and _is_norm_cfg(model, node):
                plain = True
    return plain


def _is_norm_cfg(model: "FileModel", call: cst.Call) -> bool:
    """``norm_cfg = dict(type='BN')`` or ``norm_cfg=dict(type='BN')`` as a keyword."""
    parent = model.parent(call)
    if isinstance(parent, cst.Arg) and parent.keyword is not None:
        return "norm" in parent.keyword.value
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        target = parent.targets[0].target
        name = target.value if isinstance(target, cst.Name) else target.attr.value if isinstance(target, cst.Attribute) else ""
        return "norm" in name
    return False
