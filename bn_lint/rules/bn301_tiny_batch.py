"""BN301 tiny-batch."""
from __future__ import annotations

import os
import textwrap
from typing import Iterable

from ..finding import Severity
from ..rule import Invalid, Rule, Valid
from bn_lint.semantic.batching.mm_configs import config_batches
from bn_lint.semantic.file.model import FileModel, Report
from bn_lint.semantic.batching.analysis import BatchAnalysis
from bn_lint.semantic.batching.one_sample import LIBRARY_FRAGILE_NAMES
from bn_lint.semantic.evaluations.single_sample import single_sample_calls
from bn_lint.semantic.knowledge.model_runners import PROBE_TRIGGERS
from bn_lint.semantic.batching.tiny_loaders import tiny_training_loaders
from bn_lint.semantic.modes import ModeAnalysis
from bn_lint.semantic.modes.training_steps import trains_in_eval

DEFAULT_MIN_BATCH = 8


def min_batch_size(model: FileModel) -> int:
    settings = model.settings
    return settings.min_batch_size if settings is not None else DEFAULT_MIN_BATCH


def _place(model: FileModel, found) -> str:
    """Where a single-sample finding's BatchNorm is: its line, and its file when another."""
    line = f"line {found.layer_model.line_of(found.layer.node)}"
    if found.layer_model is model:
        return line
    return f"{line} of {os.path.relpath(found.layer_model.path, os.path.dirname(model.path))}"


def loader_label(loader) -> str:
    return f"`{loader.name}`" if loader.name else "this DataLoader"


_SEGMENTOR = """
import torch
import torch.nn as nn
from torch.utils.data import DataLoader

data = dict(samples_per_gpu=1, workers_per_gpu=1)


def freeze_bn(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()


def train_segmentor(model, dataset, optimizer):
    loader = DataLoader(dataset, batch_size=data["samples_per_gpu"], num_workers=data["workers_per_gpu"])
    model.train()
{freeze}    for img, gt in loader:
        loss = nn.functional.cross_entropy(model(img), gt)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


class ImagePool(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.pool, self.conv, self.norm = nn.AdaptiveAvgPool2d(1), nn.Conv2d(cin, cout, 1), {norm}
"""


_PROBE = """
import torch
import torch.nn as nn

embedding_net = nn.Sequential(nn.Linear(100, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 10))


def build_flow(batch, embedding_net):
    {before}size = {call}.numel()
    return nn.Linear(size, 8)


flow = build_flow(torch.randn(1000, 100), embedding_net)
"""


_PRELUDE = textwrap.dedent("""
    import torch
    import torch.nn as nn
    from torch.utils.data import DataLoader, TensorDataset

    model = nn.Sequential(nn.Linear(10, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    dataset = TensorDataset(torch.randn(64, 10), torch.randint(0, 2, (64,)))
""")
_LOOP = textwrap.dedent("""
    for x, y in loader:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
""")
_CONFIG_TWO_CALLS = textwrap.dedent("""
    CONFIG = {{'batch_size': {batch}, 'epochs': 3}}


    def make_loader(cfg):
        return DataLoader(dataset, batch_size=int(cfg['batch_size']), shuffle=True)


    def main(cfg):
        loader = make_loader(cfg)
        for x, y in loader:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()


    main(CONFIG)
""")
_UNPACKED = textwrap.dedent("""
    import torch
    import torch.nn as nn
    from torch.utils.data import DataLoader


    def build(width):
        net = nn.Sequential(nn.Linear(10, width), nn.BatchNorm1d(width), nn.ReLU(), nn.Linear(width, 2))
        return net, torch.optim.SGD(net.parameters(), lr=0.1)


    model, optimizer = build(16)
    loader = DataLoader(dataset, batch_size={batch})
""") + _LOOP

# code BN301 must flag, with the line of each finding
INVALID = (
    Invalid(_PRELUDE + "loader = DataLoader(dataset, batch_size=1, shuffle=True)\n" + _LOOP, line=8),
    # the model is the first element of the tuple its builder returns
    Invalid(_UNPACKED.format(batch=2), line=12),
    Invalid(_PRELUDE + "loader = DataLoader(dataset, shuffle=True)\n" + _LOOP, line=8),
    # through an alias of a config dict
    Invalid(_PRELUDE + "CONFIG = {'batch_size': 2}\ncfg = CONFIG\nloader = DataLoader(dataset, batch_size=cfg['batch_size'])\n"
            + _LOOP, line=10),
    # a module-level config given to `main`, which gives it to the helper that builds the loader (NNCF's samples)
    Invalid(_PRELUDE + _CONFIG_TWO_CALLS.format(batch=2), line=13),
    Invalid(
        """
        import argparse
        import torch
        import torch.nn as nn
        from torch.utils.data import DataLoader


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())

            def forward(self, x):
                return self.body(x).mean((2, 3))


        def train(model, loader, optimizer):
            model.train()
            for images, labels in loader:
                loss = nn.functional.cross_entropy(model(images), labels)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()


        parser = argparse.ArgumentParser()
        parser.add_argument("--batch-size", type=int, default=4)
        args = parser.parse_args()
        net = Net()
        train_loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True)
        train(net, train_loader, torch.optim.Adam(net.parameters()))
        """,
        line=29,
    ),
    Invalid(  # PyTorch's transfer-learning tutorial: a dict of loaders by split, trained in a phase loop
        """
        import torch
        from torchvision import datasets, models

        image_datasets = {x: datasets.ImageFolder(x) for x in ["train", "val"]}
        dataloaders = {x: torch.utils.data.DataLoader(image_datasets[x], batch_size=4, shuffle=True)
                       for x in ["train", "val"]}

        def train_model(model, optimizer, num_epochs=25):
            for epoch in range(num_epochs):
                for phase in ["train", "val"]:
                    model.train() if phase == "train" else model.eval()
                    for inputs, labels in dataloaders[phase]:
                        with torch.set_grad_enabled(phase == "train"):
                            loss = torch.nn.functional.cross_entropy(model(inputs), labels)
                            if phase == "train":
                                loss.backward()
                                optimizer.step()

        model = models.resnet18(weights="DEFAULT")
        train_model(model, torch.optim.SGD(model.parameters(), lr=0.001))
        """,
        line=5,
    ),
    Invalid(  # a config dataclass handed to the function that builds the loaders
        """
        from dataclasses import dataclass
        import torch
        import torch.nn as nn
        from torch.utils.data import DataLoader

        @dataclass
        class Config:
            batch_size: int = 2
            lr: float = 3e-4

        def make_loader(cfg, dataset):
            return DataLoader(dataset, batch_size=cfg.batch_size, shuffle=True)

        if __name__ == "__main__":
            cfg = Config()
            loader = make_loader(cfg, train_set)
            model = nn.Sequential(nn.Conv2d(1, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten(), nn.LazyLinear(2))
            opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
            for x, y in loader:
                nn.functional.cross_entropy(model(x), y).backward()
                opt.step()
        """,
        line=12,
    ),
    # a model of unknown class (a parameter) in a project that builds BatchNorm; an mmseg-style config
    Invalid(_SEGMENTOR.format(freeze="", norm="nn.BatchNorm2d(cout)"), line=15),
    Invalid(  # a training loader packed in a dict for a trainer (its loop is out of sight)
        """
        import torch
        import torch.nn as nn
        from torch.utils.data import DataLoader

        class Block(nn.Module):
            def __init__(self, cin, cout):
                super().__init__()
                self.conv, self.bn = nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout)

        def main(model, train_set, run_trainer):
            train_loader = DataLoader(train_set, batch_size=1, shuffle=True, drop_last=True)
            run_trainer(dict(model=model, train_loader=train_loader, epochs=30))
        """,
        line=11,
    ),
    # a model run on one sample in training mode: a probe that infers an output size
    Invalid(_PROBE.format(before="", call="embedding_net(batch[:1])"), line=8),
    Invalid("import torch\nbn = torch.nn.BatchNorm1d(100)\nout = bn(torch.randn(1, 100))\n", line=3),
    Invalid(  # torchvision's DeepLabV3 trained on one image: its ASPP pooling branch (vision issue 2151)
        "import torch\nimport torchvision\n\nmodel = torchvision.models.segmentation.deeplabv3_resnet50(num_classes=21)\n"
        "model.train()\nimage = torch.rand(1, 3, 240, 320)\noutput = model(image)['out']\n",
        line=7,
    ),
)

# code BN301 must not flag
VALID = (
    Valid(_PRELUDE + "loader = DataLoader(dataset, batch_size=32, shuffle=True)\n" + _LOOP),
    Valid(_UNPACKED.format(batch=32)),
    Valid(_PRELUDE + _CONFIG_TWO_CALLS.format(batch=32)),
    # every BatchNorm swapped for Identity before training with batches of two
    Valid(_PRELUDE + textwrap.dedent("""
        def strip_batchnorm(module):
            for name, child in module.named_children():
                if isinstance(child, nn.modules.batchnorm._BatchNorm):
                    setattr(module, name, nn.Identity())
                else:
                    strip_batchnorm(child)
            return module

        model = strip_batchnorm(model)
        loader = DataLoader(dataset, batch_size=2, shuffle=True)
    """) + _LOOP),
    # the alias is changed before use: its entry is not the literal any more
    Valid(_PRELUDE + "CONFIG = {'batch_size': 2}\ncfg = CONFIG\ncfg['batch_size'] = 64\n"
          "loader = DataLoader(dataset, batch_size=cfg['batch_size'])\n" + _LOOP),
    Valid(
        _PRELUDE
        + textwrap.dedent("""
        loader = DataLoader(dataset, batch_size=1)
        model.eval()
        with torch.no_grad():
            for x, y in loader:
                print(model(x).argmax(1) == y)
        """)
    ),
    Valid(
        """
        import torch
        import torch.nn as nn
        from torch.utils.data import DataLoader

        model = nn.Sequential(nn.Linear(10, 16), nn.LayerNorm(16), nn.Linear(16, 2))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        loader = DataLoader(dataset, batch_size=1)
        for x, y in loader:
            nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        """
    ),
    Valid(
        _PRELUDE
        + textwrap.dedent("""
        def make(batch_size):
            return DataLoader(dataset, batch_size=batch_size)
        """)
    ),
    Valid(  # the same tutorial, where only the validation split has a small batch
        """
        import torch
        from torchvision import datasets, models

        image_datasets = {x: datasets.ImageFolder(x) for x in ["train", "val"]}
        dataloaders = {
            "train": torch.utils.data.DataLoader(image_datasets["train"], batch_size=32, shuffle=True),
            "val": torch.utils.data.DataLoader(image_datasets["val"], batch_size=4),
        }

        def train_model(model, optimizer, num_epochs=25):
            for epoch in range(num_epochs):
                for phase in ["train", "val"]:
                    model.train() if phase == "train" else model.eval()
                    for inputs, labels in dataloaders[phase]:
                        with torch.set_grad_enabled(phase == "train"):
                            loss = torch.nn.functional.cross_entropy(model(inputs), labels)
                            if phase == "train":
                                loss.backward()
                                optimizer.step()

        model = models.resnet18(weights="DEFAULT")
        train_model(model, torch.optim.SGD(model.parameters(), lr=0.001))
        """
    ),
    # the same trainer freezes every BatchNorm (eval) before its loop: the maintainers' recipe for batch 1
    Valid(_SEGMENTOR.format(freeze="    freeze_bn(model)\n", norm="nn.BatchNorm2d(cout)")),
    Valid(_SEGMENTOR.format(freeze="", norm="nn.GroupNorm(8, cout)")),  # the project builds no BatchNorm
    Valid(  # an evaluation loader packed for the trainer
        """
        import torch.nn as nn
        from torch.utils.data import DataLoader

        net = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))

        def main(model, val_set, run_trainer):
            val_loader = DataLoader(val_set, batch_size=1)
            run_trainer(dict(model=model, val_loader=val_loader))
        """
    ),
    Valid(_PROBE.format(before="embedding_net.eval()\n    ", call="embedding_net(batch[:1])")),
    Valid(_PROBE.format(before="", call="embedding_net(batch[:2])")),
    Valid("import torch\nbn = torch.nn.BatchNorm2d(8)\nout = bn(torch.randn(1, 8, 32, 32))\n"),  # H x W values
    Valid("import torch\nimport torchvision\n\nmodel = torchvision.models.segmentation.deeplabv3_resnet50(num_classes=21)\n"
          "model.eval()\nimage = torch.rand(1, 3, 240, 320)\noutput = model(image)['out']\n"),
)


class TinyBatch(Rule):
    code = "BN301"
    name = "tiny-batch"
    severity = Severity.ERROR  # a warning when the batch size is above 1
    summary = "A BatchNorm model is trained with a batch size below `min-batch-size` (1 is an error)."
    what = """
        Flags the batch size of a training `DataLoader` (a loader iterated in a loop that runs a
        model and calls `backward()` / `optimizer.step()`) when the trained model contains
        BatchNorm and the batch size is below `min-batch-size` (default 8). The batch size is
        resolved from literals, constants, arithmetic, argparse / click / typer defaults, config
        dicts, yacs / EasyDict trees, dataclass and settings-class defaults, keyword bundles
        (`**loader_args`) and `os.environ.get` defaults; a `DataLoader` without `batch_size` uses 1.
        Following the evidence policy, the model may be of unknown class (a parameter) when the
        project builds BatchNorm, and the loader one whose loop is out of sight when its name or
        its shuffling says it trains. Also flagged: an OpenMMLab config's `samples_per_gpu` with a
        plain `type='BN'` norm config, and a model run in training mode on a batch of one sample
        (`bn(torch.randn(1, 100))`, a graph probe) when it holds a BatchNorm that then sees one value
        per channel. Batch size 1 is an error, larger ones a warning. Evaluation loaders (under
        `torch.no_grad()`, model in eval mode, no backward pass, named for evaluation) are not
        findings, and an unknown batch size is never guessed.
    """
    why = """
        In training mode BatchNorm normalises with the statistics of the current batch. With
        one sample, `BatchNorm1d` raises "Expected more than 1 value per channel when training";
        `BatchNorm2d`/`3d` normalise each image by its own statistics, which removes per-sample
        information and feeds single-sample statistics into the running averages used at
        evaluation. Batches of a handful of samples give noisy statistics and poor running averages.
    """
    example = """
        loader = DataLoader(dataset, batch_size=1, shuffle=True)
        for x, y in loader:
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
    """
    fix_docs = """
        Use a larger batch (at least `min-batch-size`), or replace BatchNorm with GroupNorm /
        LayerNorm when memory forbids larger batches. Set `min-batch-size` under `[tool.bn-lint]`.
    """
    use_instead = """
        loader = DataLoader(dataset, batch_size=32, shuffle=True)
        for x, y in loader:
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
    """
    options = ('min-batch-size',)
    references = (
        ('`torch.nn.BatchNorm2d` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html'),
        ('`torch.nn.GroupNorm` (PyTorch docs)', 'https://pytorch.org/docs/stable/generated/torch.nn.GroupNorm.html'),
        ('Wu & He, Group Normalization (2018)', 'https://arxiv.org/abs/1803.08494'),
        ('Wu & Johnson, Rethinking "Batch" in BatchNorm (2021)', 'https://arxiv.org/abs/2105.07576'),
    )
    # (a model run on one sample: a BatchNorm of this file; an OpenMMLab config's per-GPU batch)
    triggers = ("DataLoader", "BatchNorm", "_per_gpu", "train_dataloader", LIBRARY_FRAGILE_NAMES, *PROBE_TRIGGERS)
    invalid = INVALID
    valid = VALID

    def check(self, model: FileModel) -> Iterable[Report]:
        batches = model.analysis(BatchAnalysis)
        minimum = min_batch_size(model)
        for found in tiny_training_loaders(batches, minimum):
            loader, size, guess = found.loader, found.size, found.guess
            if loader.trains and all(trains_in_eval(model.analysis(ModeAnalysis), t.loop) for t in loader.trains):
                continue  # (the model trains in eval mode: BatchNorm frozen on purpose, on its running averages)
            per_device = " per device" if found.distributed else ""
            if not loader.batch_given:
                where = "a DataLoader without `batch_size` uses batch size 1"
            else:
                where = f"batch size {size.describe()}{per_device}"
            if guess.certain:
                trains = f"{loader_label(loader)} trains `{guess.label}` (a BatchNorm model)"
            else:
                trains = (f"{loader_label(loader)} is a training loader ({guess.how}) of a model that may hold "
                          "BatchNorm (this project builds BatchNorm layers)")
            if size.value == 1:
                message = (
                    f"{trains}: {where}; "
                    "in training BatchNorm1d raises \"Expected more than 1 value per channel when training\" "
                    "and BatchNorm2d/3d normalise each sample by its own statistics; use a batch size of at "
                    f"least {minimum}"
                )
                yield Report(loader.batch_node, message, severity=Severity.ERROR)
            else:
                message = (
                    f"{trains} with {where}, "
                    f"below min-batch-size {minimum}: BatchNorm's batch statistics over {size.value} samples "
                    "are noisy and its running averages poor; use a larger batch or GroupNorm"
                )
                yield Report(loader.batch_node, message, severity=Severity.WARNING)
        for config in config_batches(model):  # `data = dict(samples_per_gpu=1)` with `norm_cfg = dict(type='BN')`
            if 1 <= config.value < minimum:
                yield Report(
                    config.node,
                    f"`{config.key}={config.value}` trains a model whose norm config is plain BatchNorm "
                    f"(`type='BN'`) with {config.value} sample{'s' if config.value > 1 else ''} per GPU, below "
                    f"min-batch-size {minimum}: "
                    + ("BatchNorm raises \"Expected more than 1 value per channel when training\" after pooling "
                       "to 1×1 (PSP/ASPP heads) and normalises each image by its own statistics"
                       if config.value == 1 else "its batch statistics are noisy and its running averages poor")
                    + "; use more samples per GPU, or SyncBN / GN",
                    severity=Severity.ERROR if config.value == 1 else Severity.WARNING,
                )
        for found in single_sample_calls(model):
            yield Report(
                found.call,
                f"`{found.label}` runs in training mode on a batch of one sample, and its "
                f"{found.layer.why} ({_place(model, found)}) sees one value per channel: it raises "
                "\"Expected more than 1 value per channel when training\"; use at least 2 samples or call "
                f"`{found.label}.eval()` first",
                severity=Severity.ERROR,
            )
