"""Whole-project resolution (issue 42): helpers, factories, classes and base classes of other modules followed by
the analyses, and imports resolved by the project model (``import pkg.mod``; a repository that is itself a
package). Each project is checked as a whole from its folder; its clean twin differs by the one fix."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

_MODEL = """\
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, bias=False)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        return self.bn(self.conv(x))
"""

_DOTTED_DEMO = """\
import torch
import factory

model = factory.make(8)
{fix}for batch in torch.load("batches.pt"):
    with torch.no_grad():
        labels = model(batch).argmax(1)
"""

_REPOSITORY_TRAIN = """\
from nets.tower import Tower


def evaluate(model, loader):
    model = model.{mode}()
    for batch in loader:
        out = model.forward(batch)
    return out


def main(loader):
    model = Tower(4)
    for epoch in range(3):
        evaluate(model, loader)
"""

_FREEZE_TRAIN = """\
import torch
import torchvision
from torch import nn

from tools import no_grad_params


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = torchvision.models.resnet18()
        no_grad_params(self.backbone.bn1)

    def forward(self, x):
        return self.backbone(x)


def fit(loader):
    model = Encoder()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(5):
        model.train()
{fix}        for x, y in loader:
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
"""

_FREEZE_TOOLS = """\
def no_grad_params(module):
    for p in module.parameters():
        p.requires_grad = False
"""

_BN_EVAL_TOOLS = """\
import torch.nn as nn


def keep_bn_stats(net):
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
    return net
"""

_RESET_TRAINER = """\
import torch
import torch.nn as nn
from tools import keep_bn_stats


class Runner:
    def __init__(self, loader):
        self.net = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))
        self.loader = loader
        self.optimizer = torch.optim.Adam(self.net.parameters())
        self.net = keep_bn_stats(self.net)

    def epoch(self):
        self.net.train()
{fix}        for x, y in self.loader:
            loss = (self.net(x) - y).abs().mean()
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
"""

_HEAD = """\
import torch.nn as nn


class GlobalHead(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(nn.AdaptiveAvgPool2d(1), nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
"""

_FACTORY = """\
from heads import GlobalHead


def create(cin, cout):
    return GlobalHead(cin, cout)
"""

_LOADER_TRAIN = """\
import torch
from torch.utils.data import DataLoader
from builders import create

net = create(3, 16)
loader = DataLoader(torch.load("train_set.pt"), batch_size=12, shuffle=True{fix})
optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
for x, y in loader:
    optimizer.zero_grad()
    net(x).mean().backward()
    optimizer.step()
"""

_BASE = """\
from net import Net


class Engine:
    def __init__(self, loader):
        self.model = Net(3)
        self.loader = loader
"""

_SUBCLASS = """\
import torch
from engine import Engine


class Predictor(Engine):
    @torch.no_grad()
    def predict(self):
{fix}        for images, names in self.loader:
            masks = self.model(images).argmax(1)
            torch.save(masks, names[0])
"""

_CALLBACK_LOOP = """\
import torch.nn.functional as F


def train(model, loader, optimizer, epochs, on_epoch_end=None):
    for epoch in range(epochs):
{fix}        for images, labels in loader:
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
{around}        on_epoch_end(epoch)
{after}"""

_CALLBACK_MAIN = """\
import functools

import torch
from loop import train
from net import Net


def validate(model, loader, epoch):
    model.eval()
    with torch.no_grad():
        print(epoch, sum(model(x).argmax(1).sum().item() for x in loader))


def log_predictions(model, images, epoch):
    with torch.no_grad():
        print(epoch, model(images).argmax(1).tolist())


model = Net(3)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
train(model, torch.load("train.pt"), optimizer, 20, on_epoch_end={callback})
"""

_PREDICTING_MODELS = """\
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())

    def forward(self, x):
        return self.body(x)

    def predict(self, x):
{keep}        self.eval()
        with torch.no_grad():
            out = self.forward(x).argmax(1)
{restore}        return out


class SmallNet(Net):
    def predict(self, x):
{keep}        self.eval()
        with torch.no_grad():
            out = self.forward(x)[:, :4].argmax(1)
{restore}        return out
"""

_PREDICTING_TRAIN = """\
import torch
from models import Net, SmallNet

SMALL = False


def train_epoch(model, loader, optimizer):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
        print(model.predict(x))


def main():
    if SMALL:
        model = SmallNet()
    else:
        model = Net()
    model = model.to("cuda")
    optimizer = torch.optim.Adam(model.parameters())
    for epoch in range(10):
        train_epoch(model, torch.load("l.pt"), optimizer)
"""

_HOLDER_TRAIN = """\
class Train:
    def __init__(self, model, data_loader, optim, criterion):
        self.model = model
        self.data_loader = data_loader
        self.optim = optim
        self.criterion = criterion

    def run_epoch(self):
{fix}        for inputs, labels in self.data_loader:
            loss = self.criterion(self.model(inputs), labels)
            self.optim.zero_grad()
            loss.backward()
            self.optim.step()
"""

_HOLDER_TEST = """\
class Test:
    def __init__(self, model, data_loader, criterion):
        self.model = model
        self.data_loader = data_loader
        self.criterion = criterion

    def run_epoch(self):
        self.model.eval()
        return sum(self.criterion(self.model(x), y).item() for x, y in self.data_loader)
"""

_HOLDER_MAIN = """\
import torch
import torch.nn as nn
from net import Net
from train import Train
from test import Test


def train(train_loader, val_loader, epochs):
    model = Net(3)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters())
    train = Train(model, train_loader, optimizer, criterion)
    val = Test({validated}, val_loader, criterion)
    for epoch in range(epochs):
        train.run_epoch()
        if (epoch + 1) % 10 == 0:
            print(val.run_epoch())
    return model
"""

# name -> (files of the bug, files of its clean twin, the finding of the bug)
PROJECTS = {
    "dotted_import": (
        {"demo.py": _DOTTED_DEMO.format(fix=""), "factory.py": "import zoo.nets\n\n\ndef make(c):\n    return zoo.nets.Net(c)\n",
         "zoo/__init__.py": "", "zoo/nets.py": _MODEL},
        {"demo.py": _DOTTED_DEMO.format(fix="model.eval()\n")},
        ("BN101", "demo.py", 7),
    ),
    "repository_package": (  # the repository `ttsrepo` is the package `speech` (`from speech.layers import ...`)
        {"ttsrepo/__init__.py": "", "ttsrepo/train.py": _REPOSITORY_TRAIN.format(mode="train"),
         "ttsrepo/layers/__init__.py": "", "ttsrepo/layers/blocks.py": _MODEL,
         "ttsrepo/nets/__init__.py": "",
         "ttsrepo/nets/tower.py": "from torch import nn\nfrom speech.layers.blocks import Net\n\n\nclass Tower(nn.Module):\n"
                                  "    def __init__(self, c):\n        super().__init__()\n        self.post = Net(c)\n\n"
                                  "    def forward(self, x):\n        return self.post(x)\n"},
        {"ttsrepo/train.py": _REPOSITORY_TRAIN.format(mode="eval")},
        ("BN101", "ttsrepo/train.py", 7),
    ),
    "imported_freezing_helper": (
        {"train.py": _FREEZE_TRAIN.format(fix=""), "tools.py": _FREEZE_TOOLS},
        {"train.py": _FREEZE_TRAIN.format(fix="        model.backbone.bn1.eval()\n")},
        ("BN105", "tools.py", 3),  # (at the freezing statement, the call in train.py as related information)
    ),
    "imported_bn_eval_helper_reset": (
        {"trainer.py": _RESET_TRAINER.format(fix=""), "tools.py": _BN_EVAL_TOOLS},
        {"trainer.py": _RESET_TRAINER.format(fix="        self.net = keep_bn_stats(self.net)\n")},
        ("BN105", "trainer.py", 14),
    ),
    "factory_of_a_class_of_a_third_module": (
        {"train.py": _LOADER_TRAIN.format(fix=""), "builders.py": _FACTORY, "heads.py": _HEAD},
        {"train.py": _LOADER_TRAIN.format(fix=", drop_last=True")},
        ("BN302", "train.py", 6),
    ),
    "evaluation_callback_of_another_modules_loop": (  # its loop puts the model back in training mode itself
        {"net.py": _MODEL, "loop.py": _CALLBACK_LOOP.format(fix="", around="", after=""),
         "main.py": _CALLBACK_MAIN.format(callback="lambda e: validate(model, torch.load('val.pt'), e)")},
        {"loop.py": _CALLBACK_LOOP.format(fix="        model.train()\n", around="", after="")},
        ("BN103", "main.py", 9),
    ),
    "partial_callback_run_in_another_modules_loop": (  # the loop puts the model in eval around the callback
        {"net.py": _MODEL, "loop.py": _CALLBACK_LOOP.format(fix="", around="", after=""),
         "main.py": _CALLBACK_MAIN.format(callback="functools.partial(log_predictions, model, torch.load('x.pt'))")},
        {"loop.py": _CALLBACK_LOOP.format(fix="", around="        model.eval()\n", after="        model.train()\n")},
        ("BN101", "main.py", 16),
    ),
    # captcha (transfer case 1655): a method of the model's class (another file's, one of the classes the caller
    # may build) puts it in eval after each step; the twin's methods give the mode back
    "eval_method_of_the_callers_imported_class": (
        {"models.py": _PREDICTING_MODELS.format(keep="", restore=""), "train.py": _PREDICTING_TRAIN},
        {"models.py": _PREDICTING_MODELS.format(keep="        was_training = self.training\n",
                                                restore="        self.train(was_training)\n")},
        ("BN103", "train.py", 13),
    ),
    # ENet (transfer case 1501): a trainer object and a validator object hold the one model (`train.model`,
    # `val.model` are both `model`); the validator's eval is never undone by the trainer (its fix: `train()` first)
    "evaluation_by_another_holder_of_the_model": (
        {"net.py": _MODEL, "train.py": _HOLDER_TRAIN.format(fix=""), "test.py": _HOLDER_TEST,
         "main.py": _HOLDER_MAIN.format(validated="model")},
        {"train.py": _HOLDER_TRAIN.format(fix="        self.model.train()\n")},
        ("BN103", "main.py", 17),
    ),
    # its twin of another shape: the validator holds another model (an averaged copy), the trained one stays in training
    "evaluation_by_a_holder_of_another_model": (
        {"net.py": _MODEL, "train.py": _HOLDER_TRAIN.format(fix=""), "test.py": _HOLDER_TEST,
         "main.py": _HOLDER_MAIN.format(validated="model")},
        {"main.py": _HOLDER_MAIN.format(validated="Net(3)")},
        ("BN103", "main.py", 17),
    ),
    "attribute_set_by_the_base_class": (  # (a base of this file; a base of another file is not followed yet)
        {"net.py": _MODEL, "predictor.py": _BASE.replace("class Engine", "import torch\n\n\nclass Engine")
         + "\n\n" + _SUBCLASS.replace("import torch\nfrom engine import Engine\n\n\n", "").format(fix="")},
        {"predictor.py": _BASE.replace("class Engine", "import torch\n\n\nclass Engine")
         + "\n\n" + _SUBCLASS.replace("import torch\nfrom engine import Engine\n\n\n", "").format(
             fix="        self.model.eval()\n")},
        ("BN101", "predictor.py", 17),
    ),
}


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _findings(folder: Path) -> list[tuple[str, str, int]]:
    proc = subprocess.run(
        [sys.executable, "-m", "bn_lint", "check", "--no-cache", "--format", "json", "--exit-zero", "."],
        capture_output=True, text=True, cwd=folder, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    return [(f["code"], f["path"].replace(os.sep, "/"), f["line"]) for f in json.loads(proc.stdout)]


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_bug_found_across_modules(tmp_path, name):
    files, _fix, expected = PROJECTS[name]
    _write(tmp_path, files)
    assert expected in _findings(tmp_path)


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_clean_twin_silent(tmp_path, name):
    files, fix, expected = PROJECTS[name]
    _write(tmp_path, {**files, **fix})
    assert not [f for f in _findings(tmp_path) if f[0] == expected[0]]
