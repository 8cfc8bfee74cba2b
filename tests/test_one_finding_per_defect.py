"""One finding per defect (issue 44, N4 and N7), and a cross-file evaluation helper found by what it does
with the model's outputs, whatever its name (D26)."""
from __future__ import annotations

import pytest

from tests.conftest import run_cli

ENGINE = '''import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10))

    def forward(self, x):
        return self.body(x)


def {name}(model, loader):
    correct = 0
    {guard}
        for images, labels in loader:
            correct += (model(images).argmax(1) == labels).sum().item()
    return correct
'''
TRAIN = '''import torch
import torch.nn as nn

from cifar.engine import Net, {name}

model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(10):
    model.train()
    for images, labels in train_loader:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(images), labels).backward()
        optimizer.step()
    accuracy = {name}(model, val_loader)
'''


def _project(tmp_path, name: str, guard: str = "with torch.no_grad():"):
    (tmp_path / "src" / "cifar").mkdir(parents=True)
    (tmp_path / "src" / "cifar" / "__init__.py").write_text("")
    (tmp_path / "src" / "cifar" / "engine.py").write_text(ENGINE.format(name=name, guard=guard))
    (tmp_path / "src" / "train.py").write_text(TRAIN.format(name=name))


@pytest.mark.parametrize("paths", [("src",), ("src/cifar/engine.py",), ("src/train.py",)])
def test_a_helper_file_that_defines_the_model_gets_one_bn101(tmp_path, paths):
    _project(tmp_path, "evaluate")
    proc = run_cli("check", "--no-cache", "--select", "BN1", "--format", "concise", *paths, cwd=tmp_path)
    lines = [line for line in proc.stdout.decode().splitlines() if "BN101" in line]
    assert len(lines) == 1, lines
    assert lines[0].startswith("src/cifar/engine.py:18:25: BN101") and "train.py passes `model` at line 14" in lines[0]


@pytest.mark.parametrize("name", ["accuracy", "compute_metrics", "run_batches"])
def test_a_cross_file_evaluation_helper_is_found_whatever_its_name(tmp_path, name):
    _project(tmp_path, name, guard="if True:")  # (no no_grad either: its outputs go to argmax)
    proc = run_cli("check", "--no-cache", "--select", "BN1", "--format", "concise", "src/train.py", cwd=tmp_path)
    assert b"src/cifar/engine.py:18:25: BN101" in proc.stdout, proc.stdout


@pytest.mark.parametrize("code, line", [
    ("import torch\nimport torch.nn as nn\n\nemb = nn.Embedding(100, 32)\nbn = nn.BatchNorm1d(32)\n"
     "tokens = torch.randint(0, 100, (8, 20))\ny = bn(emb(tokens))\n", 7),
    ("import torch.nn as nn\n\n\nclass Encoder(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
     "        self.rnn = nn.LSTM(16, 32, batch_first=True)\n        self.bn = nn.BatchNorm1d(32)\n\n"
     "    def forward(self, x):\n        out, _ = self.rnn(x)\n        return self.bn(out)\n\n\nmodel = Encoder()\n", 12),
])
def test_a_sequence_layout_slip_is_one_finding_at_the_application(tmp_path, code, line):
    """N7: BN203 once, where the BatchNorm meets the (N, L, E) tensor, not also at its construction."""
    (tmp_path / "m.py").write_text(code)
    proc = run_cli("check", "--no-cache", "--select", "BN203", "--format", "concise", "m.py", cwd=tmp_path)
    lines = proc.stdout.decode().splitlines()
    assert sum("BN203" in entry for entry in lines) == 1 and lines[0].startswith(f"m.py:{line}:"), lines


def test_a_helper_line_reached_by_several_callers_is_one_finding(tmp_path):
    """Copies of a training script (``train.py``, ``train_v2.py``) each pass a model in training mode to the same
    evaluation helper: one BN101 at the helper's line, saying how many more paths lead there, not one per copy."""
    (tmp_path / "engine.py").write_text(ENGINE.format(name="evaluate", guard="with torch.no_grad():"))
    script = ("import torch\nfrom engine import Net, evaluate\n\n\ndef main(loader):\n    model = Net()\n"
              "    opt = torch.optim.SGD(model.parameters(), lr=0.1)\n    for x, y in loader:\n"
              "        torch.nn.functional.cross_entropy(model(x), y).backward()\n        opt.step()\n"
              "    return evaluate(model, loader)\n")
    (tmp_path / "train.py").write_text(script)
    (tmp_path / "train_v2.py").write_text(script)
    proc = run_cli("check", "--no-cache", "--select", "BN101", "--format", "concise", ".", cwd=tmp_path)
    lines = [line for line in proc.stdout.decode().splitlines() if line.startswith("engine.py:")]
    assert len(lines) == 1 and lines[0].startswith("engine.py:18:") and "(and 1 more path to this line)" in lines[0], \
        proc.stdout
