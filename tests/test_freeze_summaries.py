"""A function's freezes applied at its calls (``modes/applied_freezes.py``), in this file or another.

What a callee freezes (``requires_grad = False``) of the modules a call gives it, of ``self``, and of the model it
returns, with a freeze set to a parameter's value (``p.requires_grad = enabled``) bound from the call's
arguments: the same for functions, methods, static methods, builders and constructors. A freeze of another
file is reported at its own line in its own file. Each bug has its clean twin (one change apart).
"""
from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli
from tests.helpers import check_code, codes_and_lines

NET = (
    "import torch\nimport torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
    "        self.conv = nn.Conv2d(3, 8, 3)\n        self.bn = nn.BatchNorm2d(8)\n        self.fc = nn.Linear(8, 2)\n\n"
    "    def forward(self, x):\n        return self.fc(self.bn(self.conv(x)).mean((2, 3)))\n"
)
LOOP = (
    "    for epoch in range(3):\n        {model}.train()\n{extra}        for x, y in loader:\n"
    "            loss = nn.functional.cross_entropy({model}(x), y)\n            opt.zero_grad()\n"
    "            loss.backward()\n            opt.step()\n"
)


def _findings(tmp_path, files: dict[str, str]) -> list[tuple[str, str, int]]:
    (tmp_path / "pyproject.toml").write_text("")
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = run_cli("check", "--select", "BN105", "--format", "json", "--exit-zero", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return sorted((f["code"], f["path"].split("/")[-1], f["line"]) for f in json.loads(result.stdout))


def _train(header: str, setup: str, model: str = "model", extra: str = "") -> str:
    return (f"import torch\nimport torch.nn as nn\n{header}\n\ndef main(loader):\n{setup}"
            f"    opt = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)\n" + LOOP.format(model=model, extra=extra))


# a method of a class of another module sets requires_grad to its parameter: frozen where the call gives False
METHOD = NET + "\n    def fine_tune(self, enabled=True):\n        for p in self.bn.parameters():\n            p.requires_grad = enabled\n"


@pytest.mark.parametrize("given, found", [("False", [("BN105", "nets.py", 17)]), ("True", []), ("", [])])
def test_a_method_freezing_by_a_parameter_value_bound_at_the_call(tmp_path, given, found):
    main = _train("from nets import Net", f"    model = Net()\n    model.fine_tune({given})\n")
    assert _findings(tmp_path, {"nets.py": METHOD, "main.py": main}) == found


def test_a_method_freezing_by_a_parameter_value_is_not_a_freeze_of_its_own(tmp_path):
    """The method alone (no call gives False) freezes nothing: its own flow does not watch it."""
    text = METHOD + "\n\ndef main(loader, opt):\n    model = Net()\n" + LOOP.format(model="model", extra="")
    assert _findings(tmp_path, {"nets.py": text}) == []


# a static method of another module's class freezes the model it is given and returns it
TOOLS = ("class ModelUtils:\n    @staticmethod\n    def freeze(module):\n        for p in module.parameters():\n"
         "            p.requires_grad = False\n        return module\n")


@pytest.mark.parametrize("extra, found", [("", [("BN105", "tools.py", 5)]), ("        model.eval()\n", [])])
def test_a_static_helper_returning_the_frozen_model(tmp_path, extra, found):
    main = _train("from nets import Net\nfrom tools import ModelUtils", "    model = ModelUtils.freeze(Net())\n", extra=extra)
    assert _findings(tmp_path, {"nets.py": NET, "tools.py": TOOLS, "main.py": main}) == found


# a builder of another module freezes the model it returns; the caller puts it in a container and trains that
FACTORY = ("from nets import Net\n\n\ndef create_backbone():\n    backbone = Net()\n    for p in backbone.parameters():\n"
           "        p.requires_grad = False\n    return backbone\n")


@pytest.mark.parametrize("extra, found", [("", [("BN105", "factory.py", 7)]), ("        backbone.eval()\n", [])])
def test_a_builder_of_another_file_returning_a_frozen_model(tmp_path, extra, found):
    main = _train("from factory import create_backbone",
                  "    backbone = create_backbone()\n    model = nn.Sequential(backbone, nn.Linear(2, 2))\n", extra=extra)
    assert _findings(tmp_path, {"nets.py": NET, "factory.py": FACTORY, "main.py": main}) == found


# a builder of another module freezes a part it holds by position (`net[1]`): named so at the caller
INDEXED = ("import torch.nn as nn\n\n\ndef build():\n    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())\n"
           "    for p in net[1].parameters():\n        p.requires_grad = False\n    return net\n")


@pytest.mark.parametrize("extra, found", [("", [("BN105", "builders.py", 7)]), ("        model[1].eval()\n", [])])
def test_a_builder_of_another_file_freezing_a_part_by_position(tmp_path, extra, found):
    main = _train("from builders import build", "    model = build()\n", extra=extra)
    assert _findings(tmp_path, {"builders.py": INDEXED, "main.py": main}) == found
    if found:  # (the part is named as the caller holds it)
        result = run_cli("check", "--select", "BN105", "--format", "json", "--exit-zero", ".", cwd=tmp_path)
        assert "`model[1]`'s parameters are frozen" in json.loads(result.stdout)[0]["message"]


# a constructor of another module whose __init__ freezes a part under a flag: frozen where the call sets it
FROZEN_INIT = NET.replace("    def __init__(self):", "    def __init__(self, freeze_bn=True):").replace(
    "        self.fc = nn.Linear(8, 2)\n",
    "        self.fc = nn.Linear(8, 2)\n        if freeze_bn:\n            self.bn.requires_grad_(False)\n")


@pytest.mark.parametrize("args, found", [("", [("BN105", "nets.py", 12)]), ("freeze_bn=False", [])])
def test_a_constructor_of_another_file_freezing_a_part(tmp_path, args, found):
    main = _train("from nets import Net", f"    model = Net({args})\n")
    assert _findings(tmp_path, {"nets.py": FROZEN_INIT, "main.py": main}) == found


# a freezing helper of this file given a part, the model trained by another module's loop two calls deep
LOOPS = ("def step(model, x, y, opt):\n    loss = model(x).sum()\n    opt.zero_grad()\n    loss.backward()\n    opt.step()\n\n\n"
         "def run_epoch(model, loader, opt):\n    for x, y in loader:\n        step(model, x, y, opt)\n\n\n"
         "def train(model, loader, opt, epochs):\n    for epoch in range(epochs):\n        model.train()\n"
         "        run_epoch(model, loader, opt)\n")


@pytest.mark.parametrize("part, found", [("bn", [("BN105", "main.py", 8)]), ("conv", [])])
def test_a_helper_freezing_a_part_then_training_in_another_module(tmp_path, part, found):
    main = ("import torch\nfrom loops import train\nfrom nets import Net\n\n\ndef freeze(module):\n"
            "    for p in module.parameters():\n        p.requires_grad = False\n\n\n"
            f"def main(loader, opt):\n    model = Net()\n    freeze(model.{part})\n    train(model, loader, opt, 10)\n")
    assert _findings(tmp_path, {"nets.py": NET, "loops.py": LOOPS, "main.py": main}) == found


# a LightningModule's method sets requires_grad to its parameter: a freeze where `__init__` calls it with False
LIGHTNING = (
    "import torch.nn as nn\nimport torchvision\nimport pytorch_lightning as pl\n\n\nclass Classifier(pl.LightningModule):\n"
    "    def __init__(self):\n        super().__init__()\n        self.backbone = torchvision.models.resnet18()\n"
    "        self.head = nn.Linear(1000, 10)\n        self.set_trainable({given})\n\n"
    "    def set_trainable(self, trainable):\n        for p in self.backbone.parameters():\n"
    "            p.requires_grad = trainable\n\n    def training_step(self, batch, idx):\n        x, y = batch\n"
    "        return nn.functional.cross_entropy(self.head(self.backbone(x)), y)\n"
)


@pytest.mark.parametrize("given, found", [("False", [("BN105", "model.py", 15)]), ("True", [])])
def test_a_lightning_method_freezing_by_a_parameter_value(tmp_path, given, found):
    assert _findings(tmp_path, {"model.py": LIGHTNING.format(given=given)}) == found


# a constructor of another module freezing a part by a helper; the script trains the model as its builder returns
# it, with no `.train()` of its own (the training step alone: the freeze is all in the other file)
BUILT_FROZEN = (
    "import torch.nn as nn\n\n\ndef _freeze_module(module):\n    for param in module.parameters():\n"
    "        param.requires_grad = False\n{also}\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
    "        self.conv = nn.Conv2d(3, 8, 3)\n        self.bn = nn.BatchNorm2d(8)\n        self.fc = nn.Linear(8, 2)\n"
    "        _freeze_module(self.{part})\n\n    def forward(self, x):\n        return self.fc(self.bn(self.conv(x)).mean((2, 3)))\n\n\n"
    "def setup_net():\n    model = Net()\n{setup}    return model\n"
)
TRAINED_AS_BUILT = (
    "import torch\nfrom nets import setup_net\n\n\ndef main(loader):\n    net = setup_net()\n"
    "    opt = torch.optim.SGD(net.parameters(), lr=0.1)\n    for x, y in loader:\n        loss = net(x).sum()\n"
    "        opt.zero_grad()\n        loss.backward()\n        opt.step()\n"
)


@pytest.mark.parametrize("part, also, setup, found", [
    ("bn", "", "    model.train()\n", [("BN105", "nets.py", 6)]),
    ("bn", "", "", [("BN105", "nets.py", 6)]),  # in training mode as built
    ("conv", "", "    model.train()\n", []),  # the frozen part holds no BatchNorm
    ("bn", "    module.eval()\n", "", []),  # the helper puts it in eval too, and nothing puts it back
])
def test_a_constructor_of_another_file_freezing_a_part_trained_as_built(tmp_path, part, also, setup, found):
    nets = BUILT_FROZEN.format(part=part, also=also, setup=setup)
    assert _findings(tmp_path, {"nets.py": nets, "main.py": TRAINED_AS_BUILT}) == found


@pytest.mark.parametrize("given, found", [("models.resnet50()", [("BN105", 12)]), ("None", [])])
def test_a_truth_test_on_a_module_given_to_the_constructor_holds(given, found):
    """volleyball B5 (transfer batch 11's 6802): `if backbone:` in `__init__`, given `resnet50()`, holds (a module is
    true), so the `requires_grad = False` under it freezes the backbone that `model.train()` then trains with
    BatchNorm updating; given `None`, nothing is frozen."""
    code = """
        import torch
        import torch.nn as nn
        import torchvision.models as models


        class B5(nn.Module):
            def __init__(self, backbone=None):
                super().__init__()
                self.cnn = backbone if backbone is not None else nn.Identity()
                if backbone:
                    for param in self.cnn.parameters():
                        param.requires_grad = False
                self.fc = nn.Linear(1000, 9)

            def forward(self, x):
                return self.fc(self.cnn(x))


        def train(model, optimizer, loader):
            for epoch in range(3):
                model.train()
                for x, y in loader:
                    loss = nn.functional.cross_entropy(model(x), y)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()


        model = B5(backbone={given})
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
        train(model, optimizer, [])
        """.replace("{given}", given)
    assert codes_and_lines(check_code(code, select=("BN105",))) == found


_STEP_HELPER = """
import torch
import torch.nn as nn
from torchvision import models


def train_step(backbone, head, x, y, optimizer):
    with torch.no_grad():
        features = backbone(x)
    loss = nn.functional.cross_entropy(head(features), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


backbone = models.resnet50(weights="IMAGENET1K_V2")
{freeze}
head = nn.Linear(1000, 10)
optimizer = torch.optim.SGD(head.parameters(), lr=0.1)
for epoch in range(10):
    backbone.{mode}()
    head.train()
    for x, y in torch.utils.data.DataLoader([], batch_size=32):
        train_step(backbone, head, x, y, optimizer)
"""


def test_a_frozen_model_run_without_gradients_by_a_step_helper_is_watched_at_the_call():
    """``Summary.fixed_runs``: a step helper with no loop of its own runs the module it is given under ``no_grad``
    and steps another; the caller that froze the module watches it at the call, in training mode there: frozen by
    its parameters (reported at the freeze), or given to no optimizer (at the optimizer that leaves it out: the
    helper only runs what it is given, `modes/optimizers._plain_in`)."""
    code = _STEP_HELPER.format(freeze="backbone.requires_grad_(False)", mode="train")
    assert codes_and_lines(check_code(code, select=("BN105",))) == [("BN105", 16)]
    assert check_code(code.replace("backbone.train()", "backbone.eval()"), select=("BN105",)) == []
    left_out = _STEP_HELPER.format(freeze="", mode="train")
    assert codes_and_lines(check_code(left_out, select=("BN105",))) == [("BN105", 18)]
    assert check_code(left_out.replace("backbone.train()", "backbone.eval()"), select=("BN105",)) == []
    optimised_there = left_out.replace("    with torch.no_grad():", "    torch.optim.SGD(backbone.parameters(), lr=0.01)\n    with torch.no_grad():")
    assert check_code(optimised_there, select=("BN105",)) == []


def test_a_step_helper_reading_the_frozen_model_as_a_global_two_calls_deep():
    code = """
        import torch
        import torch.nn.functional as F
        from torchvision import models

        model = models.resnet18(weights="IMAGENET1K_V1")
        refine = models.resnet18()
        optimizer = torch.optim.SGD(refine.parameters(), lr=0.01)

        def train_step(x, y):
            model.train()
            with torch.no_grad():
                coarse = model(x)
            loss = F.mse_loss(refine(coarse), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        def main():
            for x, y in torch.utils.data.DataLoader([], batch_size=16):
                train_step(x, y)

        main()
    """
    assert codes_and_lines(check_code(code, select=("BN105",))) == [("BN105", 7)]
    assert check_code(code.replace("model.train()", "model.eval()"), select=("BN105",)) == []
