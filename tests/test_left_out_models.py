"""BN105 for a whole model no optimizer of the file is given (``modes/optimizers.left_out_models``): a pretrained
network whose output another network trains on, run in training mode in the training step (transfer batch 32's
3300: a disparity network under ``no_grad`` feeding a refinement network that alone is optimised)."""
from __future__ import annotations

import pytest

from tests.helpers import check_code, codes_and_lines

_PROBE = """
import torch
import torch.nn as nn
from torchvision import models
{imports}
backbone = models.resnet50(weights="IMAGENET1K_V2")
head = nn.Linear(1000, 10)
optimizer = {optimizer}
{given}
loader = torch.utils.data.DataLoader([], batch_size=32)

for epoch in range(10):
    backbone.{mode}()
    head.train()
    for x, y in loader:
        with torch.no_grad():
            features = backbone(x)
        loss = nn.functional.cross_entropy(head(features), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
"""
_HEAD_ONLY = "torch.optim.SGD(head.parameters(), lr=0.1)"


def _probe(mode="train", optimizer=_HEAD_ONLY, given="", imports=""):
    return _PROBE.format(mode=mode, optimizer=optimizer, given=given, imports=imports)


def test_a_pretrained_model_no_optimizer_is_given_run_in_training_mode_in_the_step():
    assert codes_and_lines(check_code(_probe(), select=("BN105",))) == [("BN105", 7)]
    message = check_code(_probe(), select=("BN105",))[0].message
    assert "`backbone`'s parameters are given to no optimizer" in message


@pytest.mark.parametrize("variant", [
    {"mode": "eval"},  # (the fix: the frozen model in eval)
    {"optimizer": "torch.optim.SGD(list(head.parameters()) + list(backbone.parameters()), lr=0.1)"},
    {"given": "scheduler = build_optimizer(backbone)"},  # (a call that says optimizer is given it)
    {"given": "setup(backbone)", "imports": "from helpers import setup"},  # (given to code that may optimise it)
    {"optimizer": "torch.optim.SGD(params, lr=0.1)"},  # (parameters the code does not show)
])
def test_not_flagged_where_the_model_may_be_optimised_or_is_in_eval(variant):
    assert check_code(_probe(**variant), select=("BN105",)) == []


def test_a_model_left_out_but_not_run_in_the_training_step_is_not_flagged():
    code = """
        import torch
        import torch.nn as nn
        from torchvision import models

        reference = models.resnet50(weights="IMAGENET1K_V2")
        head = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Flatten(), nn.LazyLinear(10))
        optimizer = torch.optim.SGD(head.parameters(), lr=0.1)
        for x, y in torch.utils.data.DataLoader([], batch_size=32):
            loss = nn.functional.cross_entropy(head(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    """
    assert check_code(code, select=("BN105",)) == []


def test_each_network_of_a_gan_has_its_optimizer():
    code = """
        import torch
        import torch.nn as nn

        netG = nn.Sequential(nn.Linear(100, 64), nn.BatchNorm1d(64))
        netD = nn.Sequential(nn.Linear(64, 32), nn.BatchNorm1d(32), nn.Linear(32, 1))
        optD = torch.optim.Adam(netD.parameters(), lr=2e-4)
        optG = torch.optim.Adam(netG.parameters(), lr=2e-4)
        for x in torch.utils.data.DataLoader([], batch_size=32):
            fake = netG(torch.randn(32, 100))
            lossD = netD(x).mean() - netD(fake.detach()).mean()
            optD.zero_grad()
            lossD.backward()
            optD.step()
            lossG = -netD(fake).mean()
            optG.zero_grad()
            lossG.backward()
            optG.step()
    """
    assert check_code(code, select=("BN105",)) == []


def test_a_randomly_initialised_model_left_out_is_not_flagged():
    """A network given no trained weights (no pretrained build, no loader) is no pretrained network frozen by
    being left out (fixtures/clean/teacher.py)."""
    code = _probe().replace('models.resnet50(weights="IMAGENET1K_V2")', "models.resnet50()")
    assert check_code(code, select=("BN105",)) == []
    loaded = code.replace("head = nn.Linear", 'backbone.load_state_dict(torch.load("backbone.pth"))\nhead = nn.Linear')
    assert codes_and_lines(check_code(loaded, select=("BN105",))) == [("BN105", 8)]


def test_a_model_also_frozen_by_its_parameters_is_one_finding_at_that_freeze():
    code = _probe().replace("head = nn.Linear", "backbone.requires_grad_(False)\nhead = nn.Linear")
    assert codes_and_lines(check_code(code, select=("BN105",))) == [("BN105", 6)]  # (the freeze, not the optimizer)


def test_another_name_of_an_optimised_model_is_not_left_out():
    code = """
        import torch
        import torch.nn as nn
        from torchvision import models

        model = models.resnet50(weights="IMAGENET1K_V2")
        model = nn.parallel.DistributedDataParallel(model)
        model_without_ddp = model.module
        model_without_ddp.load_state_dict(torch.load("ckpt.pth"))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for x, y in torch.utils.data.DataLoader([], batch_size=32):
            model.train()
            loss = nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    """
    assert check_code(code, select=("BN105",)) == []
