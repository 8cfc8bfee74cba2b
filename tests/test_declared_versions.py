"""semantic.project.declared_versions: the Lightning a project declares decides whether `fit` undoes an eval."""
from __future__ import annotations

import textwrap

import pytest

from bn_lint.engine import Checker
from bn_lint.config import Settings
from bn_lint.semantic.project.declared_versions import _keeps_modes

_TRAIN = """
import torch.nn as nn
import pytorch_lightning as pl


class Net(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
        self.head = nn.Linear(8, 2)

    def training_step(self, batch, i):
        return self.head(self.encoder(batch).mean((2, 3))).sum()


def fine_tune(loader):
    model = Net()
    model.encoder.requires_grad_(False)
    model.encoder.eval()
    trainer = pl.Trainer(max_epochs=3)
    trainer.fit(model, loader)
"""


@pytest.mark.parametrize("spec, keeps", [
    (">=2.2", True), ("~=2.3.0", True), ("==2.4.0", True),
    ("==1.5.10", False), ("<2.0,>=1.6", False), ("<=2.1", False),
    (">=2.0", None), (">=1.9,<2.3", None),
])
def test_a_version_specifier_says_whether_fit_keeps_the_modes(spec, keeps):
    assert _keeps_modes(spec) is keeps


@pytest.mark.parametrize("requirement, expected", [
    ("pytorch-lightning==1.5.10", [("BN105", 20)]),  # (at `fit`, which calls `.train()`: the eval is undone)
    ("lightning>=2.2", []),  # (Lightning 2.2 and later keep each submodule's mode)
    ("lightning>=2.0", [("BN105", 20)]),  # (either: as Lightning did before 2.2)
    (None, [("BN105", 20)]),
])
def test_fit_undoes_an_eval_before_it_only_on_a_lightning_that_calls_train(tmp_path, requirement, expected):
    if requirement is not None:
        (tmp_path / "requirements.txt").write_text(f"torch\n{requirement}\n")
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = demo\n")
    path = tmp_path / "train.py"
    path.write_text(textwrap.dedent(_TRAIN).lstrip("\n"))
    result = Checker(Settings(select=("BN105",))).check_path(str(path))
    assert [(f.code, f.line) for f in result.findings] == expected
