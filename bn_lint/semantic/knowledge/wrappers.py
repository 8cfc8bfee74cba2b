"""Library calls that wrap a module they are given, one table: what the result holds, by qualified name.

``same``: the result runs the module it was given, with its weights and in its mode (`DistributedDataParallel(net)`,
`torch.compile(net)`, `convert_sync_batchnorm(net)`: a `.eval()` on either is an `.eval()` on both).
``copy``: the result holds a copy of the module, in the mode it had at the call (`AveragedModel(net)`).
"""
from __future__ import annotations

WRAPPERS: dict[str, str] = {
    # torch
    "torch.nn.DataParallel": "same", "torch.nn.parallel.DataParallel": "same",
    "torch.nn.parallel.data_parallel.DataParallel": "same",
    "torch.nn.DistributedDataParallel": "same", "torch.nn.parallel.DistributedDataParallel": "same",
    "torch.nn.parallel.distributed.DistributedDataParallel": "same",
    "torch.distributed.fsdp.FullyShardedDataParallel": "same",
    "torch.compile": "same",
    "torch.jit.script": "same",  # a ScriptModule of the module, in its mode (its `training` flag is kept)
    "torch.nn.SyncBatchNorm.convert_sync_batchnorm": "same",  # the module itself, its BatchNorm layers replaced
    "torch.nn.modules.batchnorm.SyncBatchNorm.convert_sync_batchnorm": "same",
    "torch.optim.swa_utils.AveragedModel": "copy",
    # NVIDIA apex
    "apex.parallel.DistributedDataParallel": "same", "apex.parallel.convert_syncbn_model": "same",
    # OpenMMLab
    "mmcv.parallel.MMDataParallel": "same", "mmcv.parallel.MMDistributedDataParallel": "same",
    "mmcv.parallel.MMDataCPU": "same", "mmdet.parallel.MMDataCPU": "same",
    "mmengine.model.MMDistributedDataParallel": "same",
}
# the result is the module it was given: same weights, same mode
SAME_MODULE = frozenset(name for name, holds in WRAPPERS.items() if holds == "same")
# the result holds the module's BatchNorm layers (the module itself, or a copy)
HOLDS_MODULE = frozenset(WRAPPERS)
# the wrapper classes by their own name, for a call whose import is not at hand (`DDP(model)`)
SAME_MODULE_CLASS_NAMES = frozenset(
    {name.rpartition(".")[2] for name in SAME_MODULE if name.rpartition(".")[2][:1].isupper()} | {"DDP"})
