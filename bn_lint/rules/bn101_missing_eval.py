"""BN101 missing-eval."""
from __future__ import annotations

import os
from typing import Iterable

import libcst as cst

from ..finding import Severity
from ..rule import Invalid, Rule, Valid
from ..semantic.model import FileModel, Report
from ..semantic.modes import EVAL_NAME, TRAIN, HelperEval, ModeAnalysis, eval_named, describe
from ..semantic.modules import ModelKind
from ..semantic.trained import TRAINED
from ..semantic.walk import walk
from ..semantic.deliberate import batch_statistics_by_design
from ..semantic.owned import project_builds_batchnorm, unowned_evaluation



_UNPACKED = """
import torch
import torchvision


def load_classifier(path):
    net = torchvision.models.resnet18(num_classes=5)
    net.load_state_dict(torch.load(path))
    return {returned}, ["daisy", "rose", "tulip", "iris", "lily"]


model, names = load_classifier("flowers.pt")
with torch.no_grad():
    scores = model(torch.randn(1, 3, 224, 224))
"""
_TRAINER = """
import torch
import torch.nn as nn
import torch.nn.functional as F
{decorator}
class Trainer:
{fields}

    def fit(self, loader):
        self.model.train()
        for x, y in loader:
            self.optimizer.zero_grad()
            F.cross_entropy(self.model(x), y).backward()
            self.optimizer.step()

    def predict(self, x):
        with torch.no_grad():
            return self.model(x).argmax(1)


net = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
trainer = Trainer(net, torch.optim.SGD(net.parameters(), lr=0.1))
trainer.fit(loader){between}
labels = trainer.predict(torch.randn(4, 8))
"""
_DATACLASS = dict(decorator="from dataclasses import dataclass\n\n@dataclass",
                  fields="    model: nn.Module\n    optimizer: torch.optim.Optimizer")
_INIT = dict(decorator="", fields="    def __init__(self, model, optimizer):\n        self.model = model\n"
                                  "        self.optimizer = optimizer")
_EMA_TRAINER = """
import copy
import torch
import torch.nn as nn


class ModelEma:
    def __init__(self, model, decay=0.999):
        self.module = copy.deepcopy(model)
        self.decay = decay

    @torch.no_grad()
    def update(self, model):
        for ema_p, p in zip(self.module.parameters(), model.parameters()):
            ema_p.mul_(self.decay).add_(p, alpha=1 - self.decay)


class Trainer:
    def __init__(self, loader):
        self.loader = loader
        self.model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten(), nn.LazyLinear(10))
        self.ema = ModelEma(self.model)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)

    def train_epoch(self):
        self.model.train()
        for x, y in self.loader:
            self.optimizer.zero_grad()
            nn.functional.cross_entropy(self.model(x), y).backward()
            self.optimizer.step()
            self.ema.update(self.model)

    @torch.no_grad()
    def evaluate(self):{ema_eval}
        return [self.ema.module(x).argmax(1) for x, _ in self.loader]

    def fit(self, epochs):
        for epoch in range(epochs):
            self.train_epoch()
            print(self.evaluate())


Trainer(loader).fit(10)
"""
_BUILT_AROUND = """
import torch
import torch.nn as nn

def make_layers(batch_norm=False):
    layers = []
    for width in (16, 32):
        layers += [nn.Conv2d(3, width, 3, bias=False)]
        if batch_norm:
            layers += [nn.BatchNorm2d(width)]
    return nn.Sequential(*layers)

class Net(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.features = features
        self.head = nn.Linear(32, 10)

    def forward(self, x):
        return self.head(self.features(x).mean((2, 3)))

def predict(loader):
    model = Net({features})
    model.load_state_dict(torch.load("net.pt"))
    with torch.no_grad():
        return [model(x).argmax(1) for x in loader]
"""

class MissingEval(Rule):
    code = "BN101"
    name = "missing-eval"
    severity = Severity.ERROR
    summary = "A BatchNorm model is run for evaluation/inference while in training mode."
    what = """
        Follows each model variable's train/eval mode through the code (branches, loops, helper
        functions in this file and in other project files) and flags a call of the model in an
        evaluation context (under `torch.no_grad()` / `torch.inference_mode()`, its output read as
        predictions by `argmax` / `topk` / `max` over a dim outside any training step, or in a
        function named like evaluate/validate/test/predict/infer that does no training step; a
        module-level model that such a function reads counts as passed in by each call, and one that a
        function nobody in the file calls (a web handler, a callback) reads is in the mode the module's
        code leaves it, when no other function changes it; an action picked from the argmax under
        `no_grad` in a training loop, which no loss reads, is an evaluation; or, in a loop
        or function that trains on one branch, the branch where `torch.set_grad_enabled(phase == 'train')`
        turns gradients off, when the code shows that branch run: `for phase in ('train', 'val')`, or a
        call passing `train=False`) where the model
        is in training mode on every path the code shows: it was built there (modules start in
        training mode, as do `torch.hub.load` entry points), `.train()` was called, or it ran a
        training step (`loss.backward()` on its output) in the mode it was given, and no `.eval()`
        reaches the call. Also flagged: a loop over evaluation data (`test_loader`, `val_dl`) or a
        batch taken from it inside a training loop whose outputs reach no backward pass; an
        inference script (weights loaded with `load_state_dict`, nothing in the file trains); an
        evaluation function that runs a model it is given and never puts in eval, in a file that
        puts no model in eval anywhere and whose callers do not either (RULES.md, Evidence), when
        the model may hold BatchNorm. Not flagged: calls in a training step (a loop or function with
        `backward()` / `optimizer.step()` / `train_step()`), models whose mode bn-lint cannot see
        (models loaded with `torch.load` / `torch.jit.load`, models passed to unknown code), files
        whose every BatchNorm has `momentum=1` or `track_running_stats=False`, shape probes (`model(dummy).shape`, calls
        in `__init__`), smoke tests on random input, frameworks that set the mode themselves
        (Lightning, HF Trainer), functions under a decorator that sets the mode around them
        (`@eval_mode`: one named for evaluation or inference, or a project function whose code calls
        `.eval()`), and a generator put in `.train()` right before samples drawn to be looked at
        (`make_grid`, `save_image`), with no training step between, in a function not named for
        evaluation: batch statistics by choice.
    """
    why = """
        In training mode BatchNorm normalises with the statistics of the current batch and updates
        its running averages. Evaluation results then depend on the batch (its size, its other
        samples), differ from run to run, and the running statistics drift towards the evaluation
        data. No error is raised.
    """
    example = """
        model = ResNet()
        train(model, loader)        # leaves the model in training mode
        with torch.no_grad():
            preds = model(images)   # BN101
    """
    fix_docs = """
        Call `model.eval()` before evaluating (and `model.train()` before training again).
    """
    # a no-grad region, an output read as predictions (argmax, top-k, max over a dim), or a function
    # whose name says evaluation (see ModeAnalysis.eval_reason)
    # an evaluation function defined here; or imported by name from another module into a file that
    # trains, or loads, a model. Each branch starts with a literal and checks a word boundary after it:
    # the regex module tries a branch led by a look-behind at every position of the file.
    triggers = ("no_grad", "inference_mode", "set_grad_enabled", r"load_state_dict\(",  # (an inference script)
                # outputs read as predictions, in a script that loads data or weights or trains
                (r"argmax|topk|torch\.max\(|\.max\((?:1|-1|dim)", r"oader(?<=[lL]oader)\b|load_state_dict|torch\.load\(|\.train\("),
                r"def\s+" + EVAL_NAME + r"\s*[(\[]",
                (r"from\s+[\w.]+\s+import\s+(?:\([\w\s,]*?|[\w \t,]*?)\b" + EVAL_NAME,
                 r"\.backward\(|\.step\(|train(?<![\w.]train)\w*\(|fit(?<![\w.]fit)\w*\(|\.train\(|optim(?<!\woptim)\.\w+\("
                 r"|load_state_dict\("))
    invalid = (
        Invalid(  # a GAN's fixed-noise samples, saved from inside its training loop
            """
            import torch
            import torch.nn as nn
            import torchvision.utils as vutils

            G = nn.Sequential(nn.Linear(16, 64, bias=False), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 784))
            D = nn.Sequential(nn.Linear(784, 1))
            opt_g = torch.optim.Adam(G.parameters())
            fixed = torch.randn(64, 16)
            loader = torch.utils.data.DataLoader(torch.randn(1000, 784), batch_size=64, drop_last=True)
            for step, real in enumerate(loader):
                fake = G(torch.randn(64, 16))
                g_loss = -D(fake).mean()
                opt_g.zero_grad()
                g_loss.backward()
                opt_g.step()
                if step % 100 == 0:
                    with torch.no_grad():
                        fake = G(fixed).detach().cpu()
                    vutils.save_image(vutils.make_grid(fake.view(-1, 1, 28, 28)), f"s{step}.png")
            """,
            line=18,
        ),
        Invalid(  # an SWA average: a copy of a training-mode model; update_bn restores the mode it found
            """
            import torch
            import torch.nn as nn
            from torch.optim.swa_utils import AveragedModel, update_bn

            model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 2))
            swa_model = AveragedModel(model)
            loader = [torch.randn(32, 8) for _ in range(4)]
            for x in loader:
                model(x).sum().backward()
                swa_model.update_parameters(model)
            update_bn(loader, swa_model)
            with torch.no_grad():
                preds = swa_model(torch.randn(4, 8)).argmax(1)
            """,
            line=13,
        ),
        Invalid(  # .train() for the training step, then samples: the step between makes it no choice
            """
            import torch
            import torch.nn as nn
            import torchvision.utils as vutils

            G = nn.Sequential(nn.Linear(16, 64, bias=False), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 784))
            opt = torch.optim.Adam(G.parameters())

            def train_and_show(G, noise):
                G.train()
                loss = G(torch.randn(64, 16)).square().mean()
                loss.backward()
                opt.step()
                with torch.no_grad():
                    fake = G(noise).detach().cpu()
                return vutils.make_grid(fake.view(-1, 1, 28, 28))

            train_and_show(G, torch.randn(64, 16))
            """,
            line=14,
        ),
        Invalid(  # a prediction after the function's training step, not a teacher feeding it
            """
            import torch
            import torch.nn as nn

            def fit(model, loader):
                opt = torch.optim.Adam(model.parameters())
                for x, y in loader:
                    opt.zero_grad()
                    nn.functional.cross_entropy(model(x), y).backward()
                    opt.step()

            def main(loader, batch):
                net = nn.Sequential(nn.Linear(8, 8, bias=False), nn.BatchNorm1d(8))
                fit(net, loader)
                with torch.no_grad():
                    return net(batch).argmax(1)
            """,
            line=15,
        ),
        # the EMA copy a Trainer makes in __init__ starts in training mode, and nothing puts it in eval
        Invalid(_EMA_TRAINER.format(ema_eval=""), line=34),
        # a Trainer of this file is given the model; its fit() leaves it in training mode, predict() evaluates
        Invalid(_TRAINER.format(**_DATACLASS, between=""), line=20),
        Invalid(_TRAINER.format(**_INIT, between=""), line=19),
        # the model is the first element of the tuple the loader returns, built in training mode
        Invalid(_UNPACKED.format(returned="net"), line=13),
        # a model class built around a BatchNorm part it is given
        Invalid(_BUILT_AROUND.format(features="make_layers(batch_norm=True)"), line=25),
        Invalid(  # either builder: both give a model in training mode
            """
            import torch
            import torchvision

            def evaluate(deep, loader):
                model = torchvision.models.resnet50() if deep else torchvision.models.resnet18()
                model.load_state_dict(torch.load("best.pt"))
                with torch.no_grad():
                    return [model(x).argmax(1) for x, _ in loader]
            """,
            line=8,
        ),
        Invalid(
            """
            import torch
            import torchvision

            model = torchvision.models.resnet18()
            for epoch in range(10):
                for phase in ["train", "val"]:
                    if phase == "train":
                        model.train()
                    for x, y in loaders[phase]:
                        with torch.set_grad_enabled(phase == "train"):
                            loss = criterion(model(x), y)
                            if phase == "train":
                                loss.backward()
                                optimizer.step()
            """,
            line=11,
        ),
        Invalid(
            """
            import torch
            import torchvision

            model = torchvision.models.resnet18()
            with torch.no_grad():
                out = model(torch.randn(2, 3, 224, 224))
            """,
            line=6,
        ),
        Invalid(
            """
            import torch

            def fit(model, loader, optimizer, val_loader):
                for epoch in range(10):
                    model.train()
                    for x, y in loader:
                        optimizer.zero_grad()
                        torch.nn.functional.cross_entropy(model(x), y).backward()
                        optimizer.step()
                    with torch.no_grad():
                        for x, y in val_loader:
                            print((model(x).argmax(1) == y).float().mean())
            """,
            line=12,
        ),
        Invalid(
            """
            import torch
            import torch.nn as nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.bn = nn.BatchNorm1d(4)

            def evaluate(model, data):
                return [model(x).argmax(1) for x in data]

            net = Net()
            print(evaluate(net, []))
            """,
            line=10,
        ),
        Invalid(  # a service object whose model no code puts in eval, called from a web route
            """
            import torch
            import torch.nn as nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.body = nn.Sequential(nn.Conv2d(1, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten())

                def forward(self, x):
                    return self.body(x)

            class Spotter:
                def __init__(self, path):
                    self.model = Net()
                    self.model.load_state_dict(torch.load(path))

                def predict(self, x):
                    with torch.inference_mode():
                        return self.model(x).argmax(1)

            spotter = Spotter("kws.pt")

            @app.post("/predict")
            def predict(x):
                return spotter.predict(x)
            """,
            line=19,
        ),
        Invalid(  # a course's evaluate() without eval, on a model from its `to_device(Net(), device)` helper
            """
            import torch
            import torch.nn as nn

            def to_device(data, device):
                if isinstance(data, (list, tuple)):
                    return [to_device(x, device) for x in data]
                return data.to(device, non_blocking=True)

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten())

                def forward(self, x):
                    return self.body(x)

                def validation_step(self, batch):
                    images, labels = batch
                    return (self(images).argmax(1) == labels).float().mean()

            @torch.no_grad()
            def evaluate(model, val_loader):
                return [model.validation_step(batch) for batch in val_loader]

            model = to_device(Net(), "cuda")
            history = [evaluate(model, valid_dl)]
            """,
            line=23,
        ),
        Invalid(  # the ImageNet example's `models.__dict__[args.arch]`, validated without `model.eval()`
            """
            import argparse
            import torch
            import torchvision.models as models

            parser = argparse.ArgumentParser()
            parser.add_argument("-a", "--arch", default="resnet18")
            args = parser.parse_args()
            model = models.__dict__[args.arch](pretrained=True)


            def validate(val_loader, model):
                with torch.no_grad():
                    for images, target in val_loader:
                        output = model(images)


            validate(val_loader, model)
            """,
            line=14,
        ),
    )
    valid = (
        Valid(  # test-time adaptation: the wrapper's forward takes a training step on every batch (Tent)
            """
            import torch
            import torch.nn as nn

            class Tent(nn.Module):
                def __init__(self, model, optimizer):
                    super().__init__()
                    self.model, self.optimizer = model, optimizer

                def forward(self, x):
                    out = self.model(x)
                    (-(out.softmax(1) * out.log_softmax(1)).sum(1)).mean().backward()
                    self.optimizer.step()
                    return out

            net = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten(), nn.LazyLinear(10))
            tented = Tent(net, torch.optim.SGD(net.parameters(), lr=1e-3))
            for x, y in loader:
                correct = (tented(x).argmax(1) == y).sum()
            """
        ),
        Valid(  # prediction-time BatchNorm: running statistics switched off, batch statistics on purpose
            """
            import torch
            import torch.nn as nn

            @torch.no_grad()
            def accuracy_with_batch_stats(model, loader):
                for m in model.modules():
                    if isinstance(m, nn.BatchNorm2d):
                        m.track_running_stats = False
                model.train()
                return sum((model(x).argmax(1) == y).sum().item() for x, y in loader)
            """
        ),
        Valid(  # samples under `no_grad` that train the discriminator, saved now and then
            """
            import torch
            import torch.nn as nn
            from torchvision.utils import save_image

            G = nn.Sequential(nn.Linear(16, 64, bias=False), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 784))
            D = nn.Sequential(nn.Linear(784, 1))
            opt_d = torch.optim.Adam(D.parameters())
            loader = torch.utils.data.DataLoader(torch.randn(1000, 784), batch_size=64, drop_last=True)
            for step, real in enumerate(loader):
                z = torch.randn(64, 16)
                with torch.no_grad():
                    fake = G(z)
                d_loss = D(fake).mean() - D(real).mean()
                opt_d.zero_grad()
                d_loss.backward()
                opt_d.step()
                if step % 100 == 0:
                    save_image(fake.view(-1, 1, 28, 28), f"s{step}.png")
            """
        ),
        Valid(  # BYOL: the target runs under no_grad inside the loss method that the training step calls
            """
            import copy
            import torch
            import torch.nn as nn

            class BYOL(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.online = nn.Sequential(nn.Linear(8, 8, bias=False), nn.BatchNorm1d(8))
                    self.target = copy.deepcopy(self.online)

                def loss(self, a, b):
                    with torch.no_grad():
                        z = self.target(b)
                    return (self.online(a) - z).pow(2).mean()

            def main(loader):
                model = BYOL()
                opt = torch.optim.SGD(model.online.parameters(), lr=0.1)
                model.train()
                for a, b in loader:
                    loss = model.loss(a, b)
                    loss.backward()
                    opt.step()
            """
        ),
        Valid(  # a feature extractor whose class keeps it in eval whatever train() is asked
            """
            import torch
            import torch.nn as nn
            import torchvision

            class FeaturePool(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.net = torchvision.models.resnet18().eval()

                def train(self, mode=True):
                    return super().train(False)

                def forward(self, x):
                    return self.net(x)

            def features(extractor, loader):
                with torch.no_grad():
                    return [extractor(x).argmax(1) for x, _ in loader]

            pool = FeaturePool()
            print(features(pool, []))
            """
        ),
        Valid(  # what every caller hands the helper has no BatchNorm, though it was put in training mode
            """
            import torch
            import torch.nn as nn

            def score(critic, loader):
                with torch.no_grad():
                    return [critic(x).argmax(1) for x, _ in loader]

            critic = nn.Sequential(nn.Linear(8, 8), nn.LayerNorm(8), nn.Linear(8, 2))
            critic.train()
            print(score(critic, []))
            """
        ),
        Valid(  # a teacher run under no_grad before the function's own training step feeds that step
            """
            import torch
            import torch.nn as nn

            def distill_step(student, teacher, x, opt):
                with torch.no_grad():
                    target = teacher(x).softmax(1)
                loss = nn.functional.kl_div(student(x).log_softmax(1), target)
                loss.backward()
                opt.step()

            teacher = nn.Sequential(nn.Linear(8, 8, bias=False), nn.BatchNorm1d(8))
            student = nn.Sequential(nn.Linear(8, 8, bias=False), nn.BatchNorm1d(8))
            distill_step(student, teacher, torch.randn(4, 8), torch.optim.SGD(student.parameters(), lr=0.1))
            """
        ),
        Valid(_EMA_TRAINER.format(ema_eval="\n        self.ema.module.eval()")),
        Valid(_TRAINER.format(**_DATACLASS, between="\ntrainer.model.eval()")),
        # the model the trainer holds, put in eval under its own name
        Valid(_TRAINER.format(**_INIT, between="\nnet.eval()")),
        Valid(_BUILT_AROUND.format(features="nn.Conv2d(3, 32, 3)")),  # no BatchNorm anywhere in it
        Valid(_UNPACKED.format(returned="net.eval()")),
        Valid(  # either way a loaded model, saved in a mode the code does not show
            """
            import torch

            def evaluate(path, loader):
                model = torch.jit.load(path) if path.endswith(".ts") else torch.load(path)
                with torch.no_grad():
                    return [model(x).argmax(1) for x, _ in loader]
            """
        ),
        Valid(  # the transfer-learning recipe: each phase sets its mode
            """
            import torch
            import torchvision

            model = torchvision.models.resnet18()
            for epoch in range(10):
                for phase in ["train", "val"]:
                    if phase == "train":
                        model.train()
                    else:
                        model.eval()
                    for x, y in loaders[phase]:
                        with torch.set_grad_enabled(phase == "train"):
                            loss = criterion(model(x), y)
                            if phase == "train":
                                loss.backward()
                                optimizer.step()
            """
        ),
        Valid(  # a project decorator switches the mode around the evaluation
            """
            import functools
            import torch
            import torch.nn as nn

            def eval_mode(fn):
                @functools.wraps(fn)
                def wrapper(model, *args):
                    was = model.training
                    model.eval()
                    try:
                        return fn(model, *args)
                    finally:
                        model.train(was)
                return wrapper

            @eval_mode
            def validate(model, loader):
                with torch.no_grad():
                    return sum((model(x).argmax(1) == y).sum().item() for x, y in loader)

            net = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16), nn.Linear(16, 2))
            validate(net, [])
            """
        ),
        Valid(  # samples drawn with batch statistics on purpose: an explicit .train() just before
            """
            import torch
            import torch.nn as nn
            import torchvision.utils as vutils

            G = nn.Sequential(nn.Linear(16, 64, bias=False), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 784))

            def sample_grid(G, noise):
                G.train()
                with torch.no_grad():
                    fake = G(noise).detach().cpu()
                return vutils.make_grid(fake.view(-1, 1, 28, 28))

            sample_grid(G, torch.randn(64, 16))
            """
        ),
        Valid(  # re-estimating BatchNorm statistics on purpose: .train(), then forwards whose output is dropped
            """
            import torch
            import torchvision

            @torch.no_grad()
            def recalibrate_bn(model, loader):
                model.train()
                for x, _ in loader:
                    model(x)

            recalibrate_bn(torchvision.models.resnet18(), [])
            """
        ),
        Valid(
            """
            import torch
            import torchvision

            model = torchvision.models.resnet18()
            model.eval()
            with torch.no_grad():
                out = model(torch.randn(2, 3, 224, 224))
            """
        ),
        Valid(
            """
            import torch

            def evaluate(model, loader):
                with torch.no_grad():
                    return [model(x) for x in loader]
            """
        ),
        Valid(
            """
            import torch

            def step(student, teacher, x, optimizer):
                with torch.no_grad():
                    target = teacher(x)
                loss = ((student(x) - target) ** 2).mean()
                loss.backward()
                optimizer.step()
            """
        ),
        Valid(
            """
            import torch
            import torchvision

            def predict(model, x):
                was = model.training
                model.eval()
                with torch.no_grad():
                    y = model(x)
                model.train(was)
                return y

            net = torchvision.models.resnet18()
            with torch.no_grad():
                predict(net, torch.randn(1, 3, 8, 8))
            """
        ),
        Valid(  # the same service, its model put in eval at startup
            """
            import torch
            import torch.nn as nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.body = nn.Sequential(nn.Conv2d(1, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten())

                def forward(self, x):
                    return self.body(x)

            class Spotter:
                def __init__(self, path):
                    self.model = Net()
                    self.model.load_state_dict(torch.load(path))

                def predict(self, x):
                    with torch.inference_mode():
                        return self.model(x).argmax(1)

            spotter = Spotter("kws.pt")

            @app.on_event("startup")
            def startup():
                spotter.model.eval()

            @app.post("/predict")
            def predict(x):
                return spotter.predict(x)
            """
        ),
    )

    def check(self, model: FileModel) -> Iterable[Report]:
        if batch_statistics_by_design(model):
            return  # (every BatchNorm here uses batch statistics in eval mode too: momentum=1, no running stats)
        analysis = model.analysis(ModeAnalysis).run()
        evaluated: set[cst.CSTNode] = set()
        reported_slips: set[cst.CSTNode] = set()
        for node, site in sorted(analysis.uses.items(), key=lambda item: analysis.order(item[0])):
            # (a copy, in source order: resolving may run other analyses)
            reason = analysis.eval_reason(node)
            if reason is None:
                # evaluation on some paths only: `phase == 'val'` under `torch.set_grad_enabled(phase == 'train')`
                site, reason = analysis.path_eval(node) or (site, None)
            if reason is None:
                continue
            facts = analysis.resolved(site)
            unowned = None if analysis.shown_train(facts) else unowned_evaluation(analysis, site, node, facts)
            if not analysis.shown_train(facts) and unowned is None:
                continue
            kind = analysis.kind(site.key, facts, site.scope)
            if kind not in (ModelKind.BN, ModelKind.MAYBE):
                continue
            if unowned is not None and kind is ModelKind.MAYBE and not project_builds_batchnorm(model):
                continue
            if analysis.keeps_own_modes(facts):
                continue
            if _recalibration(model, node, facts) or _samples_on_purpose(model, analysis, node, facts):
                continue
            why = unowned or describe(analysis, facts)
            slip = analysis.after_slip(site)
            if slip is not None:  # one finding for the evaluation a slip spoils, the first after it
                if slip in reported_slips or all(f.why == TRAINED for f in facts if f.mode == TRAIN):
                    continue  # (a mode known only from a training step: BN102's finding at the slip is the one)
                reported_slips.add(slip)
                why += f"; `{model.code(slip)}` at line {analysis.line(slip)} does not change the mode"
            region = analysis.region(node)
            if region in evaluated and kind is ModelKind.MAYBE:
                continue  # (one more module of unknown content in the same evaluation: the finding is made)
            evaluated.add(region)
            if unowned is not None:  # (reported at the evaluation loop, the code the fix goes before)
                loop = _evaluation_loop(model, node)
                at = f"`{site.key}(...)` at line {analysis.line(node)}" if loop is not None else f"`{site.key}`"
                yield Report(loop or node, f"{at} may be in training mode here ({reason}): {why}; a model given "
                                           f"in training mode is evaluated with batch statistics and its BatchNorm "
                                           f"running averages move; call `{site.key}.eval()` first")
                continue
            yield Report(
                node,
                f"`{site.key}` is in training mode here ({reason}): {why}; no `.eval()` on the path to "
                f"this call, so BatchNorm uses batch statistics and updates its running averages",
            )
        # another file's function evaluates what it is given: reported at its call of the module, which
        # runs in training mode when called from here
        callers: dict[cst.CSTNode, list[tuple[HelperEval, frozenset]]] = {}
        for helper in list(analysis.helper_evals.values()):
            site = helper.site
            facts = analysis.resolved(site)
            if not analysis.shown_train(facts) or analysis.framework_managed(site.node):
                continue
            if analysis.kind(site.key, facts, site.scope) not in (ModelKind.BN, ModelKind.MAYBE):
                continue
            callers.setdefault(helper.use, []).append((helper, facts))
        here = os.path.basename(model.path)
        for use, found in callers.items():
            helper = found[0][0]
            lines = sorted({analysis.line(h.site.node) for h, _ in found})
            calls = f"line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}"
            why = describe(analysis, frozenset().union(*(facts for _, facts in found)))
            name = helper.summary.name
            yield Report(
                use,
                f"`{name}()` runs the model here ({helper.reason}): {here} passes `{helper.site.key}` at {calls} "
                f"in training mode: {why}; no `.eval()` before that call or in `{name}()`, "
                f"so BatchNorm uses batch statistics and updates its running averages",
                model=helper.callee.model,
                related=tuple(h.site.node for h, _ in found),
            )


def _evaluation_loop(model: FileModel, node: cst.CSTNode) -> cst.For | None:
    """The innermost ``for`` loop around ``node`` in its function whose items ``node`` runs the model on
    (``for x, y in loader: model(x)``; not ``for s in scales:``), or None."""
    if not isinstance(node, cst.Call):
        return None
    read = {n.value for arg in node.args for n in walk(arg.value) if isinstance(n, cst.Name)}
    for ancestor in model.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return None
        if isinstance(ancestor, cst.For) and read & {n.value for n in walk(ancestor.target) if isinstance(n, cst.Name)}:
            return ancestor
    return None


def _samples_on_purpose(model: FileModel, analysis, node: cst.CSTNode, facts: frozenset) -> bool:
    """``G.train()`` and, with no training step between, samples drawn to be looked at (``make_grid``,
    ``save_image``) in the same function, not one named for evaluation: a generator sampled with batch
    statistics by choice, as DCGAN-style code does."""
    func = analysis.enclosing_function(node)
    if (func is not None and eval_named(func.name.value)) or not facts or not analysis.visualised(node):
        return False
    end = model.order(node)
    for fact in facts:
        if fact.why != "train()" or fact.node is None or analysis.enclosing_function(fact.node) is not func:
            return False
        start = model.order(fact.node)
        if not 0 <= start < end or any(
                start < model.order(call) < end and isinstance(call.func, cst.Attribute)
                and call.func.attr.value in ("backward", "step") for call in model.nodes_of(func or model.module, cst.Call)):
            return False
    return True


def _recalibration(model: FileModel, node: cst.CSTNode, facts: frozenset) -> bool:
    """``model.train()`` and then ``model(x)`` with the output thrown away: re-estimating the BatchNorm
    statistics on purpose (``update_bn``-style), not an evaluation."""
    return isinstance(model.parent(node), cst.Expr) and all(f.why == "train()" for f in facts)
