"""Helpers that hand a model or a loader on, each calling the next twice: 2**N call paths, one answer each.

An evaluation many helpers below the code that trains the model (BN101), and a training loop many helpers below
the loader it iterates (BN301). Each function's answer is worked out once: the mode flow's entry resolution per
question (``modes/entry._resolve``), the loops over a parameter per function (``LoaderLoops.param_loops``).
A chain of one helper that hands the loader on is found too (it was not: only the first function was looked in).
"""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import run_cli

NET = '''import torch
import torch.nn as nn
from torch.utils.data import DataLoader


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, bias=False)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(self.conv(x))
'''
EVALUATE = '''

def ev0(net, loader):
    with torch.no_grad():
        for x in loader:
            print(net(x).argmax(1))
'''
TRAIN = '''

def tr0(net, loader, opt):
    net.train()
    for x in loader:
        net(x).sum().backward()
        opt.step()
'''


def _chain(stem: str, params: str, levels: int, calls: int) -> str:
    return "".join(f"\n\ndef {stem}{k}({params}):\n" + f"    {stem}{k - 1}({params})\n" * calls for k in range(1, levels + 1))


def evaluation_program(levels: int, calls: int = 2, evaluated: bool = False) -> str:
    main = (f"\n\ndef main(data):\n    model = Net()\n    opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
            f"    for x in data:\n        model(x).sum().backward()\n        opt.step()\n"
            + ("    model.eval()\n" if evaluated else "") + f"    ev{levels}(model, data)\n")
    return NET + EVALUATE + _chain("ev", "net, loader", levels, calls) + main


def training_program(levels: int, calls: int = 2, batch_size: int = 1) -> str:
    main = (f"\n\ndef main(dataset):\n    model = Net()\n    opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
            f"    loader = DataLoader(dataset, batch_size={batch_size})\n    tr{levels}(model, loader, opt)\n")
    return NET + TRAIN + _chain("tr", "net, loader, opt", levels, calls) + main


def _findings(tmp_path, code: str) -> list[tuple[str, int]]:
    (tmp_path / "train.py").write_text(code)
    try:
        result = run_cli("check", "--no-cache", "--format", "json", "--exit-zero", "train.py", cwd=tmp_path, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("bn-lint did not finish in 120 s")
    assert result.returncode == 0, result.stderr
    return sorted((f["code"], f["line"]) for f in json.loads(result.stdout))


def _line(code: str, text: str) -> int:
    return code.splitlines().index(text) + 1


@pytest.mark.parametrize("levels, calls", [(1, 1), (20, 2)])
def test_an_evaluation_helpers_down_runs_the_trained_model_in_training_mode(tmp_path, levels, calls):
    code = evaluation_program(levels, calls)
    assert _findings(tmp_path, code) == [("BN101", _line(code, "            print(net(x).argmax(1))"))]
    assert _findings(tmp_path, evaluation_program(levels, calls, evaluated=True)) == []


@pytest.mark.parametrize("levels, calls", [(1, 1), (3, 1), (20, 2)])
def test_a_loader_of_batch_one_handed_down_helpers_to_the_training_loop(tmp_path, levels, calls):
    code = training_program(levels, calls)
    assert _findings(tmp_path, code) == [("BN301", _line(code, "    loader = DataLoader(dataset, batch_size=1)"))]
    assert _findings(tmp_path, training_program(levels, calls, batch_size=32)) == []
