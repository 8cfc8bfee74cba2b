"""BN105 frozen-bn-still-updating."""
from __future__ import annotations

import re
from typing import Iterable

import libcst as cst

from ..finding import Severity
from ..rule import Invalid, Rule, Valid
from ..semantic.builder_freeze import builder_freezes
from ..semantic.freeze_reset import FreezeResets
from ..semantic.model import MODULE_BASES, FileModel, Report
from ..semantic.modes import EVAL, TRAIN, ModeAnalysis, key_of
from ..semantic.modules import ModelKind


_TRAIN_HELPER = """
import torch
import torchvision

def train_one_epoch(model, loader, optimizer):
    model.train(){refreeze}
    for x, y in loader:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

def main(loader):
    model = torchvision.models.resnet50()
    model.layer1.requires_grad_(False)
    optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.1)
    for epoch in range(5):
        train_one_epoch(model, loader, optimizer)
"""
_FREEZE_HELPER = """
import torch
import torchvision

def freeze_bn(module):
    for m in module.modules():
        if isinstance(m, torch.nn.{kind}):
            m.eval()

model = torchvision.models.resnet50()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
{before}
for epoch in range(3):
    model.train(){after}
    for x, y in []:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
"""

_FREEZE_BN_PARAMS = """
import torch
import torch.nn as nn
import torchvision

def freeze_bn(model):
    for {target} in model.{modules}():
        if {test}:{extra}
            m.weight.requires_grad = False
            m.bias.requires_grad = False

model = torchvision.models.resnet50()
optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
{before}
for epoch in range(3):
    model.train(){after}
    for x, y in []:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
"""
_BN_TEST = dict(target="m", modules="modules", test="isinstance(m, nn.BatchNorm2d)")


_FROZEN_IN_INIT = """
import torch
import torchvision

class Classifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = torchvision.models.resnet18()
        self.backbone.requires_grad_(False)
        self.head = torch.nn.Linear(1000, 10){override}

    def forward(self, x):
        return self.head(self.backbone(x))

model = Classifier().to("cuda")
optimizer = torch.optim.SGD(model.head.parameters(), lr=0.1)
for epoch in range(3):
    model.train()
    for x, y in []:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
"""


_FROZEN_BY_BUILDER = """
import torch
import torch.nn as nn
import torchvision


def build_model(num_classes):
    backbone = torchvision.models.resnet50(weights="DEFAULT")
    backbone.fc = nn.Identity()
    backbone.requires_grad_(False)
    return {returned}


def run_epoch(model, loader, optimizer):
    model.train(){refreeze}
    for x, y in loader:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()


def main(loader):
    model = build_model(10).cuda()
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    for epoch in range(5):
        run_epoch(model, loader, optimizer)
"""
_HEAD = "nn.Sequential(backbone, nn.Linear(2048, num_classes))"
_WRAPPED = """
import torch
import torch.nn as nn
import torchvision


class Probe(nn.Module):
    def __init__(self, encoder, n_classes):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(encoder.fc.in_features, n_classes)


encoder = torchvision.models.resnet50()
encoder.requires_grad_(False)
model = Probe(encoder, 10).cuda()
optimizer = torch.optim.SGD(model.head.parameters(), lr=0.1)
for epoch in range(5):
    model.train(){refreeze}
    for x, y in []:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
"""
_BUILT, _UNPACKED = "model = build_model(10).cuda()", "model, width = build_model(10)"
_BN_EVAL = "\n    model.apply(lambda m: m.eval() if isinstance(m, nn.BatchNorm2d) else None)"
_FROZEN_ITEMS = """
import torch
import torchvision


def train_epoch(model, loader, optimizer, frozen=()):
    model.train()
    for module in frozen:
        module.eval()
    for x, y in loader:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()


def main(loader):
    model = torchvision.models.resnet50()
    model.layer1.requires_grad_(False)
    model.layer2.requires_grad_(False)
    optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.1)
    for epoch in range(5):
        train_epoch(model, loader, optimizer, frozen={frozen})
"""


_LIGHTNING_PROBE = """
import pytorch_lightning as pl
import torch
import torchvision


class LinearProbe(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.backbone = torchvision.models.resnet50(weights="DEFAULT")
        self.backbone.fc = torch.nn.Identity()
        self.backbone.requires_grad_(False)
        self.head = torch.nn.Linear(2048, 10)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.cross_entropy(self.head(self.backbone(x)), y){hook}
"""

_LIGHTNING_MODULES = MODULE_BASES - {"torch.nn.Module"}
# anything in the class that may put (part of) the model back in eval, or control what train() does
_REFREEZE = re.compile(r"\.eval\s*\(|\.train\s*\(\s*(?:mode\s*=\s*)?(?!True\b)[\w.]|def\s+train\s*\(")


def _frozen_in_lightning_module(model: FileModel, analysis: ModeAnalysis) -> Iterable[Report]:
    """A LightningModule that freezes a BatchNorm submodule (in ``__init__`` or a hook such as
    ``on_train_epoch_start``) and trains in ``training_step``: Lightning calls ``.train()`` on the whole
    module before each training epoch, so unless the class puts that part back in eval somewhere (an
    ``.eval()``, a ``train()`` override), it trains in train mode."""
    for info in model.classes.values():
        if "training_step" not in info.methods or "__init__" not in info.methods:
            continue
        if not any(model.qualname(base) in _LIGHTNING_MODULES for base in info.bases):
            continue
        if _REFREEZE.search(model.code(info.node)):
            continue
        summaries = [analysis.summary(method) for method in info.methods.values()]
        for node, key in [freeze for summary in summaries if summary is not None for freeze in summary.freezes]:
            if key.startswith("self.") and analysis.kind(key, frozenset(), info.scope) == ModelKind.BN:
                yield Report(
                    node,
                    f"`{key}`'s parameters are frozen here, but Lightning puts the whole module in training mode "
                    f"before each training epoch and `{info.name}` never puts this part back in eval: its "
                    f"BatchNorm running statistics keep updating; call `{key}.eval()` in `on_train_epoch_start`",
                )


class FrozenBnStillUpdating(Rule):
    code = "BN105"
    name = "frozen-bn-still-updating"
    severity = Severity.WARNING
    summary = "Frozen BatchNorm (requires_grad=False) still in training mode, or its eval undone by `.train()`."
    what = """
        Flags freezing a BatchNorm-bearing module (`m.requires_grad_(False)`, or
        `p.requires_grad = False` for every parameter in `m.parameters()`) when a later training
        step of the model runs with that module in training mode (e.g. `model.train()` at the top
        of the loop and no `.eval()` on the frozen part, and no overridden `train()`); and a
        submodule put in eval on its own (to freeze its BatchNorm), directly or by a
        `for m in model.modules(): if isinstance(m, nn.BatchNorm2d): m.eval()` loop (also inside a
        helper function, or a method of the model's class such as `model.freeze_bn()`, in this file
        or another), whose eval is undone by a later `model.train()` before training, also the one a
        training helper starts with (`train_one_epoch(model)`: reported at its `.train()`). A module
        put in a container (`model = nn.Sequential(encoder, head)`) or wrapped (`DDP(net)`) follows
        the container's `.train()`; so does one frozen by a builder function that returns it, alone
        or in a container, to a caller that trains the result. A LightningModule that freezes a
        BatchNorm part (in `__init__` or a hook) and never puts it back in eval is flagged too:
        Lightning calls `.train()` before each epoch. The freezing is followed through the calls the
        code makes (constructors whose `__init__` freezes, flags such as `freeze_bn=True` or
        `requires_grad=False` given to a helper, methods of a class whose `__init__` froze a part,
        `trainer.fit(model)`), each loop walked twice so a `.train()` at the top of the next epoch is
        seen. A builder that freezes a BatchNorm model with `requires_grad = False` and returns it is
        flagged when a trainer of the same file puts the model it trains in training mode and the
        file puts no BatchNorm layer in eval anywhere. Not flagged: a momentum copy of a trained
        module (MoCo's key encoder, a BYOL target: frozen, and its weights updated in place from the
        trained module's), which the published recipes run in training mode.
    """
    why = """
        `requires_grad = False` stops gradient updates of BatchNorm's weight and bias but not its
        running mean and variance: in training mode they keep moving with every batch, so the
        "frozen" backbone changes, and evaluation uses statistics that no longer match its
        weights. `model.train()` resets every submodule, including ones put in eval earlier.
    """
    example = """
        backbone.requires_grad_(False)
        for epoch in range(epochs):
            model.train()            # backbone's BatchNorm back in training mode
            train_one_epoch(model)
    """
    fix_docs = """
        After each `model.train()`, put the frozen part's BatchNorm layers in eval
        (`model.backbone.eval()` or `m.eval()` for each BatchNorm module), or override `train()`
        in the model to do so.
    """
    # a freeze of an attribute with a literal False (not the keyword `Parameter(..., requires_grad=False)`),
    # or BatchNorm put in eval: `.eval`, `.train(False)` / `.train(flag)`
    triggers = (r"\.requires_grad(?:_\s*\(\s*|\s*=\s*)False", r"\.eval\b", r"\.train\s*\(\s*(?:mode\s*=\s*)?[A-Za-z_]",
                # a training loop whose freeze (BatchNorm put in eval) is done by a helper of another file
                (r"\.train\s*\(", r"\.backward\s*\(|\.step\s*\("))
    invalid = (
        Invalid(  # the builder freezes the backbone and gives it back inside a probe class of this file
            """
            import torch
            import torch.nn as nn

            class Probe(nn.Module):
                def __init__(self, backbone, num_classes):
                    super().__init__()
                    self.backbone = backbone
                    self.head = nn.LazyLinear(num_classes)

                def forward(self, x):
                    return self.head(self.backbone(x).flatten(1))

            def build(num_classes=10):
                backbone = nn.Sequential(nn.Conv2d(3, 16, 3, bias=False), nn.BatchNorm2d(16), nn.ReLU())
                for p in backbone.parameters():
                    p.requires_grad = False
                return Probe(backbone, num_classes)

            model = build()
            opt = torch.optim.SGD(model.head.parameters(), lr=0.1)
            for epoch in range(10):
                model.train()
                for x, y in loader:
                    torch.nn.functional.cross_entropy(model(x), y).backward()
                    opt.step()
            """,
            line=16,
        ),
        Invalid(  # a helper freezes the backbone whole (eval and weights); `model.train()` each epoch undoes the eval
            """
            import torch
            import torch.nn as nn
            import torchvision

            def freeze(backbone):
                backbone.eval()
                for p in backbone.parameters():
                    p.requires_grad = False
                return backbone

            backbone = freeze(torchvision.models.resnet50())
            model = nn.Sequential(backbone, nn.Linear(1000, 10))
            opt = torch.optim.SGD(model[1].parameters(), lr=0.1)
            for epoch in range(10):
                model.train()
                for x, y in loader:
                    loss = nn.functional.cross_entropy(model(x), y)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
            """,
            line=15,
        ),
        Invalid(  # a notebook: BatchNorm put in eval by apply(), undone by model.train() each epoch
            """
            import torch
            import torch.nn as nn
            import torchvision

            loader = torch.utils.data.DataLoader(torchvision.datasets.CIFAR10("."), batch_size=64)
            model = torchvision.models.resnet18(weights="IMAGENET1K_V1")

            def set_bn_eval(m):
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()

            model.apply(set_bn_eval)
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            for epoch in range(3):
                model.train()
                for x, y in loader:
                    optimizer.zero_grad()
                    nn.functional.cross_entropy(model(x), y).backward()
                    optimizer.step()
            """,
            line=15,
        ),
        Invalid(  # frozen once before a step loop; the model.train() after each validation undoes it
            """
            import torch
            import torch.nn as nn

            def freeze_bn(module):
                for m in module.modules():
                    if isinstance(m, nn.BatchNorm2d):
                        m.eval()

            def evaluate(model, loader):
                model.eval()
                with torch.no_grad():
                    return sum(model(x).sum() for x in loader)

            def fit(model, batches, loader, opt, steps):
                model.train()
                freeze_bn(model.backbone)
                step = 0
                while step < steps:
                    model(next(batches)).sum().backward()
                    opt.step()
                    step += 1
                    if step % 100 == 0:
                        evaluate(model, loader)
                        model.train()
            """,
            line=24,
        ),
        Invalid(  # a linear probe: the frozen encoder runs under no_grad, in training mode, every batch
            """
            import torch
            import torch.nn as nn
            import torchvision

            def probe(loader, epochs):
                encoder = torchvision.models.resnet18()
                encoder.fc = nn.Identity()
                encoder.requires_grad_(False)
                head = nn.Linear(512, 10)
                opt = torch.optim.SGD(head.parameters(), lr=0.1)
                for epoch in range(epochs):
                    for x, y in loader:
                        with torch.no_grad():
                            feats = encoder(x)
                        nn.functional.cross_entropy(head(feats), y).backward()
                        opt.step()
            """,
            line=8,
        ),
        Invalid(
            """
            import torch
            import torchvision

            model = torchvision.models.resnet18()
            for p in model.parameters():
                p.requires_grad = False
            model.fc = torch.nn.Linear(512, 10)
            optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.1)
            model.train()
            for x, y in []:
                optimizer.zero_grad()
                torch.nn.functional.cross_entropy(model(x), y).backward()
                optimizer.step()
            """,
            line=6,
        ),
        Invalid(
            """
            import torch
            import torchvision

            class Detector(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.backbone = torchvision.models.resnet50()
                    self.head = torch.nn.Linear(1000, 4)

            model = Detector()
            model.backbone.requires_grad_(False)
            model.backbone.eval()
            optimizer = torch.optim.SGD(model.head.parameters(), lr=0.1)
            for epoch in range(3):
                model.train()
                for x, y in []:
                    optimizer.zero_grad()
                    torch.nn.functional.mse_loss(model(x), y).backward()
                    optimizer.step()
            """,
            line=15,
        ),
        Invalid(_TRAIN_HELPER.format(refreeze=""), line=13),
        Invalid(_FROZEN_IN_INIT.format(override=""), line=8),  # frozen in __init__, trained by the caller  # .train() on the whole model, frozen part included
        # a helper puts the BatchNorm layers in eval once; every epoch's .train() undoes it
        Invalid(_FREEZE_HELPER.format(kind="BatchNorm2d", before="freeze_bn(model.layer1)", after=""), line=13),
        # BatchNorm's affine parameters frozen in a modules() loop (reported once per loop), never put in eval
        Invalid(_FREEZE_BN_PARAMS.format(**_BN_TEST, extra="", before="freeze_bn(model)", after=""), line=8),
        Invalid(_FREEZE_BN_PARAMS.format(**_BN_TEST, extra="", before="freeze_bn(model)", after="").replace(
            "m.weight.requires_grad = False\n            m.bias.requires_grad = False", "m.requires_grad_(False)"), line=8),
        # everything but layer4 frozen, the BatchNorm layers of the stem and layer1-3 included
        Invalid(_FREEZE_BN_PARAMS.format(target="name, m", modules="named_modules", test='not name.startswith("layer4")',
                                         extra="", before="freeze_bn(model)", after=""), line=8),
        Invalid(_FREEZE_BN_PARAMS.format(target="name, m", modules="named_modules", test='name.startswith("layer4")',
                                         extra="\n            pass\n        else:", before="freeze_bn(model)", after=""),
                line=10),
        # the frozen encoder is held by the model whose .train() each epoch puts it back in training mode
        Invalid(_WRAPPED.format(refreeze=""), line=14),
        # the builder freezes the model it returns, alone or inside a container; the caller trains it
        Invalid(_FROZEN_BY_BUILDER.format(returned="backbone", refreeze=""), line=9),
        Invalid(_FROZEN_BY_BUILDER.format(returned=_HEAD, refreeze=""), line=9),
        Invalid(_FROZEN_BY_BUILDER.format(returned="backbone, 2048", refreeze="").replace(_BUILT, _UNPACKED), line=9),
        # the trainer puts back in eval only the modules it is given: layer2 is not among them
        Invalid(_FROZEN_ITEMS.format(frozen="(model.layer1,)"), line=18),
        # Lightning calls .train() on the whole LightningModule before each training epoch
        Invalid(_LIGHTNING_PROBE.format(hook=""), line=11),
        # stages frozen by name (`getattr(model, name)` for each), then the whole model put back in training
        Invalid(
            """
            import torch
            import torchvision

            def freeze(module):
                module.eval()
                for p in module.parameters():
                    p.requires_grad = False

            model = torchvision.models.resnet50(weights="DEFAULT")
            for name in ["conv1", "bn1", "layer1", "layer2"]:
                freeze(getattr(model, name))
            opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01)
            for epoch in range(10):
                model.train()
                for x, y in loader:
                    torch.nn.functional.cross_entropy(model(x), y).backward()
                    opt.step()
            """,
            line=14,
        ),
        Invalid(  # PyTorch's fine-tuning tutorial: a flag passed down to the helper that freezes, a tuple returned
            """
            import torch
            import torch.nn as nn
            from torchvision import models

            FEATURE_EXTRACT = True

            def set_parameter_requires_grad(model, feature_extracting):
                if feature_extracting:
                    for param in model.parameters():
                        param.requires_grad = False

            def initialize_model(num_classes, feature_extract):
                model_ft = None
                model_ft = models.resnet18(weights="DEFAULT")
                set_parameter_requires_grad(model_ft, feature_extract)
                model_ft.fc = nn.Linear(model_ft.fc.in_features, num_classes)
                return model_ft, 224

            def main(loader):
                model_ft, input_size = initialize_model(2, FEATURE_EXTRACT)
                params_to_update = model_ft.parameters()
                opt = torch.optim.SGD(params_to_update, lr=0.001)
                for epoch in range(10):
                    model_ft.train()
                    for x, y in loader:
                        nn.functional.cross_entropy(model_ft(x), y).backward()
                        opt.step()
            """,
            line=10,
        ),
        Invalid(  # the detection tutorial's FasterRCNN around a frozen mobilenet_v2 `.features` backbone
            """
            import torch
            import torchvision
            from torchvision.models.detection import FasterRCNN


            def get_model(num_classes):
                backbone = torchvision.models.mobilenet_v2(weights="DEFAULT").features
                backbone.requires_grad_(False)
                backbone.out_channels = 1280
                model = FasterRCNN(backbone, num_classes=num_classes)
                return model


            def train_one_epoch(model, optimizer, data_loader):
                model.train()
                for images, targets in data_loader:
                    loss = sum(model(images, targets).values())
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()


            def main(data_loader):
                model = get_model(2)
                params = [p for p in model.parameters() if p.requires_grad]
                optimizer = torch.optim.SGD(params, lr=0.005)
                for epoch in range(10):
                    train_one_epoch(model, optimizer, data_loader)
            """,
            line=8,
        ),
        Invalid(  # a backbone made of a ResNet's children (`nn.Sequential(*list(resnet.children())[:-2])`)
            """
            import torch
            import torch.nn as nn
            import torchvision


            class LeafNet(nn.Module):
                def __init__(self, n_classes=4):
                    super().__init__()
                    resnet = torchvision.models.resnet50(weights="DEFAULT")
                    self.backbone = nn.Sequential(*list(resnet.children())[:-2])
                    self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, n_classes))

                def forward(self, x):
                    return self.head(self.backbone(x))


            def run(loader):
                model = LeafNet()
                optimizer = torch.optim.Adam(model.head.parameters())
                for p in model.backbone.parameters():
                    p.requires_grad = False
                for epoch in range(10):
                    model.train()
                    for x, y in loader:
                        nn.functional.cross_entropy(model(x), y).backward()
                        optimizer.step()
            """,
            line=21,
        ),
    )
    valid = (
        Valid(  # a mean teacher: frozen, run under no_grad, and its weights follow the student's
            """
            import copy
            import torch
            import torch.nn as nn

            def train(student, loader, epochs):
                teacher = nn.Sequential(nn.Linear(8, 8, bias=False), nn.BatchNorm1d(8))
                teacher.requires_grad_(False)
                opt = torch.optim.SGD(student.parameters(), lr=0.1)
                for epoch in range(epochs):
                    for x in loader:
                        with torch.no_grad():
                            target = teacher(x)
                        nn.functional.mse_loss(student(x), target).backward()
                        opt.step()
                        for t, s in zip(teacher.parameters(), student.parameters()):
                            t.mul_(0.99).add_(s.detach(), alpha=0.01)
            """
        ),
        Valid(  # a DQN's online net put in eval to pick targets, then back in training mode: no freeze
            """
            import torch
            import torch.nn as nn

            class Agent:
                def __init__(self):
                    self.online = nn.Sequential(nn.Linear(4, 64, bias=False), nn.BatchNorm1d(64), nn.Linear(64, 2))
                    self.opt = torch.optim.Adam(self.online.parameters())

                def update(self, s, a, target):
                    with torch.no_grad():
                        self.online.eval()
                        best = self.online(s).argmax(1)
                    self.online.train()
                    loss = (self.online(s).gather(1, a) - target).pow(2).mean()
                    loss.backward()
                    self.opt.step()
            """
        ),
        Valid(  # BNNeck: only the bias is fixed; the layer still learns its scale and statistics
            """
            import torch
            import torch.nn as nn

            class ReID(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.neck = nn.BatchNorm1d(2048)
                    self.neck.bias.requires_grad_(False)

            def main(loader):
                model = ReID()
                opt = torch.optim.Adam(model.parameters())
                model.train()
                for x, y in loader:
                    model(x).sum().backward()
                    opt.step()
            """
        ),
        Valid(
            """
            import torch
            import torchvision

            model = torchvision.models.resnet18()
            model.requires_grad_(False)
            model.fc = torch.nn.Linear(512, 10)
            optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.1)
            model.eval()
            for x, y in []:
                optimizer.zero_grad()
                torch.nn.functional.cross_entropy(model(x), y).backward()
                optimizer.step()
            """
        ),
        Valid(
            """
            import torch
            import torchvision

            model = torchvision.models.resnet18()
            model.requires_grad_(False)
            model.fc = torch.nn.Linear(512, 10)
            optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.1)
            for epoch in range(3):
                model.train()
                model.apply(lambda m: m.eval() if isinstance(m, torch.nn.BatchNorm2d) else None)
                for x, y in []:
                    optimizer.zero_grad()
                    torch.nn.functional.cross_entropy(model(x), y).backward()
                    optimizer.step()
            """
        ),
        Valid(_TRAIN_HELPER.format(refreeze="\n    model.layer1.eval()")),
        Valid(_FROZEN_IN_INIT.format(  # the class keeps its frozen part in eval whatever train() is asked
            override="\n\n    def train(self, mode=True):\n        super().train(mode)\n        self.backbone.eval()\n"
                     "        return self")),  # the helper re-freezes after .train()
        # the freezing helper, called again after each .train()
        Valid(_FREEZE_HELPER.format(kind="BatchNorm2d", before="", after="\n    freeze_bn(model.layer1)")),
        # a modules() loop that puts Dropout (not BatchNorm) in eval
        Valid(_FREEZE_HELPER.format(kind="Dropout", before="freeze_bn(model)", after="")),
        # BatchNorm frozen and put in eval by a helper called after each .train()
        Valid(_FREEZE_BN_PARAMS.format(**_BN_TEST, extra="\n            m.eval()", before="", after="\n    freeze_bn(model)")),
        # every layer but BatchNorm frozen: BatchNorm trains, in training mode
        Valid(_FREEZE_BN_PARAMS.format(target="name, m", modules="named_modules", test='"bn" not in name',
                                       extra="", before="freeze_bn(model)", after="")),
        # the trainer puts the frozen part back in eval after each .train()
        Valid(_FROZEN_BY_BUILDER.format(returned="backbone", refreeze=_BN_EVAL)),
        Valid(_WRAPPED.format(refreeze="\n    encoder.eval()")),  # under its own name, after each .train()
        Valid(_FROZEN_BY_BUILDER.format(returned=_HEAD, refreeze="\n    model[0].eval()")),
        Valid(_FROZEN_BY_BUILDER.format(returned="backbone, 2048", refreeze=_BN_EVAL).replace(_BUILT, _UNPACKED)),
        Valid(_FROZEN_ITEMS.format(frozen="(model.layer1, model.layer2)")),
        Valid(_LIGHTNING_PROBE.format(hook="\n\n    def on_train_epoch_start(self):\n        self.backbone.eval()")),
        Valid(  # the same with the flag off: the helper freezes nothing
            """
            import torch
            import torch.nn as nn
            from torchvision import models

            FEATURE_EXTRACT = False

            def set_parameter_requires_grad(model, feature_extracting):
                if feature_extracting:
                    for param in model.parameters():
                        param.requires_grad = False

            def initialize_model(num_classes, feature_extract):
                model_ft = None
                model_ft = models.resnet18(weights="DEFAULT")
                set_parameter_requires_grad(model_ft, feature_extract)
                model_ft.fc = nn.Linear(model_ft.fc.in_features, num_classes)
                return model_ft, 224

            def main(loader):
                model_ft, input_size = initialize_model(2, FEATURE_EXTRACT)
                params_to_update = model_ft.parameters()
                opt = torch.optim.SGD(params_to_update, lr=0.001)
                for epoch in range(10):
                    model_ft.train()
                    for x, y in loader:
                        nn.functional.cross_entropy(model_ft(x), y).backward()
                        opt.step()
            """
        ),
        Valid(  # stage 2 unfreezes the trunk it kept in eval in stage 1: training it in train mode is right
            """
            import torch
            from torchvision import models

            net = models.efficientnet_b0(weights="DEFAULT")
            net.features.requires_grad_(False)
            opt = torch.optim.Adam(net.classifier.parameters())
            for epoch in range(3):
                net.train()
                net.features.eval()
                for x, y in loader:
                    torch.nn.functional.cross_entropy(net(x), y).backward()
                    opt.step()
            net.features.requires_grad_(True)
            opt = torch.optim.Adam(net.parameters())
            for epoch in range(10):
                net.train()
                for x, y in loader:
                    torch.nn.functional.cross_entropy(net(x), y).backward()
                    opt.step()
            """
        ),
        Valid(  # the stem conv of a torchvision ResNet and a timm ViT hold no BatchNorm
            """
            import timm
            import torch
            from torch.nn.parallel import DistributedDataParallel
            from torchvision.models import resnet152

            ARCH = "vit_small_patch16_224.augreg_in21k_ft_in1k"

            def main(loader):
                model = resnet152(weights="DEFAULT")
                model.conv1.requires_grad_(False)
                model = DistributedDataParallel(model)
                vit = timm.create_model(ARCH, pretrained=True)
                for p in vit.parameters():
                    p.requires_grad = False
                opt = torch.optim.SGD(model.parameters(), lr=0.1)
                model.train()
                vit.train()
                for x, y in loader:
                    torch.nn.functional.cross_entropy(model(x) + vit(x), y).backward()
                    opt.step()
            """
        ),
        Valid(  # stage 2 unfreezes every parameter before plain `model.train()` epochs (a notebook)
            """
            import torch
            import torch.nn as nn
            import torchvision

            model = torchvision.models.resnet34(weights="DEFAULT")
            for p in model.parameters():
                p.requires_grad = False
            model.fc = nn.Linear(512, 2)


            def set_bn_eval(m):
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()


            opt = torch.optim.Adam(model.fc.parameters(), lr=1e-3)
            for epoch in range(3):
                model.train()
                model.apply(set_bn_eval)
                for x, y in train_dl:
                    nn.functional.cross_entropy(model(x), y).backward()
                    opt.step()

            for p in model.parameters():
                p.requires_grad = True
            opt = torch.optim.SGD(model.parameters(), lr=1e-3)
            for epoch in range(4):
                model.train()
                for x, y in train_dl:
                    nn.functional.cross_entropy(model(x), y).backward()
                    opt.step()
            """
        ),
    )

    def check(self, model: FileModel) -> Iterable[Report]:
        analysis = model.analysis(ModeAnalysis).run()
        yield from _frozen_in_lightning_module(model, analysis)
        reported: set[int] = set()
        for report in self._reports(model, analysis):
            reported.add(id(report.node))
            yield report
        for reset in FreezeResets(model).resets():
            if id(reset.train) in reported:
                continue
            reported.add(id(reset.train))
            through = "".join(f" (through `{model.code(c.func)}()` at line {analysis.line(c)})" for c in reset.via[:1])
            what = "`.train()` here" if reset.train.func.attr.value == "train" else \
                f"`{model.code(reset.train.func)}()` here (it calls `.train()`)"
            yield Report(
                reset.train,
                f"{what}{through} puts `{reset.key}` back in training mode, undoing the BatchNorm freeze at "
                f"line {analysis.line(reset.freeze)}, before it runs at line {analysis.line(reset.run)}: its "
                f"BatchNorm running statistics keep updating; freeze again after every `.train()` (or override "
                f"`train()` to keep them in eval)",
            )

        for found in builder_freezes(analysis):
            if id(found.freeze) in reported:
                continue
            reported.add(id(found.freeze))
            yield Report(
                found.freeze,
                f"`{found.key}`'s parameters are frozen here, but its BatchNorm layers are not put in eval: "
                f"`{found.builder.name.value}()` returns it, and `{found.trainer.name.value}()` puts the model it trains "
                f"in training mode (`.train()` at line {analysis.line(found.train)}) before the training step on line "
                f"{analysis.line(found.step)}: their running statistics keep updating; put the frozen part's "
                f"BatchNorm layers in eval after every `.train()`",
            )

    def _reports(self, model: FileModel, analysis) -> Iterable[Report]:
        evaled = {(id(w.scope), w.key) for w in analysis.watched.values() if w.reason == "eval"}
        for node, watch in list(analysis.watched.items()):
            modes = {f.mode for f in watch.facts}
            if TRAIN not in modes:
                continue
            if modes - {TRAIN, EVAL} and (watch.reason == "frozen" or _refrozen(model, analysis, node, watch)):
                continue  # (an eval-freeze before a loop leaves the mode unknown on the first pass: allowed)
            if analysis.order(watch.train_site) < analysis.order(node):
                continue
            if analysis.has_train_override(watch.key, watch.scope):
                continue
            step = analysis.line(watch.train_site)
            trains = sorted(
                (analysis.line(f.node), f.where) for f in watch.facts if f.mode == TRAIN and f.node is not None
            )
            if watch.reason == "frozen":
                if watch.key.endswith(".bias"):
                    continue  # a BNNeck's fixed shift (`bnneck.bias.requires_grad_(False)`): the layer still learns
                if _momentum_updated(model, watch.key):
                    continue  # a MoCo key encoder, a BYOL target: an average of the trained weights, by design
                kind = analysis.kind(watch.key, watch.facts, watch.scope)
                put_in_eval = any(f.mode == EVAL and f.why != "helper" for f in watch.facts)
                if kind not in (ModelKind.BN, ModelKind.MAYBE) or put_in_eval or (id(watch.scope), watch.key) in evaled:
                    continue  # (a frozen module put in eval and then reset is reported at the reset; an eval
                    # left by a validation helper on later epochs does not change the first epoch's training)
                freeze_eval = _eval_beside_freeze(model, node, watch.scope.node)
                if freeze_eval is not None:  # `def freeze(m): m.eval(); m.requires_grad_(False)`: undone by `.train()`
                    for fact in watch.facts:
                        if fact.mode == TRAIN and fact.why == "train()" and fact.node is not None:
                            yield Report(
                                fact.node,
                                f"`.train()` here puts `{watch.key}` (frozen and put in eval at line "
                                f"{analysis.line(freeze_eval)}) back in training mode before the training step on "
                                f"line {step}: its BatchNorm statistics keep updating",
                            )
                    continue
                why = "; ".join(where.format(line=line) for line, where in trains)
                yield Report(
                    node,
                    f"`{watch.key}`'s parameters are frozen here, but its BatchNorm layers are in training mode "
                    f"at the training step on line {step} ({why}): their running statistics keep updating; "
                    f"put them in eval after each `.train()`",
                )
            else:
                undo = [f for f in watch.facts if f.mode == TRAIN and f.why in ("train()", "helper") and f.node is not None
                        and analysis.order(f.node) > analysis.order(node) and not _toggled(node, f.node, watch.key)]
                if not undo or not isinstance(node, cst.Call):
                    continue
                sites: set[int] = set()
                for fact in sorted(undo, key=lambda f: analysis.order(f.node)):
                    site, where = fact.node, None
                    if fact.why == "helper":  # `train_one_epoch(model, ...)`, which starts with `model.train()`
                        found = _train_call_in(analysis, fact.node)
                        if found is None:
                            continue
                        site, where = found
                    if id(site) in sites:
                        continue  # (a helper called twice: one finding at its `.train()`)
                    sites.add(id(site))
                    yield Report(
                        site,
                        f"`.train()` here puts `{watch.key}` (put in eval at line {analysis.line(node)} to freeze "
                        f"its BatchNorm) back in training mode before the training step on line {step}"
                        + (f" (through `{model.code(fact.node.func)}()` at line {analysis.line(fact.node)})"
                           if site is not fact.node else ""),
                        model=where,
                    )


def _eval_beside_freeze(model: FileModel, freeze: cst.CSTNode, caller: cst.CSTNode) -> cst.Call | None:
    """The ``param.eval()`` in the helper function (not ``caller``) that freezes a parameter's weights at
    ``freeze``: a freeze of the whole module, BatchNorm statistics included."""
    helper = next((a for a in model.ancestors(freeze) if isinstance(a, cst.FunctionDef)), None)
    if helper is None or helper is caller:
        return None
    params = {p.name.value for p in [*helper.params.posonly_params, *helper.params.params]}
    for call in model.nodes_of(helper, cst.Call):
        func = call.func
        if (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in params
                and (func.attr.value == "eval" and not call.args
                     or func.attr.value == "train" and len(call.args) == 1 and model.value(call.args[0].value, None) is False)):
            return call
    return None


def _momentum_updated(model: FileModel, key: str) -> bool:
    """Whether the file writes the frozen module's weights in place from another's, in a loop over
    ``zip(...)`` of its ``parameters()`` (``pk.data.mul_(m).add_(pq.data, alpha=1 - m)``): a momentum or
    EMA copy of a trained module, which the published recipes (MoCo, BYOL) run in training mode."""
    attr = key.rpartition(".")[2]
    for loop in model.nodes_of(model.module, cst.For):
        iterated = loop.iter
        if not (isinstance(iterated, cst.Call) and isinstance(iterated.func, cst.Name) and iterated.func.value == "zip"):
            continue
        if not any(isinstance(arg.value, cst.Call) and isinstance(arg.value.func, cst.Attribute)
                   and arg.value.func.attr.value == "parameters" and model.code(arg.value.func.value).rpartition(".")[2] == attr
                   for arg in iterated.args):
            continue
        if any(isinstance(call.func, cst.Attribute) and call.func.attr.value in ("mul_", "add_", "copy_", "lerp_", "set_")
               for call in model.nodes_of(loop.body, cst.Call)) or any(
                isinstance(target.target, cst.Attribute) and target.target.attr.value == "data"
                for assign in model.nodes_of(loop.body, cst.Assign) for target in assign.targets):
            return True
    return False


def _train_call_in(analysis, call: cst.CSTNode) -> tuple[cst.Call, "FileModel | None"] | None:
    """The one ``param.train()`` in the helper ``call`` runs (of this file or another), and the file that
    holds it (None for this one)."""
    target = analysis.callee(call) if isinstance(call, cst.Call) else None
    if target is None:
        return None
    helper_analysis, function = target
    other = helper_analysis.model
    params = {p.name.value for p in [*function.params.posonly_params, *function.params.params]}
    found = [c for c in other.nodes_of(function, cst.Call)
             if isinstance(c.func, cst.Attribute) and c.func.attr.value == "train" and isinstance(c.func.value, cst.Name)
             and c.func.value.value in params and (not c.args or other.value(c.args[0].value, None) is True)]
    if len(found) != 1:
        return None
    return found[0], (other if other is not analysis.model else None)


def _toggled(evaluated: cst.CSTNode, trained: cst.CSTNode, key: str) -> bool:
    """``self.online.eval()`` ... ``self.online.train()``: the whole module put in eval (for an evaluation) and
    back in training mode, not BatchNorm layers frozen inside it, nor a part of it undone by its parent."""
    return (isinstance(evaluated, cst.Call) and isinstance(evaluated.func, cst.Attribute)
            and evaluated.func.attr.value in ("eval", "train")  # (not `model.apply(set_bn_eval)`: BatchNorm only)
            and all(isinstance(call.func, cst.Attribute) and key_of(call.func.value) == key
                    for call in (evaluated, trained) if isinstance(call, cst.Call)))


def _refrozen(model: FileModel, analysis, node: cst.CSTNode, watch) -> bool:
    """Whether the module's BatchNorm is put in eval again inside a loop around a `.train()` that reaches
    the training step (`model.train(); freeze_bn(model)` each epoch), by a freeze other than ``node``."""
    loops = {id(ancestor) for f in watch.facts if f.mode == TRAIN and f.node is not None
             for ancestor in model.ancestors(f.node) if isinstance(ancestor, (cst.For, cst.While))}
    return any(other is not node and w.reason == "eval" and w.key == watch.key
               and any(id(ancestor) in loops for ancestor in model.ancestors(other))
               for other, w in analysis.watched.items())
