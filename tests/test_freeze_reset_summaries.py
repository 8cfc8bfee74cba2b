"""A ``.train()`` that undoes a BatchNorm freeze, found through this file's helpers by their summaries.

Each function's mode effects (freeze, back to training mode, run) are worked out once and mapped to each call's
arguments (``freezing/mode_events.py``, ``FreezeResets.summary``), not walked again at every call: a chain of
helpers that each call the next twice costs one walk per helper, however long. Each bug has its fixed twin.
"""
from __future__ import annotations

import pytest

import json
import subprocess

from bn_lint.semantic.freezing import mode_events
from tests.conftest import run_cli
from tests.helpers import check_code, codes_and_lines

HEAD = '''
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(self.conv(x))


def freeze_bn(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()


def step0(net):
    net.{bottom}()
'''
LEVELS = 24


def _program(bottom: str = "train", refreeze: bool = False) -> str:
    chain = "".join(f"\n\ndef step{k}(net{k}):\n    step{k - 1}(net{k})\n    step{k - 1}(net{k})\n"
                    for k in range(1, LEVELS + 1))
    main = (f"\n\ndef main(loader, opt):\n    model = Net()\n    freeze_bn(model)\n    for x in loader:\n"
            f"        step{LEVELS}(model)\n" + ("        freeze_bn(model)\n" if refreeze else "")
            + "        loss = model(x).sum()\n        loss.backward()\n        opt.step()\n")
    return HEAD.format(bottom=bottom) + chain + main


def test_a_train_many_helpers_down_undoes_the_freeze_each_helper_walked_once(monkeypatch):
    walks = []
    init = mode_events.ModeEvents.__init__

    def counted(self, owner, func, events=None):
        walks.append(id(owner))
        init(self, owner, func, events)

    monkeypatch.setattr(mode_events.ModeEvents, "__init__", counted)
    code = _program()
    line = code.lstrip("\n").splitlines().index("    net.train()") + 1
    assert codes_and_lines(check_code(code, select=("BN105",))) == [("BN105", line)]
    functions = LEVELS + 5  # step0..stepN, __init__, forward, freeze_bn, main
    # each function walked once as a root and once for its summary, and the module: per file's analysis
    assert walks and max(walks.count(owner) for owner in walks) <= 2 * functions + 1


def test_every_rule_takes_the_doubling_helper_chain_in_its_stride(tmp_path):
    """All rules at once: a chain of 24 helpers, each calling the next twice with the model, is 2**24 call paths.
    An analysis that listed what each path passes (``_passed_instances`` did, doubling per level) does not end."""
    (tmp_path / "train.py").write_text(_program().lstrip("\n"))
    try:
        result = run_cli("check", "--no-cache", "--format", "json", "--exit-zero", "train.py", cwd=tmp_path, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("bn-lint did not finish in 120 s")
    assert result.returncode == 0, result.stderr
    assert ("BN105", 21) in [(f["code"], f["line"]) for f in json.loads(result.stdout)]


@pytest.mark.parametrize("bottom, refreeze", [("eval", False), ("train", True)])
def test_no_reset_when_the_helpers_keep_the_freeze(bottom, refreeze):
    assert check_code(_program(bottom, refreeze), select=("BN105",)) == []


def test_a_summary_depends_on_the_flag_a_call_passes():
    code = '''
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(4)

    def forward(self, x):
        return self.bn(x)


def set_mode(net, training):
    if training:
        net.train()
    else:
        net.eval()


def freeze_bn(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.eval()


def main(loader, opt):
    model = Net()
    freeze_bn(model)
    for x in loader:
        set_mode(model, False)
        model(x).sum().backward()
        set_mode(model, True)
        model(x).sum().backward()
        opt.step()
'''
    line = code.lstrip("\n").splitlines().index("        net.train()") + 1
    assert codes_and_lines(check_code(code, select=("BN105",))) == [("BN105", line)]
    assert check_code(code.replace("set_mode(model, True)", "set_mode(model, False)"), select=("BN105",)) == []


FLAGGED_FREEZE = '''
import torch
import torch.nn as nn
from torchvision import models


class Finetune(nn.Module):
    def __init__(self, args):
        super().__init__()
        self.args = args
        self.backbone = nn.Sequential(*list(models.resnet50().children())[:-1])
        self.head = nn.Linear(2048, 10)
        if args.freeze_backbone:
            self.backbone.eval()
        else:
            self.backbone.train()

    def forward(self, x):
        if {test}:
            with torch.no_grad():
                features = self.backbone(x).flatten(1)
        else:
            self.backbone.train()
            features = self.backbone(x).flatten(1)
        return self.head(features)
'''


def _last_train_line(code: str) -> int:
    lines = code.lstrip("\n").splitlines()
    return max(i for i, text in enumerate(lines, 1) if text.strip() == "self.backbone.train()")


def test_a_freeze_and_a_train_under_opposite_outcomes_of_one_flag_are_not_one_path():
    """``__init__`` freezes under ``args.freeze_backbone`` and stores ``self.args = args``; ``forward`` trains
    the part only in the ``else`` of ``self.args.freeze_backbone``: never after that freeze (transfer 3434)."""
    assert check_code(FLAGGED_FREEZE.format(test="self.args.freeze_backbone"), select=("BN105",)) == []
    # another flag: the `.train()` of `forward` may follow the freeze
    code = FLAGGED_FREEZE.format(test="self.args.fast")
    line = _last_train_line(code)
    assert codes_and_lines(check_code(code, select=("BN105",))) == [("BN105", line)]


def test_a_flag_the_file_assigns_is_not_taken_as_fixed():
    """``args.freeze_backbone = False`` somewhere: the flag may change between the freeze and the ``.train()``."""
    code = FLAGGED_FREEZE.format(test="self.args.freeze_backbone") + "\n\ndef unfreeze(args):\n    args.freeze_backbone = False\n"
    line = _last_train_line(code)
    assert codes_and_lines(check_code(code, select=("BN105",))) == [("BN105", line)]


REFROZEN_BY_FORWARD = '''
import torch
import torch.nn as nn
import pytorch_lightning as pl
from torchvision import models


class Probe(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.backbone = models.resnet50()
        self.backbone.eval()
        self.head = nn.Linear(1000, 10)

    def forward(self, x):{evaluate}
        with torch.no_grad():
            features = self.backbone(x)
        return self.head(features)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return nn.functional.cross_entropy(self(x), y)


def main(loader):
    model = Probe()
    trainer = pl.Trainer()
    trainer.fit(model, loader)
'''


def test_a_part_its_class_forward_puts_in_eval_again_stays_frozen():
    """Lightning's ``.train()`` undoes the ``__init__`` freeze, but ``forward`` freezes the part again before
    every run (transfer 3434's linear probe); without that ``.eval()`` it is a finding."""
    assert check_code(REFROZEN_BY_FORWARD.format(evaluate="\n        self.backbone.eval()"), select=("BN105",)) == []
    assert [code for code, _ in codes_and_lines(check_code(REFROZEN_BY_FORWARD.format(evaluate=""),
                                                           select=("BN105",)))] == ["BN105"]


FROZEN_UNDER_A_FLAG = '''
import argparse

import torch
import torch.nn as nn
from torchvision import models


class Finetune(nn.Module):
    def __init__(self, args):
        super().__init__()
        self.backbone = nn.Sequential(*list(models.resnet50().children())[:-1])
        self.head = nn.Linear(2048, 10)
        if args.freeze_backbone:{evaluate}
            for p in self.backbone.parameters():
                p.requires_grad = False

    def forward(self, x):
        return self.head(self.backbone(x).flatten(1))


def main(loader):
    parser = argparse.ArgumentParser()
    parser.add_argument("--freeze_backbone", action="store_true")
    args = parser.parse_args()
    model = Finetune(args)
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01)
    for epoch in range(10):
        if {test}:
            model.head.train()
        else:
            model.train()
        for x, y in loader:
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
'''


@pytest.mark.parametrize(("evaluate", "test", "flagged"), [
    ("\n            self.backbone.eval()", "args.freeze_backbone", False),  # (frozen and in eval on that path)
    ("\n            self.backbone.eval()", "args.fast", True),  # (`model.train()` may follow the freeze)
    ("", "args.freeze_backbone", True),  # (requires_grad only: built in training mode, BatchNorm keeps updating)
])
def test_the_mode_flow_reads_a_freeze_and_a_train_under_one_flag_as_exclusive(evaluate, test, flagged):
    """The same flag guards, read by the mode flow's watch of a ``requires_grad`` freeze (``freezing/watch``)."""
    findings = check_code(FROZEN_UNDER_A_FLAG.format(evaluate=evaluate, test=test), select=("BN105",))
    assert bool(findings) is flagged, codes_and_lines(findings)


UNFROZEN_IN_THE_LOOP = '''
import torch
import torch.nn as nn

net = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16), nn.Linear(16, 4))
optimizer = torch.optim.SGD(net.parameters(), lr=0.1)


def val(model, loader):
    for p in net.parameters():
        p.requires_grad = False
    net.eval()
    return [model(x).argmax(1) for x, _ in loader]


for epoch in range(10):
    for i, (x, y) in enumerate(train_loader):{unfreeze}
        net.train()
        loss = nn.functional.cross_entropy(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if i % 100 == 0:
            val(net, valid_loader)
'''


def test_an_unfreeze_before_each_step_clears_a_helpers_freeze():
    """``val()`` freezes every parameter, but the loop sets ``requires_grad = True`` again before each step: nothing
    trains frozen (transfer 3440, a CRNN fork). The helper's freeze is watched where it is called, in the loop."""
    unfreeze = "\n        for p in net.parameters():\n            p.requires_grad = True"
    assert check_code(UNFROZEN_IN_THE_LOOP.format(unfreeze=unfreeze), select=("BN105",)) == []
    assert [c for c, _ in codes_and_lines(check_code(UNFROZEN_IN_THE_LOOP.format(unfreeze=""), select=("BN105",)))] \
        == ["BN105"]
