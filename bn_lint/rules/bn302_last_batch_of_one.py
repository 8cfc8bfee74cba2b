"""BN302 last-batch-of-one."""
from __future__ import annotations

import textwrap
from typing import Iterable

import libcst as cst

from ..finding import Severity
from ..rule import Invalid, Rule, Valid
from ..semantic.model import FileModel, NodeFix, Report
from .bn301_tiny_batch import loader_label

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
        whose `__len__` returns a constant) and `len(dataset) % batch_size == 1`.
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
    fix_safety = "unsafe"
    fix_safety_docs = """
        `drop_last=True` leaves the last samples of every epoch out of training: the data the model
        sees changes.
    """
    triggers = ("DataLoader",)
    _CIRCLES = textwrap.dedent("""
        class Circles(torch.utils.data.Dataset):
            def __init__(self, n):
                self.n = n

            def __len__(self):
                return self.n

            def __getitem__(self, i):
                return torch.randn(10), i % 2

    """)
    invalid = (
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
    )
    valid = (
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
    )

    def check(self, model: FileModel) -> Iterable[Report]:
        for loader in model.batches.loaders:
            training = loader.bn_training
            size, length = loader.batch, loader.length
            if training is None or size is None or length is None or loader.drop_last is not False:
                continue
            if loader.distributed or size.value < 2 or length.value <= size.value or length.value % size.value != 1:
                continue
            fix = None
            call = loader.call
            if "batch_sampler" not in {a.keyword.value for a in call.args if a.keyword}:
                if loader.drop_last_arg is not None:
                    fix = NodeFix("pass drop_last=True", [(loader.drop_last_arg.value, cst.Name("True"))])
                else:
                    new_arg = cst.Arg(keyword=cst.Name("drop_last"), value=cst.Name("True"),
                                      equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
                    fix = NodeFix("pass drop_last=True", [(call, call.with_changes(args=[*call.args, new_arg]))])
            yield Report(
                call,
                f"{loader_label(loader)} trains `{training.label}` (a BatchNorm model) on {length.value} samples "
                f"in batches of {size.describe()}: the last batch of every epoch holds 1 sample, too few for batch "
                "statistics (a BatchNorm over (N, C) raises \"Expected more than 1 value per channel\")"
                + ("" if fix is not None else "; pass `drop_last=True`"),
                fix=fix,
            )
