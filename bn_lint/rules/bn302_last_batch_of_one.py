"""BN302 last-batch-of-one."""
from __future__ import annotations

import os
import textwrap
from typing import Iterable

import libcst as cst

from ..finding import Severity
from ..rule import Invalid, Rule, Valid
from bn_lint.semantic.file.model import FileModel, NodeFix, Report
from bn_lint.semantic.batching.analysis import BatchAnalysis
from bn_lint.semantic.batching.loader_use import consumers, guess_training, named_for_evaluation, skips_batch_of_one
from bn_lint.semantic.batching.one_sample import project_fragile
from .bn301_tiny_batch import loader_label, min_batch_size

_PRELUDE = textwrap.dedent("""
    import torch
    import torch.nn as nn
    from torch.utils.data import DataLoader, TensorDataset, random_split

    model = nn.Sequential(nn.Linear(10, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
""")
_LOOP = textwrap.dedent("""
    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
""")


_ASPP = """
import torch
import torch.nn as nn
from torch.utils.data import DataLoader


class ASPPPooling(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(nn.AdaptiveAvgPool2d({pool}), nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


def train(model, train_set, optimizer):
    model.train()
    for images, masks in DataLoader(train_set, batch_size=8, shuffle=True{drop}):
        loss = nn.functional.cross_entropy(model(images), masks)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
"""


_CIRCLES = textwrap.dedent("""
    class Circles(torch.utils.data.Dataset):
        def __init__(self, n):
            self.n = n

        def __len__(self):
            return self.n

        def __getitem__(self, i):
            return torch.randn(10), i % 2

""")
_SELF_TRAINED = textwrap.dedent("""
    import torch.nn as nn
    from torch.utils.data import DataLoader


    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(136, 64), nn.BatchNorm1d(64), nn.LeakyReLU())

        def forward(self, x):
            return self.encoder(x)

        def trainepoch(self, dataset, optimizer):
            self.train()
            for x in DataLoader(dataset, batch_size=12, shuffle=True{drop}):
                optimizer.zero_grad()
                self(x).pow(2).mean().backward()
                optimizer.step()
""")


class LastBatchOfOne(Rule):
    code = "BN302"
    name = "last-batch-of-one"
    severity = Severity.ERROR
    fixable = True
    summary = "A training `DataLoader` whose last batch holds exactly one sample."
    what = """
        Flags a training `DataLoader` of a BatchNorm model without `drop_last=True` when the
        dataset's length is known from the code (a `TensorDataset` with a tensor of literal first
        dimension, `range(n)`, a list literal, `random_split` / `Subset` sizes, a dataset class
        whose `__len__` returns a constant) and `len(dataset) % batch_size == 1` (an error). When
        the length is unknown, a warning if the model holds a BatchNorm that sees one value per
        channel on one sample (a `BatchNorm1d` on (N, C), a BatchNorm after pooling to 1×1: SE /
        attention gates, PSP / ASPP image pooling) and the batch size is between `min-batch-size`
        and twice it (smaller batches are BN301's; with larger ones a remainder of 1 is rare).
        The training loader may be one whose loop is out of sight (built and returned by a helper,
        packed for a trainer) when its name or its shuffling says so, and its model one of unknown
        class when the project builds such layers. Loaders named for evaluation are not findings, nor
        those whose loop keeps a batch of one sample from the model (`if x.size(0) == 1: continue`).
    """
    why = """
        The last batch of every epoch then holds one sample. In training mode `BatchNorm1d`
        raises "Expected more than 1 value per channel when training" at the end of the first
        epoch, after all the work of that epoch; `BatchNorm2d` normalises that one image by its
        own statistics and pushes them into the running averages.
    """
    example = """
        dataset = TensorDataset(torch.randn(1001, 10), torch.randint(0, 2, (1001,)))
        loader = DataLoader(dataset, batch_size=100, shuffle=True)  # 1001 = 10 * 100 + 1
    """
    fix_docs = """
        Pass `drop_last=True` (`--fix` adds it), or change the batch size.
    """
    use_instead = """
        dataset = TensorDataset(torch.randn(1001, 10), torch.randint(0, 2, (1001,)))
        loader = DataLoader(dataset, batch_size=100, shuffle=True, drop_last=True)
    """
    references = (
        ('`torch.utils.data.DataLoader`: `drop_last` (PyTorch docs)',
         'https://pytorch.org/docs/stable/data.html#torch.utils.data.DataLoader'),
        ('`torch.nn.BatchNorm2d` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html'),
    )
    fix_safety = "unsafe"
    fix_safety_docs = """
        `drop_last=True` leaves the last samples of every epoch out of training: the data the model
        sees changes.
    """
    triggers = ("DataLoader",)
    invalid = (
        # a method of the model's own class trains `self`: an instance of a class with BatchNorm1d
        Invalid(_SELF_TRAINED.format(drop=""), line=15),
        # a Dataset class of the file: its __len__ gives what __init__ stores from the argument
        Invalid(_PRELUDE + _CIRCLES + "loader = DataLoader(Circles(1001), batch_size=100, shuffle=True)\n" + _LOOP,
                line=18),
        Invalid(  # NumPy's module-level sampler: 1001 rows
            _PRELUDE + "import numpy as np\n"
            + "features = np.random.uniform(-3, 3, size=(1001, 10)).astype(np.float32)\n"
            + "loader = DataLoader(TensorDataset(torch.from_numpy(features), torch.from_numpy(features).sum(1)), batch_size=100)\n"
            + _LOOP,
            line=9,
        ),
        Invalid(
            _PRELUDE
            + "dataset = TensorDataset(torch.randn(1001, 10), torch.randint(0, 2, (1001,)))\n"
            + "loader = DataLoader(dataset, batch_size=100, shuffle=True)\n"
            + _LOOP,
            line=8,
        ),
        Invalid(
            _PRELUDE
            + "full = TensorDataset(torch.randn(1001, 10), torch.randint(0, 2, (1001,)))\n"
            + "train_set, val_set = random_split(full, [0.8, 0.2])\n"
            + "loader = DataLoader(train_set, batch_size=32, shuffle=True, drop_last=False)\n"
            + _LOOP,
            line=9,
        ),
        Invalid(  # filled in place: still 1001 rows
            _PRELUDE
            + "features = torch.empty(1001, 10).uniform_(-1.0, 1.0)\n"
            + "loader = DataLoader(TensorDataset(features, features.sin()), batch_size=100, shuffle=True)\n"
            + _LOOP,
            line=8,
        ),
        Invalid(  # scaled and shifted: still 1001 rows
            _PRELUDE
            + "features = torch.rand(1001, 10) * 2.0 - 1.0\n"
            + "loader = DataLoader(TensorDataset(features, -features), batch_size=100, shuffle=True)\n"
            + _LOOP,
            line=8,
        ),
        Invalid(  # drawn from a NumPy generator
            _PRELUDE
            + "import numpy as np\nrng = np.random.default_rng(0)\n"
            + "features = torch.from_numpy(rng.normal(size=(1601, 10)).astype(np.float32))\n"
            + "loader = DataLoader(TensorDataset(features), batch_size=64, shuffle=True)\n"
            + _LOOP,
            line=10,
        ),
        Invalid(  # the dataset comes from a local helper
            _PRELUDE
            + "def load():\n    features = torch.randn(2049, 10)\n    return TensorDataset(features, features[:, 0] > 0)\n"
            + "loader = DataLoader(load(), batch_size=64, shuffle=True)\n"
            + _LOOP,
            line=10,
        ),
        Invalid(  # tensors made by a helper from the size it is given
            _PRELUDE
            + "def make_data(n):\n    x = torch.randn(n, 10)\n    return x, (x[:, 0] > 0).long()\n"
            + "features, labels = make_data(2049)\n"
            + "loader = DataLoader(TensorDataset(features, labels), batch_size=64, shuffle=True)\n"
            + _LOOP,
            line=11,
        ),
        Invalid(  # labels derived from the features: one known length is the dataset's
            _PRELUDE
            + "features = torch.randn(2049, 10)\n"
            + "labels = (features[:, 0] > 0).long()\n"
            + "loader = DataLoader(TensorDataset(features, labels), batch_size=64, shuffle=True)\n"
            + _LOOP,
            line=9,
        ),
        Invalid(  # 1001 points of a linspace grid in batches of 100
            """
            import math
            import torch
            from torch import nn
            from torch.utils.data import DataLoader, TensorDataset

            x = torch.linspace(-math.pi, math.pi, 1001).unsqueeze(1)
            loader = DataLoader(TensorDataset(x, torch.sin(x)), batch_size=100, shuffle=True)
            model = nn.Sequential(nn.Linear(1, 64, bias=False), nn.BatchNorm1d(64), nn.Tanh(), nn.Linear(64, 1))
            opt = torch.optim.Adam(model.parameters())
            for epoch in range(10):
                for xb, yb in loader:
                    nn.functional.mse_loss(model(xb), yb).backward()
                    opt.step()
            """,
            line=7,
        ),
        # an unknown length: a warning when the model holds a BatchNorm that sees one value per channel
        Invalid(_ASPP.format(pool=1, drop=""), line=13),  # the image-pooling branch of an ASPP head
        Invalid(  # loaders a helper builds and returns, for a model with BatchNorm1d heads (a DANN port)
            """
            import torch.nn as nn
            import torch.utils.data

            BATCH = 8

            class DANN(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.features = nn.Sequential(nn.Conv2d(3, 32, 5, bias=False), nn.BatchNorm2d(32), nn.ReLU())
                    self.head = nn.Sequential(nn.Linear(32 * 24 * 24, 100, bias=False), nn.BatchNorm1d(100), nn.ReLU(),
                                              nn.Linear(100, 10))

                def forward(self, x):
                    return self.head(self.features(x).flatten(1))

            def make_loaders(source, target):
                src = torch.utils.data.DataLoader(source, batch_size=BATCH, shuffle=True, num_workers=4)
                return src, torch.utils.data.DataLoader(target, batch_size=BATCH * 4)
            """,
            line=17,
        ),
        Invalid(  # a squeeze-excitation gate pooled to 1x1; the batch size is an argparse default
            """
            import argparse
            import torch.nn as nn
            from torch.utils.data import DataLoader

            class Attention(nn.Module):
                def __init__(self, c):
                    super().__init__()
                    self.pool = nn.AdaptiveAvgPool2d(1)
                    self.gate = nn.Sequential(nn.Conv2d(c, c // 4, 1, bias=False), nn.BatchNorm2d(c // 4), nn.ReLU(),
                                              nn.Conv2d(c // 4, c, 1), nn.Sigmoid())

                def forward(self, x):
                    return x * self.gate(self.pool(x))

            def build_loaders(train_set, args):
                return DataLoader(train_set, batch_size=args.batch_size, shuffle=True)

            parser = argparse.ArgumentParser()
            parser.add_argument("--batch-size", type=int, default=12)
            """,
            line=16,
        ),
    )
    valid = (
        Valid(_SELF_TRAINED.format(drop=", drop_last=True")),
        Valid(_SELF_TRAINED.format(drop="").replace("nn.BatchNorm1d(64)", "nn.LayerNorm(64)")),
        Valid(_PRELUDE + _CIRCLES + "loader = DataLoader(Circles(1000), batch_size=100, shuffle=True)\n" + _LOOP),
        Valid(  # the helper's dataset splits evenly
            _PRELUDE
            + "def load():\n    features = torch.randn(2048, 10)\n    return TensorDataset(features, features[:, 0] > 0)\n"
            + "loader = DataLoader(load(), batch_size=64, shuffle=True)\n"
            + _LOOP
        ),
        Valid(
            _PRELUDE
            + "dataset = TensorDataset(torch.randn(1001, 10), torch.randint(0, 2, (1001,)))\n"
            + "loader = DataLoader(dataset, batch_size=100, shuffle=True, drop_last=True)\n"
            + _LOOP
        ),
        Valid(
            _PRELUDE
            + "dataset = TensorDataset(torch.randn(1000, 10), torch.randint(0, 2, (1000,)))\n"
            + "loader = DataLoader(dataset, batch_size=100, shuffle=True)\n"
            + _LOOP
        ),
        Valid(
            _PRELUDE
            + "dataset = TensorDataset(torch.randn(1001, 10), torch.randint(0, 2, (1001,)))\n"
            + "loader = DataLoader(dataset, batch_size=100)\n"
            + "model.eval()\nwith torch.no_grad():\n    preds = [model(x) for x, _ in loader]\n"
        ),
        Valid(_ASPP.format(pool=1, drop=", drop_last=True")),
        Valid(  # the loop keeps a batch of one sample from the model
            _ASPP.format(pool=1, drop="").replace(
                "        loss = nn.functional", "        if images.size(0) == 1:\n            continue\n        loss = nn.functional")),
        Valid(_ASPP.format(pool=2, drop="")),  # pooled to 2x2: more than one value per channel
        Valid(  # spatial BatchNorm only: a last batch of one image still has H x W values per channel
            _PRELUDE.replace("nn.Linear(10, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 2)",
                             "nn.Conv2d(3, 16, 3, bias=False), nn.BatchNorm2d(16), nn.ReLU()")
            + "loader = DataLoader(train_set, batch_size=8, shuffle=True)\n" + _LOOP
        ),
        Valid(  # a large batch: a remainder of one is rare (1 length in 64)
            _PRELUDE + "loader = DataLoader(train_set, batch_size=64, shuffle=True)\n" + _LOOP
        ),
        Valid(  # loaders for evaluation (the model in eval mode there)
            _PRELUDE + "val_loader = DataLoader(val_set, batch_size=8)\nmodel.eval()\n"
            + "with torch.no_grad():\n    preds = [model(x).argmax(1) for x, _ in val_loader]\n"
        ),
    )

    def check(self, model: FileModel) -> Iterable[Report]:
        batches = model.analysis(BatchAnalysis)
        minimum = min_batch_size(model)
        for loader in batches.loaders:
            size, length = loader.batch, loader.length
            if loader.drop_last is not False or loader.distributed or skips_batch_of_one(batches, loader):
                continue  # (dropped, split over devices, or a batch of one kept from the model by its loop)
            if length is not None:  # known length: an error when it leaves one sample
                if size is None or size.value < 2 or length.value <= size.value or length.value % size.value != 1:
                    continue
                guess = guess_training(batches, loader)
                if guess is None:
                    continue
                fix = _fix(loader)
                yield Report(
                    loader.call,
                    f"{_trains(loader, guess)} on {length.value} samples in batches of {size.describe()}: the last "
                    "batch of every epoch holds 1 sample, too few for batch statistics (a BatchNorm over (N, C) "
                    "raises \"Expected more than 1 value per channel\")"
                    + ("" if fix is not None else "; pass `drop_last=True`"),
                    fix=fix,
                )
                continue
            if size is None or not minimum <= size.value <= 2 * minimum:
                continue  # unknown, BN301's (below min-batch-size), or large (a remainder of 1 is rare)
            guess = guess_training(batches, loader)
            if guess is None or not guess.seen and named_for_evaluation(batches, loader):
                continue  # (a name says evaluation, and no training is in view: `memory_loader` in a loop that
                # steps an optimizer is a training loader)
            fragile = project_fragile(model) or next(
                (found for other in consumers(batches, loader) for found in [project_fragile(other)] if found), None)
            if fragile is None:
                continue
            owner, layer = fragile
            where = f"line {owner.line_of(layer.node)}" + ("" if owner is model else f" of {os.path.basename(owner.path)}")
            fix = _fix(loader)
            yield Report(
                loader.call,
                f"{_trains(loader, guess)} in batches of {size.describe()} without `drop_last=True`, and the model has "
                f"{layer.why} ({where}): whenever the dataset's length leaves a last batch of 1 sample, training "
                "stops with \"Expected more than 1 value per channel when training\""
                + ("" if fix is not None else "; pass `drop_last=True`"),
                fix=fix,
                severity=Severity.WARNING,
            )


def _trains(loader, guess) -> str:
    if guess.certain:
        return f"{loader_label(loader)} trains `{guess.label}` (a BatchNorm model)"
    return (f"{loader_label(loader)} is a training loader ({guess.how}) of a model that may hold BatchNorm "
            "(this project builds BatchNorm layers)")


def _fix(loader) -> NodeFix | None:
    call = loader.call
    if "batch_sampler" in {a.keyword.value for a in call.args if a.keyword}:
        return None
    if loader.drop_last_value is not None:
        return NodeFix("pass drop_last=True", [(loader.drop_last_value, cst.Name("True"))])
    new_arg = cst.Arg(keyword=cst.Name("drop_last"), value=cst.Name("True"),
                      equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
    return NodeFix("pass drop_last=True", [(call, call.with_changes(args=[*call.args, new_arg]))])
