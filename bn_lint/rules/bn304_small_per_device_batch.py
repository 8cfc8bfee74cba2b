"""BN304 small-per-device-batch."""
from __future__ import annotations

from typing import Iterable

import libcst as cst

from ..finding import Severity
from ..rule import Invalid, Rule, Valid
from bn_lint.semantic.file.model import FileModel, Report
from bn_lint.semantic.batching.analysis import BatchAnalysis, Training
from bn_lint.semantic.nn_modules.bearing import ModelKind
from bn_lint.semantic.batching.loader_use import guess_training
from bn_lint.semantic.batching.per_device import per_device_bound
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


_MMSEG = """
import torch.nn as nn
from torch.utils.data import DataLoader, DistributedSampler

norm_cfg = dict(type="{norm}", requires_grad=True)
data = dict(samples_per_gpu=2, workers_per_gpu=2)


class Head(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv, self.bn = nn.Conv2d(c, c, 3, bias=False), nn.BatchNorm2d(c)


def build_train_loader(dataset):
    sampler = DistributedSampler(dataset, shuffle=True)
    return DataLoader(dataset, batch_size=data["samples_per_gpu"], sampler=sampler)
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
    use_instead = """
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # statistics over every device's batch
        model = DDP(model, device_ids=[rank])
        loader = DataLoader(dataset, batch_size=4, sampler=DistributedSampler(dataset))
    """
    options = ('min-batch-size',)
    references = (
        ('`torch.nn.SyncBatchNorm` and `convert_sync_batchnorm` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.SyncBatchNorm.html'),
        ('`DistributedDataParallel` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.parallel.DistributedDataParallel.html'),
        ('Wu & Johnson, Rethinking "Batch" in BatchNorm (2021)', 'https://arxiv.org/abs/2105.07576'),
    )
    triggers = ("DistributedDataParallel", "DistributedSampler")
    invalid = (
        Invalid(  # one model converted (a GAN's generator), the one this loader trains not
            _SCRIPT.format(convert="G = nn.SyncBatchNorm.convert_sync_batchnorm(G)\n", batch=4), line=13,
        ),
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
        Invalid(  # torchvision's reference loop: batches drawn through `MetricLogger.log_every(data_loader, ...)`
            """
            import argparse
            import torch
            import torch.distributed as dist
            import torch.nn as nn
            import torchvision


            class MetricLogger:
                def log_every(self, iterable, print_freq, header=""):
                    for i, obj in enumerate(iterable):
                        yield obj
                        if i % print_freq == 0:
                            print(header, i)


            def train_one_epoch(model, optimizer, data_loader):
                model.train()
                metric_logger = MetricLogger()
                for image, target in metric_logger.log_every(data_loader, 10, "Epoch"):
                    loss = nn.functional.cross_entropy(model(image), target)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()


            def main(args):
                dist.init_process_group("nccl")
                dataset = torchvision.datasets.ImageFolder(args.data_path)
                sampler = torch.utils.data.distributed.DistributedSampler(dataset)
                data_loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch_size, sampler=sampler)
                model = torchvision.models.resnet50()
                model = torch.nn.parallel.DistributedDataParallel(model)
                optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
                for epoch in range(args.epochs):
                    train_one_epoch(model, optimizer, data_loader)


            if __name__ == "__main__":
                parser = argparse.ArgumentParser()
                parser.add_argument("--data-path", default="/data")
                parser.add_argument("-b", "--batch-size", default=4, type=int, help="images per gpu")
                parser.add_argument("--epochs", default=90, type=int)
                main(parser.parse_args())
            """,
            line=30,
        ),
        Invalid(_MMSEG.format(norm="BN"), line=16),  # the loader's trainer is out of sight; an mmseg-style config
    )
    valid = (
        Valid(_SCRIPT.format(convert="model = nn.SyncBatchNorm.convert_sync_batchnorm(model)\n", batch=4)),
        Valid(  # converted under another name, then wrapped under a third
            _SCRIPT.format(convert="", batch=4).replace(
                "model = DDP(model.to(rank), device_ids=[rank])",
                "net = nn.SyncBatchNorm.convert_sync_batchnorm(model)\nmodel = DDP(net.to(rank), device_ids=[rank])")
        ),
        Valid(_SCRIPT.format(convert="", batch=32)),
        Valid(_MMSEG.format(norm="SyncBN")),  # the config's norm is SyncBatchNorm
    )

    def check(self, model: FileModel) -> Iterable[Report]:
        batches = model.analysis(BatchAnalysis)
        minimum = min_batch_size(model)
        for loader in batches.loaders:
            training = loader.bn_training
            size, at_most = loader.batch, ""
            if size is None and loader.batch_given:  # `args.batch_size // dist.get_world_size()`
                size, at_most = per_device_bound(batches, loader.batch_node, loader.scope), "at most "
                if size is not None and size.value < 1:
                    continue
            elif size is not None and size.value < 2:
                continue  # BN301's error
            if size is None or size.value >= minimum:
                continue
            if training is None:  # a model of unknown class, or a training loader whose loop is out of sight
                guess = guess_training(batches, loader) if loader.distributed else None
                if guess is not None and not batches.sync_batchnorm_anywhere():
                    yield Report(
                        loader.batch_node,
                        f"{loader_label(loader)} is a training loader with a DistributedSampler ({guess.how}) of a "
                        f"model that may hold BatchNorm (this project builds BatchNorm layers): a per-device batch of "
                        f"{at_most}{size.describe()}, below min-batch-size {minimum}: each process normalises with its own "
                        "batch only; convert with `nn.SyncBatchNorm.convert_sync_batchnorm(model)` before wrapping, "
                        "or raise the per-device batch",
                    )
                continue
            if not (loader.distributed or training.ddp):
                continue
            if not (batches.ddp_calls or training.ddp) and batches.sync_batchnorm_anywhere():
                continue  # wrapped by another file's helper, which converts to SyncBatchNorm
            if batches.uses_sync_batchnorm:
                # (a GAN whose generator alone is converted: the discriminator's BatchNorm stays per device)
                training = _unconverted(model, loader)
                if training is None:
                    continue
            yield Report(
                loader.batch_node,
                f"{loader_label(loader)} feeds `{training.label}` (BatchNorm under DistributedDataParallel) "
                f"a per-device batch of {at_most}{size.describe()}, below min-batch-size {minimum}: each process "
                "normalises with its own batch only; convert with `nn.SyncBatchNorm.convert_sync_batchnorm(model)` "
                "before wrapping, or raise the per-device batch",
            )


def _unconverted(model: FileModel, loader) -> Training | None:
    """A BatchNorm model the loader trains under DDP that no ``convert_sync_batchnorm(name)`` of this
    file converts, when every conversion names its model and no SyncBatchNorm layer is built directly."""
    batches = model.analysis(BatchAnalysis)
    converted = set()
    for call, _ in batches.sync_calls:
        arg = call.args[0].value if call.args else None
        if not isinstance(arg, cst.Name):
            return None
        converted.add(arg.value)
    if not converted or any(layer.spec.name == "SyncBatchNorm" for layer in model.layer_calls):
        return None
    for training in loader.trains:
        if training.kind is ModelKind.BN and training.ddp and training.label.isidentifier() \
                and not converted & _names_behind(model, training.label):
            return training
    return None


def _names_behind(model: FileModel, name: str) -> set[str]:
    """``name`` and the names it was made from: ``ddp = DDP(net.cuda())`` gives {ddp, net}; every binding
    of each name in the file counts (``model = convert(model)``, ``model = DDP(model)``)."""
    found, todo = {name}, [name]
    while todo:
        current = todo.pop()
        for assign in model.nodes_of(model.module, cst.Assign):
            if not any(isinstance(t.target, cst.Name) and t.target.value == current for t in assign.targets):
                continue
            value = assign.value
            while isinstance(value, cst.Call):
                if isinstance(value.func, cst.Attribute) and not value.args or isinstance(value.func, cst.Attribute) \
                        and value.func.attr.value in ("to", "cuda", "cpu"):
                    value = value.func.value  # `net.cuda()`, `net.to(device)`
                elif value.args and not value.args[0].keyword:
                    value = value.args[0].value  # `DDP(net, ...)`
                else:
                    break
            if isinstance(value, cst.Name) and value.value not in found:
                found.add(value.value)
                todo.append(value.value)
    return found
