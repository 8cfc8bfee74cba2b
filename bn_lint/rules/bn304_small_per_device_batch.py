"""BN304 small-per-device-batch."""
from __future__ import annotations

from typing import Iterable

from ..finding import Severity
from ..rule import Invalid, Rule, Valid
from ..semantic.model import FileModel, Report
from .bn301_tiny_batch import loader_label, min_batch_size

_SCRIPT = """
import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler

dist.init_process_group("nccl")
rank = dist.get_rank()
model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.LazyLinear(2))
{convert}model = DDP(model.to(rank), device_ids=[rank])
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
loader = DataLoader(dataset, batch_size={batch}, sampler=DistributedSampler(dataset))
for x, y in loader:
    optimizer.zero_grad()
    nn.functional.cross_entropy(model(x.to(rank)), y.to(rank)).backward()
    optimizer.step()
"""


class SmallPerDeviceBatch(Rule):
    code = "BN304"
    name = "small-per-device-batch"
    severity = Severity.WARNING
    summary = "A plain-BatchNorm model under DDP with a per-device batch below `min-batch-size`."
    what = """
        Flags the batch size of a training `DataLoader` that feeds a BatchNorm model wrapped in
        `DistributedDataParallel` (or that uses a `DistributedSampler`) when the file (and, when the
        wrap is in another file's helper, the project files it imports) never converts the model to
        SyncBatchNorm and the per-device batch size (the loader's `batch_size`) is
        below `min-batch-size` (default 8). A per-device batch of 1 is BN301's error.
    """
    why = """
        Under DDP each process normalises with the statistics of its own batch only: with 8 GPUs
        and 4 samples each, BatchNorm sees batches of 4, not 32. The statistics are noisy and the
        running averages differ per device (rank 0's are saved).
    """
    example = """
        model = DDP(model, device_ids=[rank])
        loader = DataLoader(dataset, batch_size=4, sampler=DistributedSampler(dataset))
    """
    fix_docs = """
        Convert before wrapping: `model = DDP(nn.SyncBatchNorm.convert_sync_batchnorm(model), ...)`,
        or raise the per-device batch size.
    """
    triggers = ("DistributedDataParallel", "DistributedSampler")
    invalid = (
        Invalid(_SCRIPT.format(convert="", batch=4), line=12),
        Invalid(
            """
            import argparse
            import torch
            import torch.nn as nn
            import torchvision
            from torch.nn.parallel import DistributedDataParallel

            def train(model, loader, optimizer):
                for images, targets in loader:
                    loss = nn.functional.cross_entropy(model(images), targets)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()

            def main():
                parser = argparse.ArgumentParser()
                parser.add_argument("--per-gpu-batch", dest="batch", type=int, default=2)
                args = parser.parse_args()
                torch.distributed.init_process_group("nccl")
                net = DistributedDataParallel(torchvision.models.resnet50().cuda())
                loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch)
                train(net, loader, torch.optim.SGD(net.parameters(), lr=0.1))
            """,
            line=20,
        ),
    )
    valid = (
        Valid(_SCRIPT.format(convert="model = nn.SyncBatchNorm.convert_sync_batchnorm(model)\n", batch=4)),
        Valid(_SCRIPT.format(convert="", batch=32)),
    )

    def check(self, model: FileModel) -> Iterable[Report]:
        batches = model.batches
        minimum = min_batch_size(model)
        for loader in batches.loaders:
            training = loader.bn_training
            size = loader.batch
            if training is None or size is None or not 2 <= size.value < minimum:
                continue
            if not (loader.distributed or training.ddp):
                continue
            if not (batches.ddp_calls or training.ddp) and batches.sync_batchnorm_anywhere():
                continue  # wrapped by another file's helper, which converts to SyncBatchNorm
            if batches.uses_sync_batchnorm:
                continue
            yield Report(
                loader.batch_node,
                f"{loader_label(loader)} feeds `{training.label}` (BatchNorm under DistributedDataParallel) "
                f"a per-device batch of {size.describe()}, below min-batch-size {minimum}: each process "
                "normalises with its own batch only; convert with `nn.SyncBatchNorm.convert_sync_batchnorm(model)` "
                "before wrapping, or raise the per-device batch",
            )
