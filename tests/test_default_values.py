"""Values that reach a DataLoader or a BatchNorm width through defaults (flow matrix: argparse_defaults/BN302,
dataclass_config/BN201, loader_args_via_self/BN301 and BN302): an argparse switch's implied default, an entry a
settings class declares read through a parameter annotated with it, and a loader a method of a class of another
module returns, trained by the caller. Each bug beside its fixed twin."""
from __future__ import annotations

from bn_lint.config import Settings
from bn_lint.engine import Checker
from bn_lint.project import Project
from tests.helpers import codes_and_lines


def _project(tmp_path, write, files: dict[str, str], target: str, select: tuple[str, ...]) -> list[tuple[str, int]]:
    for name, text in files.items():
        write(name, text)
    checker = Checker(Settings(root=str(tmp_path), select=select), Project(str(tmp_path)))
    return codes_and_lines(checker.check_path(str(tmp_path / target)).findings)


_OPTIONS = """
    import argparse


    def get_args():
        parser = argparse.ArgumentParser()
        parser.add_argument("--batch-size", type=int, default=100)
        parser.add_argument("--drop-last", {switch})
        return parser.parse_args()
"""

_TRAIN = """
    import torch
    import torch.nn as nn
    from torch.utils.data import DataLoader, TensorDataset

    from options import get_args

    args = get_args()
    model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1))
    loader = DataLoader(TensorDataset(torch.randn(1001, 8), torch.randn(1001, 1)), batch_size=args.batch_size,
                        drop_last=args.drop_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for x, y in loader:
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
"""


def test_a_store_true_switch_defaults_to_false(tmp_path, write):
    files = {"options.py": _OPTIONS.format(switch='action="store_true"'), "train.py": _TRAIN}
    assert _project(tmp_path, write, files, "train.py", ("BN302",)) == [("BN302", 9)]


def test_a_switch_whose_default_says_true_or_a_store_false_switch(tmp_path, write):
    for switch in ('action="store_true", default=True', 'action="store_false"'):
        files = {"options.py": _OPTIONS.format(switch=switch), "train.py": _TRAIN}
        assert _project(tmp_path, write, files, "train.py", ("BN302",)) == []


_CONFIG = """
    from dataclasses import dataclass, field


    @dataclass
    class Config:
        hidden: int = 256
        out_dim: int = field(default={out_dim})
"""

_HEAD = """
    import torch.nn as nn

    from config import Config


    class Head(nn.Module):
        def __init__(self, cfg: Config):
            super().__init__()
            self.fc = nn.Linear(512, cfg.hidden)
            self.bn = nn.BatchNorm1d(cfg.out_dim)

        def forward(self, x):
            return self.bn(self.fc(x))
{build}
"""


def test_a_width_a_dataclass_declares_read_through_an_annotated_parameter(tmp_path, write):
    for build in ("", "\n\n    head = Head(Config())", "\n\n    head = Head(Config(hidden=256))"):
        files = {"config.py": _CONFIG.format(out_dim=128), "head.py": _HEAD.format(build=build)}
        assert _project(tmp_path, write, files, "head.py", ("BN201",)) == [("BN201", 10)], build


def test_a_declared_width_that_agrees_or_that_the_code_overrides(tmp_path, write):
    files = {"config.py": _CONFIG.format(out_dim=256), "head.py": _HEAD.format(build="")}
    assert _project(tmp_path, write, files, "head.py", ("BN201",)) == []
    for build in ("\n\n    head = Head(Config(out_dim=256))", "\n\n    cfg = Config()\n    cfg.out_dim = 256\n    head = Head(cfg)",
                  "\n\n    head = Head(load_config())"):
        files = {"config.py": _CONFIG.format(out_dim=128), "head.py": _HEAD.format(build=build)}
        assert _project(tmp_path, write, files, "head.py", ("BN201",)) == [], build


_DATA = """
    import torch
    from torch.utils.data import DataLoader, TensorDataset


    class DataModule:
        def __init__(self, num_samples=1000, batch_size={batch_size}):
            self.dataset = TensorDataset(torch.randn(num_samples, 8), torch.randn(num_samples, 1))
            self.batch_size = batch_size

        def train_dataloader(self):
            return DataLoader(self.dataset, batch_size=self.batch_size, shuffle=True)
"""

_FIT = """
    import torch
    import torch.nn as nn

    from data import DataModule

    dm = DataModule({given})
    model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for x, y in dm.train_dataloader():
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
"""


def test_a_loader_a_method_of_another_module_returns_trained_by_the_caller(tmp_path, write):
    files = {"data.py": _DATA.format(batch_size=4), "train.py": _FIT.format(given="")}
    assert _project(tmp_path, write, files, "data.py", ("BN301",)) == [("BN301", 11)]


def test_a_method_loader_with_a_large_batch_or_built_with_another_batch_size(tmp_path, write):
    for batch_size, given in ((64, ""), (4, "batch_size=64"), (4, "1000, 64")):
        files = {"data.py": _DATA.format(batch_size=batch_size), "train.py": _FIT.format(given=given)}
        assert _project(tmp_path, write, files, "data.py", ("BN301",)) == [], given
