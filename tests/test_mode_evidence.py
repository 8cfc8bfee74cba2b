"""The mode rules on the evidence real code gives (RULES.md, "Evidence"): a model after a training step is in
training mode, evaluation data names an evaluation, an evaluation function owns its model's mode, BatchNorm
freezes undone by ``.train()``, builders that freeze for a trainer they never meet. Each case is the shape
of a real report (../shared/realworld), with the deliberate choices that look like it."""
from __future__ import annotations

import pytest

from tests.helpers import check_code, codes_and_lines

_NET = """
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.body(x).mean((2, 3)))
"""  # (15 lines)


def _bn1(body: str) -> list[tuple[str, int]]:
    return codes_and_lines(check_code(_NET + body, select=("BN1",)))


def at(code: str, text: str) -> int:
    """The line of ``code`` (as checked: ``check_code`` drops the first newline) that holds ``text``."""
    lines = code.lstrip("\n").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


# ---------------------------------------------------------------- a model after a training step
_TRAIN_THEN_TEST = """

def test(model, loader):
    with torch.no_grad():
        return [model(x).argmax(1) for x, _ in loader]


def train(model, train_loader, val_loader, optimizer, epochs):
    for epoch in range(epochs):
        for x, y in train_loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step(){between}
        print(test(model, val_loader))
"""


@pytest.mark.parametrize("between, expected", [
    ("", "model(x).argmax(1)"),  # trained in the mode it was given: training mode, then evaluated by `test()`
    ("\n        model.eval()", None),
])
def test_a_model_trained_in_its_entry_mode_is_in_training_mode_at_the_evaluation_after(between, expected):
    code = _NET + _TRAIN_THEN_TEST.format(between=between)
    if between:
        code = code.replace("    for epoch in range(epochs):\n", "    for epoch in range(epochs):\n        model.train()\n")
    findings = check_code(code, select=("BN1",))
    assert codes_and_lines(findings) == ([("BN101", at(code, expected))] if expected else [])
    if expected:
        assert f"trained at line {at(code, 'F.cross_entropy(model(x), y)')}" in findings[0].message


def test_the_loss_function_of_a_training_step_is_not_the_model():
    """``criterion(out, y)`` runs in the training step too, and again in validation: it is a loss, not a model."""
    body = """

def run(model, criterion, optimizer, loaders):
    for phase in ("train", "val"):
        model.train() if phase == "train" else model.eval()
        for x, y in loaders[phase]:
            with torch.set_grad_enabled(phase == "train"):
                loss = criterion(model(x), y)
                if phase == "train":
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
"""
    assert _bn1(body) == []


# ---------------------------------------------------------------- evaluation data
@pytest.mark.parametrize("loop, expected", [
    ("for images, labels in test_loader:", True),
    ("for images, labels in valid_dl:", True),
    ("for images, labels in train_loader:", False),  # (an accuracy on training data after training: not named)
])
def test_a_loop_over_evaluation_data_after_training_is_an_evaluation(loop, expected):
    body = f"""

def run(model, train_loader, test_loader, valid_dl, optimizer):
    for x, y in train_loader:
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    correct = 0
    {loop}
        outputs = model(images)
        correct += (torch.max(outputs.data, 1)[1] == labels).sum()
    return correct
"""
    assert _bn1(body) == ([("BN101", at(_NET + body, "outputs = model(images)"))] if expected else [])


@pytest.mark.parametrize("source, expected", [
    ("testdataloader", True),  # the step's `loss` is the one assigned before it, not this one
    ("dataloader", False),  # (another training batch: not named for evaluation)
])
def test_a_test_batch_inside_the_training_loop_is_an_evaluation(source, expected):
    """PointNet's classifier: every tenth step, one batch of the test loader, outputs to an accuracy."""
    body = f"""

def train(classifier, dataloader, testdataloader, optimizer):
    for i, (points, target) in enumerate(dataloader):
        optimizer.zero_grad()
        classifier = classifier.train()
        loss = F.nll_loss(classifier(points), target)
        loss.backward()
        optimizer.step()
        if i % 10 == 0:
            _, (points, target) = next(enumerate({source}, 0))
            pred = classifier(points)
            loss = F.nll_loss(pred, target)
            print(pred.max(1)[1].eq(target).sum().item())
"""
    assert _bn1(body) == ([("BN101", at(_NET + body, "pred = classifier(points)"))] if expected else [])


# ---------------------------------------------------------------- the evaluation function owns the mode
_VALIDATE = """

def validate(model, val_loader):
    correct = 0
    with torch.no_grad():
        for imgs, labels in val_loader:
            correct += int((model(imgs).argmax(1) == labels).sum())
    return correct
{rest}"""


@pytest.mark.parametrize("rest, expected", [
    ("", True),  # no caller: reported at its evaluation loop
    ("\ndef main(loader):\n    print(validate(Net.from_disk(), loader))\n", True),  # a caller that never sets it
    ("\nnet = Net()\nnet.eval()\nprint(validate(net, loader))\n", False),
    ("\ndef main(loader):\n    net = Net()\n    prepare(net)\n    print(validate(net, loader))\n", False),  # (unknown)
])
def test_an_evaluation_function_owns_the_mode_of_its_model(rest, expected):
    code = _NET + _VALIDATE.format(rest=rest)
    findings = check_code(code, select=("BN1",))
    assert codes_and_lines(findings) == ([("BN101", at(code, "for imgs, labels in val_loader"))] if expected else [])
    if expected:
        assert "`validate()` evaluates `model` and never calls `model.eval()`" in findings[0].message


def test_an_evaluation_function_in_a_project_without_batchnorm_is_not_reported():
    code = _VALIDATE.format(rest="").replace("correct = 0", "correct = 0  # an MLP project")
    assert codes_and_lines(check_code("import torch\n" + code, select=("BN1",))) == []


def test_an_evaluation_function_of_a_file_that_manages_modes_elsewhere_is_not_reported():
    """A file that puts models in eval somewhere (a loader that calls ``.eval()``) hands them on so."""
    rest = "\n\ndef load(path):\n    net = Net()\n    net.load_state_dict(torch.load(path))\n    return net.eval()\n"
    assert _bn1(_VALIDATE.format(rest=rest)) == []


def test_a_loading_function_out_of_sight_gives_the_model_back_in_its_mode():
    """``load_weights(net, path)`` (code not in the project): the fresh model stays in training mode, as after
    ``load_state_dict``; an unknown function with another name may set it (silent, above)."""
    rest = "\ndef main(loader):\n    net = Net()\n    load_weights(net, 'ckpt.pt')\n    print(validate(net, loader))\n"
    code = _NET + _VALIDATE.format(rest=rest)
    findings = check_code(code, select=("BN1",))
    assert codes_and_lines(findings) == [("BN101", at(code, "correct += int("))]
    assert "built at line" in findings[0].message


def test_a_plain_class_evaluates_the_model_it_was_given():
    """RobustDG's algorithm object: ``self.phi`` from the constructor, trained, then evaluated, never put in eval."""
    body = """

class Algo:
    def __init__(self, phi, test_loader):
        self.phi = phi
        self.test_loader = test_loader

    def get_test_accuracy(self):
        acc = 0
        for x, y in self.test_loader:
            with torch.no_grad():
                acc += (self.phi(x).argmax(1) == y).sum().item()
        return acc
"""
    assert _bn1(body) == [("BN101", at(_NET + body, "for x, y in self.test_loader"))]
    assert _bn1(body + "\n    def evaluate(self):\n        self.phi.eval()\n        return self.get_test_accuracy()\n") == []


def test_a_hub_ensemble_is_in_training_mode():
    body = """

def load_models():
    return [torch.hub.load("chenyaofo/pytorch-cifar-models", name, pretrained=True) for name in ("r20", "r32")]


class Ensemble(nn.Module):
    def __init__(self, a, b):
        super().__init__()
        self.a, self.b = a, b

    def forward(self, x):
        return self.a(x).softmax(1) + self.b(x).softmax(1)


ensemble = Ensemble(*load_models())
with torch.no_grad():
    print(ensemble(torch.randn(2, 3, 32, 32)).argmax(1))
"""
    assert _bn1(body) == [("BN101", at(_NET + body, "print(ensemble("))]


# ---------------------------------------------------------------- BatchNorm freezes undone by .train()
_FREEZE_IN_INIT = """

class Frozen(Net):
    def __init__(self, freeze_bn=True):
        super().__init__()
        if freeze_bn:
            self.freeze_bn()

    def freeze_bn(self):
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
{override}

def train(net, loader, optimizer):
    net.train()
    for x, y in loader:
        optimizer.zero_grad()
        F.cross_entropy(net(x), y).backward()
        optimizer.step()


def main(loader, epochs):
    net = Frozen(freeze_bn={flag})
    optimizer = torch.optim.Adam(net.parameters())
    for epoch in range(epochs):
        train(net, loader, optimizer)
"""
_OVERRIDE = """
    def train(self, mode=True):
        super().train(mode)
        if mode:
            self.freeze_bn()
        return self
"""


@pytest.mark.parametrize("override, flag, expected", [
    ("", "True", True),  # IndexNet: frozen once at construction, undone every epoch
    ("", "False", False),
    (_OVERRIDE, "True", False),  # the detectron/mmdet recipe: `train()` freezes again
])
def test_a_batchnorm_freeze_at_construction_is_undone_by_train(override, flag, expected):
    code = _NET + _FREEZE_IN_INIT.format(override=override, flag=flag)
    assert codes_and_lines(check_code(code, select=("BN105",))) == (
        [("BN105", at(code, "    net.train()"))] if expected else [])


@pytest.mark.parametrize("where, expected", [
    ("before", True),  # frozen once, `model.train()` every epoch
    ("after", False),  # frozen again after every `model.train()`
    ("unfreeze", False),  # the helper called with True: nothing is frozen
])
def test_a_freezing_helper_with_a_flag_then_train_every_epoch(where, expected):
    body = f"""

def set_requires_grad(modules, requires_grad):
    for module in modules:
        for p in module.parameters():
            p.requires_grad = requires_grad
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                if requires_grad:
                    m.train()
                else:
                    m.eval()


def finetune(model, loader, opt, epochs):
    {"set_requires_grad([model.body], False)" if where == "before" else "pass"}
    for epoch in range(epochs):
        model.train()
        {"set_requires_grad([model.body], False)" if where == "after" else "pass"}
        {"set_requires_grad([model.body], True)" if where == "unfreeze" else "pass"}
        for x, y in loader:
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
"""
    assert codes_and_lines(check_code(_NET + body, select=("BN105",))) == (
        [("BN105", at(_NET + body, "model.train()"))] if expected else [])


# ---------------------------------------------------------------- a builder's freeze, a trainer of the same file
_BUILDER = """
import torch
import torch.nn as nn
import torchvision


def build_model(n_classes):
    net = torchvision.models.resnet50(weights="DEFAULT")
    for param in net.parameters():
        param.requires_grad = False
    net.fc = nn.Linear(net.fc.in_features, n_classes)
    return net


def fit(net, loader, epochs):
    optimizer = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.01)
    for epoch in range(epochs):
        net.train(){freeze}
        for x, y in loader:
            optimizer.zero_grad()
            nn.functional.cross_entropy(net(x), y).backward()
            optimizer.step()
"""


@pytest.mark.parametrize("freeze, expected", [
    ("", True),
    ("\n        net.apply(lambda m: m.eval() if isinstance(m, nn.BatchNorm2d) else None)", False),
    ("\n        for m in net.modules():\n            if isinstance(m, nn.BatchNorm2d):\n                m.eval()", False),
])
def test_a_builder_freezes_a_batchnorm_model_for_a_trainer_that_calls_train(freeze, expected):
    code = _BUILDER.format(freeze=freeze)
    assert codes_and_lines(check_code(code, select=("BN105",))) == (
        [("BN105", at(code, "param.requires_grad = False"))] if expected else [])


# ---------------------------------------------------------------- an inference script
_INFERENCE = """
import torch
import torch.nn as nn
import torchvision


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.ConvTranspose2d(16, 8, 4, bias=False), nn.BatchNorm2d(8), nn.ReLU())

    def forward(self, z):
        return self.net(z)


g_net = Generator()
g_net.load_state_dict(torch.load("snapshots/gnet.pth"))
out_img = g_net(torch.randn(64, 16, 1, 1))
torchvision.utils.save_image(out_img.data, "inference.png"){rest}
"""


@pytest.mark.parametrize("rest, expected", [
    ("", True),  # weights loaded, a generator's samples saved: inference, in training mode
    ("\nopt = torch.optim.Adam(g_net.parameters())\nout_img.mean().backward()\nopt.step()", False),  # (it trains)
])
def test_an_inference_script_runs_a_loaded_model(rest, expected):
    code = _INFERENCE.format(rest=rest)
    assert codes_and_lines(check_code(code, select=("BN101",))) == (
        [("BN101", at(code, "out_img = g_net("))] if expected else [])


def test_a_smoke_test_of_a_loaded_model_on_random_input_is_not_an_inference_run():
    code = _INFERENCE.format(rest="").replace('torchvision.utils.save_image(out_img.data, "inference.png")',
                                              "print(out_img.shape)")
    assert check_code(code, select=("BN101",)) == []


def test_batch_statistics_by_design_momentum_one():
    """Transductive MAML: every BatchNorm has momentum=1, evaluation in training mode on purpose."""
    code = _VALIDATE.format(rest="\nnet = Net()\nprint(validate(net, loader))\n")
    assert _bn1(code) != []
    assert _bn1(code.replace("", "")) and check_code(
        (_NET + code).replace("nn.BatchNorm2d(8)", "nn.BatchNorm2d(8, momentum=1)"), select=("BN1",)) == []


_TRAINER_FREEZE = """
import torch


def fix_bn(module):
    for m in module.modules():
        if m.__class__.__name__.find("BatchNorm") != -1:
            m.eval()
    return module


class BaseTrainer:
    def __init__(self, model, loader, optimizer):
        self.model = fix_bn(model)
        self.loader = loader
        self.optimizer = optimizer

    def train_epoch(self):
        self.model.train(){refreeze}
        for x in self.loader:
            self.optimizer.zero_grad()
            self.model(x).mean().backward()
            self.optimizer.step()
"""


@pytest.mark.parametrize("refreeze, expected", [("", True), ("\n        fix_bn(self.model)", False)])
def test_a_freeze_in_init_is_undone_by_a_method_that_calls_train(refreeze, expected):
    """OpenStereo's trainer: BatchNorm fixed once while the trainer is built, `self.model.train()` every epoch."""
    code = _TRAINER_FREEZE.format(refreeze=refreeze)
    assert codes_and_lines(check_code(code, select=("BN105",))) == (
        [("BN105", at(code, "self.model.train()"))] if expected else [])


def test_a_lightning_trainer_fit_undoes_a_part_put_in_eval_in_init():
    code = """
import pytorch_lightning as pl
import torch
import torch.nn as nn
import torchvision


class Probe(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.backbone = torchvision.models.resnet18(weights="IMAGENET1K_V1")
        self.backbone.eval()
        self.head = nn.Linear(1000, 10)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return nn.functional.cross_entropy(self.head(self.backbone(x)), y)


if __name__ == "__main__":
    trainer = pl.Trainer(max_epochs=10)
    trainer.fit(Probe())
    model = Probe()
    trainer.fit(model)
"""
    findings = check_code(code, select=("BN105",))
    assert codes_and_lines(findings) == [("BN105", at(code, "trainer.fit(model)"))]
    assert "`trainer.fit()` here (it calls `.train()`)" in findings[0].message


# a BatchNorm model of this file, the start of the pytorch-3dunet trainer cases below
_BN_NET = '''
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, bias=False)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(self.conv(x)).mean((2, 3))
'''


def test_a_helper_method_that_runs_the_model_then_the_loss_is_a_use_of_the_model():
    """pytorch-3dunet's trainer: ``validate()`` runs ``self._forward_pass(...)``, which calls ``self.model``
    and then ``self.loss_criterion``; the call is the model's evaluation (it was the loss's, and silent)."""
    code = _BN_NET + '''
class Trainer:
    def __init__(self, model, optimizer, loss_criterion, loaders):
        self.model = model
        self.optimizer = optimizer
        self.seg_loss = loss_criterion
        self.loaders = loaders

    def train(self, loader):
        self.model.train()
        for x, y in loader:
            out, loss = self._forward_pass(x, y)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            score = self.validate(self.loaders["val"])

    def validate(self, loader):
        total = 0.0
        with torch.no_grad():
            for x, y in loader:
                out, loss = self._forward_pass(x, y)  # (evaluated)
                total += loss.item()
        return total

    def _forward_pass(self, x, y):
        out = self.model(x)
        return out, self.seg_loss(out, y)
'''
    findings = check_code(code, select=("BN1",))
    assert codes_and_lines(findings) == [("BN101", at(code, "(evaluated)"))]
    assert "`self.model`" in findings[0].message
    # the uses recorded at the helper's calls are the model's (the last key seen won: the loss's)
    import libcst as cst

    from bn_lint.config import Settings
    from bn_lint.semantic.file.model import FileModel
    from bn_lint.semantic.modes import ModeAnalysis

    text = code.lstrip("\n")
    model = FileModel("t.py", text, cst.parse_module(text), Settings(), None)
    analysis = model.analysis(ModeAnalysis).run()
    keys = {site.key for node, site in analysis.uses.items() if "_forward_pass" in model.code(node)}
    assert keys == {"self.model"}


def test_the_first_iteration_of_an_evaluation_loop_is_a_visible_path():
    """pytorch-3dunet's ``validate``: an unknown method of the model (``self.model.final_activation``) runs
    after the evaluation, so later iterations (and later calls of ``validate`` from the training loop) see
    an unknown mode; the first one runs the model in training mode: reported. An eval on some path would
    still be a deliberate choice (not reported)."""
    code = _BN_NET + '''
class Trainer:
    def __init__(self, model, optimizer, loaders):
        self.model = model
        self.optimizer = optimizer
        self.loaders = loaders

    def train(self, loader):
        self.model.train()
        for x, y in loader:
            loss = ((self.model(x) - y) ** 2).mean()
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            score = self.validate(self.loaders["val"])

    def validate(self, loader):
        total = 0.0
        with torch.no_grad():
            for x, y in loader:
                out = self.model(x)  # (evaluated)
                out = self.model.final_activation(out)
                total += ((out - y) ** 2).mean().item()
        return total
'''
    findings = check_code(code, select=("BN1",))
    assert codes_and_lines(findings) == [("BN101", at(code, "(evaluated)"))]
    # an eval on a later iteration's path: BN101 stays silent (BN103 reports the eval in the training loop)
    other = check_code(code.replace("out = self.model.final_activation(out)", "self.model.eval()"), select=("BN1",))
    assert [f.code for f in other] == ["BN103"]


@pytest.mark.parametrize("load, expected", [
    # (transfer batch 5, 1603: SfSNet's test script; the model's own loader, named for what it loads and from where)
    ("net.load_weights_from_pkl('weights.pkl')", [("BN101", 22)]),
    ("net.load_weights_from_pkl('weights.pkl')\n    net.eval()", []),
    ("net.load_data_from_pkl('weights.pkl')", []),  # (not a loader of weights: no inference run shown)
])
def test_a_model_given_weights_by_its_own_loader_then_run_is_an_inference_run(load, expected):
    code = _NET + f"""

class Loadable(Net):
    def load_weights_from_pkl(self, path):
        self.load_state_dict(torch.load(path))

    def load_data_from_pkl(self, path):
        self.data = torch.load(path)


if __name__ == "__main__":
    net = Loadable()
    {load}
    out = net(torch.load("image.pt"))
"""
    assert codes_and_lines(check_code(code, select=("BN1",))) == [(c, at(code, "out = net") if c else 0) for c, _ in expected]


@pytest.mark.parametrize("before, expected", [
    # (transfer batch 5, 1659: a probe script; the run two helper calls below where the weights are loaded)
    ("net.load_state_dict(torch.load('best.pth'))", True),
    ("net.load_state_dict(torch.load('best.pth'))\n    net.eval()", False),
    ("pass", False),  # (no weights given: a model built and run proves nothing about an inference)
])
def test_a_helper_runs_the_model_its_callers_loaded_weights_into(before, expected):
    code = _NET + f"""

def process_image(model, image):
    return model(image)


def probe(model, images):
    return [process_image(model, image) for image in images]


if __name__ == "__main__":
    net = Net()
    {before}
    gains = probe(net, torch.load("stimuli.pt"))
"""
    assert codes_and_lines(check_code(code, select=("BN1",))) == ([("BN101", at(code, "return model(image)"))] if expected else [])
