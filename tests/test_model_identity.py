"""Model identity through calls and holders (issue 42; miss map groups 1 and 16): a classmethod alternative
constructor, a registry's classes built by one, a wrapper class around a module it is given, a call that hands
back the objects it is given (``amp.initialize``), an object held in another object's attribute, and a model
method that runs ``self.forward``. Each bug beside its fixed twin."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import check_code, codes_and_lines

CORRECTNESS = ("BN1",)

CLASSMETHOD = """
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.enc = nn.Linear(8, width, bias=False)
        self.bn = nn.BatchNorm1d(width)

    def forward(self, x):
        return self.bn(self.enc(x))

    @classmethod
    def load_from_file(cls, path):
        d = torch.load(path)
        model = cls(**d["hparams"]).to("cpu")
        model.load_state_dict(d["state_dict"])
        return model


def export(path, x):
    model = Net.load_from_file(path)
    {fix}
    torch.onnx.export(model, x, "net.onnx")
"""


@pytest.mark.parametrize("fix, expected", [("pass", [("BN104", 25)]), ("model.eval()", [])])
def test_a_classmethod_that_builds_cls_through_a_local_name(fix, expected):
    findings = check_code(CLASSMETHOD.format(fix=fix), select=CORRECTNESS)
    assert codes_and_lines(findings) == expected, [f.message for f in findings]


def test_a_classmethod_returning_something_else_is_not_its_class():
    code = CLASSMETHOD.format(fix="pass").replace("        return model\n", "        return d\n")
    assert codes_and_lines(check_code(code, select=CORRECTNESS)) == []


REGISTRY = """
import torch.nn as nn
MODELS = {{}}
def register(name):
    def deco(cls):
        MODELS[name] = cls
        return cls
    return deco
def build_model(config):
    return MODELS[config["name"]].from_config(config)
@register("resnet")
class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.{layer}
    @classmethod
    def from_config(cls, config):
        return cls()
    def forward(self, x):
        return self.bn(x)
"""


@pytest.mark.parametrize("layer, expected", [("bn = nn.BatchNorm2d(3)", [("BN104", 3)]),
                                             ("bn = nn.GroupNorm(1, 3)", [])])
def test_a_registry_of_classes_built_by_their_alternative_constructor(tmp_path, layer, expected):
    from bn_lint.config import Settings
    from bn_lint.engine import Checker

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text(REGISTRY.format(layer=layer).lstrip("\n"))
    (tmp_path / "a.py").write_text("import torch\nfrom pkg import build_model\nmodel = build_model({'name': 'resnet'})\n"
                                   "script = torch.jit.trace(model, torch.randn(2, 3, 8, 8))\n")
    result = Checker(Settings(root=str(tmp_path), select=CORRECTNESS)).check_path(str(tmp_path / "a.py"))
    # (reported at the export's first argument, line 4)
    assert [(f.code, f.line) for f in result.findings] == [(c, 4) for c, _ in expected], \
        [f.message for f in result.findings]


WRAPPER = """
import torch
import torch.nn as nn

class Enc(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(4)
    def forward(self, x):
        return self.bn(x)

class Wrapper(nn.Module):
    def __init__(self, encoder):
        super().__init__()
        self.{stored} = encoder
    def forward(self, x):
        return self.encoder(x)

def validate(encoder, loader):
    model = Wrapper(encoder)
    model.train()
    with torch.no_grad():
        for x in loader:
            print(model(x).argmax(1))
"""


@pytest.mark.parametrize("stored, expected", [("encoder", [("BN101", 23)]), ("config", [])])
def test_a_wrapper_holds_the_module_it_is_given(stored, expected):
    """The twin stores the argument under a name its forward never runs: not a submodule it wraps."""
    findings = check_code(WRAPPER.format(stored=stored), select=CORRECTNESS)
    assert codes_and_lines(findings) == expected, [f.message for f in findings]


HANDED_BACK = """
import torch
import torchvision
from torch import nn
from apex import amp


def main(loader):
    model = torchvision.models.resnet50()
    for name, param in model.named_parameters():
        param.requires_grad = False
    optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.1)
    {line}
    for batch in loader:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(batch["image"]), batch["label"])
        loss.backward()
        optimizer.step()
"""


@pytest.mark.parametrize("line, expected", [
    ('model, optimizer = amp.initialize(model, optimizer, opt_level="O1")', [("BN105", 10)]),
    # (a call that hands back something else: what `model` holds now, the code does not show)
    ('model, optimizer = amp.initialize(optimizer, model, opt_level="O1")', []),
])
def test_a_call_that_hands_back_the_objects_it_is_given(line, expected):
    findings = check_code(HANDED_BACK.format(line=line), select=("BN105",))
    assert codes_and_lines(findings) == expected, [f.message for f in findings]


HOLDER = """
import torch
import torch.nn as nn


class Logic:
    def epoch_begin(self, model):
        model.train()

    def train_step(self, model, optimizer, x):
        loss = model(x).sum()
        loss.backward()
        optimizer.step()

    def validation_begin(self, model):
        model.eval()

    def validation_end(self, model):
        model.train()


class Trainer:
    def __init__(self, handler, model, optimizer):
        self.handler = handler
        self.model = model
        self.optimizer = optimizer

    def run(self, loader, evaluate):
        for epoch in range(10):
            self.handler.epoch_begin(self.model)
            for i, x in enumerate(loader):
                self.handler.train_step(self.model, self.optimizer, x)
                if i % 100 == 0:
                    self.handler.validation_begin(self.model)
                    evaluate(self.model)
                    {end}


model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
Trainer(Logic(), model, torch.optim.SGD(model.parameters(), lr=0.1)).run([torch.randn(8, 4)], print)
"""


@pytest.mark.parametrize("end, expected", [("pass", [("BN103", 33)]),
                                           ("self.handler.validation_end(self.model)", [])])
def test_an_object_held_in_an_attribute_from_a_constructor_argument(end, expected):
    """``self.handler`` stored from ``__init__``'s parameter: its methods are those of the class every
    construction gives it (``Logic()``)."""
    findings = check_code(HOLDER.format(end=end), select=CORRECTNESS)
    assert codes_and_lines(findings) == expected, [f.message for f in findings]


def test_a_validation_through_a_held_object_is_no_freeze():
    """A trainer's ``self.model`` put in eval by its handler for a validation and back in training by the next
    step is a whole model evaluated, not a BatchNorm part frozen (no BN105 for the ``.train()`` that follows)."""
    code = HOLDER.format(end="pass").replace("        loss = model(x).sum()", "        model.train()\n        loss = model(x).sum()")
    assert codes_and_lines(check_code(code, select=CORRECTNESS)) == []


TRAIN_STEP = """
import torch
from torch import nn


class SpeakerEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(4)

    def forward(self, x):
        return self.bn(x)


class Vits(nn.Module):
    def __init__(self):
        super().__init__()
        self.speaker_encoder = SpeakerEncoder()
        for param in self.speaker_encoder.parameters():
            param.requires_grad = False
        self.dec = nn.Linear(4, 4)

    def train(self, mode=True):
        super().train(mode)
        {override}
        return self

    def forward(self, x):
        return self.dec(x) + self.speaker_encoder(x)

    def train_step(self, batch, criterion):
        out = self.forward(batch)
        return criterion(out)


model = Vits()
opt = torch.optim.Adam(model.parameters())
for batch in []:
    loss = model.train_step(batch, lambda o: o.sum())
    loss.backward()
    opt.step()
"""


@pytest.mark.parametrize("override, expected", [("pass", [("BN105", 19)]), ("self.speaker_encoder.eval()", [])])
def test_a_training_step_through_a_method_that_runs_self_forward(override, expected):
    findings = check_code(TRAIN_STEP.format(override=override), select=("BN105",))
    assert codes_and_lines(findings) == expected, [f.message for f in findings]


@pytest.mark.parametrize("key", ["self.model", "self._modules[*]", "nets['student'].backbone", "heads[0]"])
def test_an_access_path_turns_back_into_an_expression_of_the_same_path(key):
    # (a callback given `self._modules[name]` made `key_expression` parse "self._modules[*]": an internal error)
    from bn_lint.semantic.modes.keys import key_expression, key_of

    assert key_of(key_expression(key)) == key


PROBE = '''
import torch
import torch.nn as nn
from torchvision import models


class Probe(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = models.resnet50()
        self.classifier = nn.Linear(2048, 10)
        self.{loss} = nn.CrossEntropyLoss()

    def forward(self, x):
        with torch.no_grad():
            features = self.encoder(x)
        return self.classifier(features)

    def train(self):
        optimizer = torch.optim.Adam(self.classifier.parameters())
        for images, targets in []:
            self.classifier.train()
            loss = self.{loss}(self.forward(images), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    def test(self, loader):
        self.classifier.eval()
        self.encoder.eval()
        with torch.no_grad():
            for images, targets in loader:
                print(self.{loss}(self.forward(images), targets).item())
'''


@pytest.mark.parametrize("loss", ["criterion", "loss_fn"])
def test_a_loss_a_class_holds_is_not_the_model_its_evaluation_runs(tmp_path, loss):
    # (transfer 14's 9301: `self.criterion(logits, y)` in test() was taken for a run of a model in training mode)
    from bn_lint.config import Settings
    from bn_lint.engine import Checker

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "model.py").write_text(PROBE.format(loss=loss).lstrip("\n"))
    (tmp_path / "run.py").write_text("from model import Probe\n\nmodel = Probe()\nmodel.train()\nmodel.test([])\n")
    found = []
    for name in ("model.py", "run.py"):
        result = Checker(Settings(root=str(tmp_path), select=CORRECTNESS)).check_path(str(tmp_path / name))
        found += [(f.code, Path(f.path).name) for f in result.findings]
    assert found == [], found
