"""BN103 eval-never-reset."""
from __future__ import annotations

import libcst as cst

from typing import Iterable

from ..finding import Severity
from ..rule import Invalid, Rule, Valid
from bn_lint.semantic.evaluations.in_training_loop import evals_in_training_loops
from bn_lint.semantic.file.model import FileModel, Report
from ..semantic.modes import ModeAnalysis


# a helper that sets one mode on each module of a list it is given, around a training loop
_SET_MODE = """
import torch
import torch.nn as nn

def set_mode(mode, models):
    for m in models:
        if mode == "train":
            m.train()
        if mode == "eval":
            m.eval()

def check_accuracy(encoder, head, loader):
    set_mode("eval", [encoder, head])
    with torch.no_grad():
        return sum((head(encoder(x)).argmax(1) == y).sum().item() for x, y in loader)

def train_loop(encoder, head, optimizer, train_loader, val_loader, iterations):
    set_mode("train", [encoder, head])
    for t, (x, y) in enumerate(train_loader):
        optimizer.zero_grad()
        nn.functional.cross_entropy(head(encoder(x)), y).backward()
        optimizer.step()
        if t % 1000 == 0:
            print(check_accuracy(encoder, head, val_loader)){after}
"""
# a wrapper of a model: trained (`fit`), asked for predictions, trained again
_FIT_PREDICT_FIT = """
import torch
import torch.nn as nn

class Model:
    def __init__(self, net, optimizer):
        self.net = net
        self.optimizer = optimizer

    def fit(self, loader):
        for x, y in loader:
            self.optimizer.zero_grad()
            nn.functional.mse_loss(self.net(x), y).backward()
            self.optimizer.step()

    def predict(self, loader):
        self.net.eval()
        with torch.no_grad():
            preds = [self.net(x) for x in loader]
        self.net.{restore}()
        return preds

net = nn.Sequential(nn.Linear(9, 32, bias=False), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 1))
model = Model(net, torch.optim.Adam(net.parameters()))
model.fit(torch.load("train.pt"))
preds = model.predict(torch.load("val.pt"))
model.fit(torch.load("train.pt"))
"""

# code BN103 must flag, with the line of each finding
INVALID = (
    Invalid(  # validation every few epochs, and at the last one: the epochs after the first one run in eval
        """
        import torch

        def fit(model, loader, val_loader, optimizer, epochs=90, eval_freq=5):
            model.train()
            for epoch in range(epochs):
                for x, y in loader:
                    torch.nn.functional.cross_entropy(model(x), y).backward()
                    optimizer.step()
                if (epoch + 1) % eval_freq == 0 or epoch == epochs - 1:
                    model.eval()
                    with torch.no_grad():
                        acc = sum((model(x).argmax(1) == y).sum() for x, y in val_loader)
        """,
        line=10,
    ),
    Invalid(  # trained through a method of its class (`m.encode(x)`) that runs its submodules
        """
        import torch
        import torch.nn as nn


        class AE(nn.Module):
            def __init__(self):
                super().__init__()
                self.enc = nn.Sequential(nn.Linear(4, 4, bias=False), nn.BatchNorm1d(4))

            def encode(self, x):
                return self.enc(x)


        class Trainer:
            def __init__(self, loader):
                self.model = AE()
                self.opt = torch.optim.SGD(self.model.parameters(), lr=0.1)
                self.loader = loader

            def validate(self):
                self.model.eval()
                with torch.no_grad():
                    return sum(self.model(x).sum().item() for x in self.loader)

            def fit(self, epochs):
                m = self.model
                m.train()
                for epoch in range(epochs):
                    for x in self.loader:
                        loss = m.encode(x).pow(2).mean()
                        self.opt.zero_grad()
                        loss.backward()
                        self.opt.step()
                    self.validate()
        """,
        line=34,
    ),
    Invalid(  # `m = self.model`: the validation helper's eval of `self.model` is one of `m`
        """
        import torch
        import torch.nn as nn


        class Trainer:
            def __init__(self, loader):
                self.model = nn.Sequential(nn.Linear(4, 4, bias=False), nn.BatchNorm1d(4))
                self.opt = torch.optim.SGD(self.model.parameters(), lr=0.1)
                self.loader = loader

            def validate(self):
                self.model.eval()
                with torch.no_grad():
                    return sum(self.model(x).sum().item() for x in self.loader)

            def fit(self, epochs):
                m = self.model
                m.train()
                for epoch in range(epochs):
                    for x in self.loader:
                        loss = m(x).pow(2).mean()
                        self.opt.zero_grad()
                        loss.backward()
                        self.opt.step()
                    self.validate()
        """,
        line=25,
    ),
    Invalid(  # a Trainer's own logging method (appending to a list) leaves the model's mode alone
        """
        import torch.nn.functional as F

        class Trainer:
            def __init__(self, model, loader, optimizer):
                self.model, self.loader, self.optimizer = model, loader, optimizer
                self.history = []

            def _log(self, step, metrics):
                self.history.append({"step": step, **metrics})

            def fit(self, epochs):
                self.model.train()
                for epoch in range(epochs):
                    for step, (x, y) in enumerate(self.loader):
                        loss = F.cross_entropy(self.model(x), y)
                        self.optimizer.zero_grad()
                        loss.backward()
                        self.optimizer.step()
                        if step % 100 == 0:
                            self.model.eval()
                            self._log(step, {"loss": loss.item()})
        """,
        line=20,
    ),
    Invalid(
        """
        import torch

        def fit(model, loader, optimizer):
            model.train()
            for epoch in range(10):
                for x, y in loader:
                    torch.nn.functional.cross_entropy(model(x), y).backward()
                    optimizer.step()
                model.eval()
                with torch.no_grad():
                    print(sum(model(x).sum() for x, _ in loader))
        """,
        line=9,
    ),
    Invalid(
        """
        import torch

        def validate(model, loader):
            model.eval()
            with torch.no_grad():
                return sum(model(x).sum() for x in loader)

        def fit(model, loader, optimizer):
            model.train()
            for epoch in range(10):
                for x, y in loader:
                    torch.nn.functional.cross_entropy(model(x), y).backward()
                    optimizer.step()
                validate(model, loader)
        """,
        line=14,
    ),
    Invalid(  # iteration-based: evaluated every 1000 iterations, never put back in training mode
        """
        import itertools
        import torch

        def fit(model, loader, optimizer, max_iters):
            batches = itertools.cycle(loader)
            model.train()
            for it in range(max_iters):
                x, y = next(batches)
                torch.nn.functional.cross_entropy(model(x), y).backward()
                optimizer.step()
                if it % 1000 == 0:
                    model.eval()
        """,
        line=12,
    ),
    Invalid(  # pseudo-labels made once, at an epoch that is not the last: the epochs after it run in eval mode
        """
        import torch

        EPOCHS, PSEUDO_EPOCH = 30, 10

        def fit(model, loader, unlabeled, optimizer):
            model.train()
            for epoch in range(EPOCHS):
                for x, y in loader:
                    torch.nn.functional.cross_entropy(model(x), y).backward()
                    optimizer.step()
                if epoch + 1 == PSEUDO_EPOCH:
                    model.eval()
                    with torch.no_grad():
                        pseudo = [model(x).argmax(1) for x in unlabeled]
        """,
        line=12,
    ),
    Invalid(  # a course's fit loop: the model runs through its own training_step / validation_step methods
        """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        def to_device(data, device):
            if isinstance(data, (list, tuple)):
                return [to_device(x, device) for x in data]
            return data.to(device, non_blocking=True)

        class ImageClassificationBase(nn.Module):
            def training_step(self, batch):
                images, labels = batch
                return F.cross_entropy(self(images), labels)

            def validation_step(self, batch):
                images, labels = batch
                return (self(images).argmax(1) == labels).float().mean()

        class Net(ImageClassificationBase):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten(), nn.LazyLinear(10))

            def forward(self, x):
                return self.body(x)

        @torch.no_grad()
        def evaluate(model, val_loader):
            model.eval()
            return [model.validation_step(batch) for batch in val_loader]

        def fit(epochs, model, train_loader, val_loader):
            optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
            for epoch in range(epochs):
                pass
                for batch in train_loader:
                    model.training_step(batch).backward()
                    optimizer.step()
                    optimizer.zero_grad()
                evaluate(model, val_loader)

        model = to_device(Net(), "cuda")
        fit(10, model, train_dl, valid_dl)
        """,
        line=40,
    ),
    Invalid(  # modes set through a helper that sets one mode on each module of the list it is given
        _SET_MODE.format(after=""),
        line=23,
    ),
    Invalid(  # a wrapper object (not a module) passed to the training function: its methods set its encoder's mode
        """
        import torch
        import torch.nn as nn
        import torchvision

        class VSE:
            def __init__(self, dim):
                self.img_enc = torchvision.models.resnet18(num_classes=dim)
                self.optimizer = torch.optim.Adam(self.img_enc.parameters())

            def train_start(self):
                self.img_enc.train()

            def val_start(self):
                self.img_enc.eval()

            def train_emb(self, images, targets):
                loss = nn.functional.mse_loss(self.img_enc(images), targets)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()

        def validate(model, loader):
            model.val_start()
            with torch.no_grad():
                return [model.img_enc(x) for x, _ in loader]

        def train(model, loader, val_loader, val_step):
            model.train_start()
            for i, (images, targets) in enumerate(loader):
                model.train_emb(images, targets)
                if i % val_step == 0:
                    validate(model, val_loader)

        def main(loader, val_loader):
            model = VSE(256)
            for epoch in range(10):
                train(model, loader, val_loader, 500)
        """,
        line=32,
    ),
    Invalid(  # trained, evaluated by a method that leaves the model in eval, then trained again (no loop)
        _FIT_PREDICT_FIT.format(restore="eval"),
        line=25,
    ),
)

# code BN103 must not flag
VALID = (
    Valid(
        """
        import torch

        def fit(model, loader, optimizer):
            for epoch in range(10):
                model.train()
                for x, y in loader:
                    torch.nn.functional.cross_entropy(model(x), y).backward()
                    optimizer.step()
                model.eval()
                with torch.no_grad():
                    print(sum(model(x).sum() for x, _ in loader))
        """
    ),
    Valid(
        """
        import torch

        def fit(model, loader, optimizer):
            model.eval()  # deliberately frozen BatchNorm statistics
            for x, y in loader:
                torch.nn.functional.cross_entropy(model(x), y).backward()
                optimizer.step()
        """
    ),
    Valid(  # the eval after the last epoch only
        """
        import torch

        def fit(model, loader, optimizer, epochs):
            model.train()
            for epoch in range(epochs):
                for x, y in loader:
                    torch.nn.functional.cross_entropy(model(x), y).backward()
                    optimizer.step()
                if epoch == epochs - 1:
                    model.eval()
        """
    ),
    Valid(  # the same test written against a constant: the last epoch
        """
        import torch

        EPOCHS = 30

        def fit(model, loader, optimizer):
            model.train()
            for epoch in range(EPOCHS):
                for x, y in loader:
                    torch.nn.functional.cross_entropy(model(x), y).backward()
                    optimizer.step()
                if epoch + 1 == 30:
                    model.eval()
        """
    ),
    Valid(  # the same loop with `model.train()` at the start of each epoch
        """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        def to_device(data, device):
            if isinstance(data, (list, tuple)):
                return [to_device(x, device) for x in data]
            return data.to(device, non_blocking=True)

        class ImageClassificationBase(nn.Module):
            def training_step(self, batch):
                images, labels = batch
                return F.cross_entropy(self(images), labels)

            def validation_step(self, batch):
                images, labels = batch
                return (self(images).argmax(1) == labels).float().mean()

        class Net(ImageClassificationBase):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten(), nn.LazyLinear(10))

            def forward(self, x):
                return self.body(x)

        @torch.no_grad()
        def evaluate(model, val_loader):
            model.eval()
            return [model.validation_step(batch) for batch in val_loader]

        def fit(epochs, model, train_loader, val_loader):
            optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
            for epoch in range(epochs):
                model.train()
                for batch in train_loader:
                    model.training_step(batch).backward()
                    optimizer.step()
                    optimizer.zero_grad()
                evaluate(model, val_loader)

        model = to_device(Net(), "cuda")
        fit(10, model, train_dl, valid_dl)
        """
    ),
    Valid(  # the same helper puts them back in training mode after each validation
        _SET_MODE.format(after='\n            set_mode("train", [encoder, head])'),
    ),
    Valid(  # the same, with a prediction method that puts the model back in training mode
        _FIT_PREDICT_FIT.format(restore="train"),
    ),
)


class EvalNeverReset(Rule):
    code = "BN103"
    name = "eval-never-reset"
    severity = Severity.ERROR
    summary = "A model put in eval mode inside a training loop is not put back with `.train()`."
    what = """
        Flags a `.eval()` (or a call of a function that calls `.eval()` on the model and does not
        restore its mode) inside a training loop — a loop whose body runs `backward()` /
        `optimizer.step()`, directly or through a project function — when the next iteration's
        training step still sees the model in eval mode: no `.train()` runs between them. A
        framework hook run once per batch (Lightning's `training_step`) is such a loop body. Also
        an `.eval()` before a training forward in the same function whose `.train()` comes only
        after that forward (an attack run in eval, then the loss forwards, then `.train()`).
    """
    why = """
        From the second epoch on, the model trains with BatchNorm in eval mode: it normalises
        with frozen running statistics, which no longer track the changing activations, and
        dropout is off. Training quietly gets worse; nothing fails.
    """
    example = """
        for epoch in range(epochs):
            for x, y in train_loader:
                loss_fn(model(x), y).backward()
                optimizer.step()
            model.eval()            # BN103: never switched back
            validate(model, val_loader)
    """
    fix_docs = """
        Call `model.train()` at the top of each epoch (or right after validation), or make the
        evaluation helper restore the previous mode (`was = model.training; ...; model.train(was)`).
    """
    use_instead = """
        for epoch in range(epochs):
            model.train()           # training mode again at the top of every epoch
            for x, y in train_loader:
                loss_fn(model(x), y).backward()
                optimizer.step()
            model.eval()
            validate(model, val_loader)
    """
    references = (
        ('`torch.nn.Module.train` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.train'),
        ('`torch.nn.Module.eval` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.eval'),
        ('PyTorch ImageNet example: `train()` calls `model.train()`, `validate()` `model.eval()`',
         'https://github.com/pytorch/examples/blob/main/imagenet/main.py'),
    )
    # a training step in this file (the eval may sit in a helper of another file): backward(), an
    # optimizer step, a call named like one: train(...), train_one_epoch(...), do_train(...), fit(...), or a
    # framework's per-batch training hook (`def training_step(`: the framework takes the step)
    triggers = (r"backward\s*\(", r"\.step\s*\(", r"\.minimize\s*\(", r"def\s+training_step\s*\(") + tuple(
        rf"{word}(?<![A-Za-z0-9]{word})(?:_\w*)?\s*\(" for word in ("train", "Train", "TRAIN", "fit", "Fit", "FIT")
    )
    invalid = INVALID
    valid = VALID

    def check(self, model: FileModel) -> Iterable[Report]:
        analysis = model.analysis(ModeAnalysis).run()
        for found in evals_in_training_loops(model, analysis):
            if found.via:
                yield Report(
                    found.node,
                    f"`{found.key}` is put in eval mode here ({found.how}) {found.via}: later epochs train with "
                    f"frozen BatchNorm statistics",
                )
                continue
            if found.late is not None:
                yield Report(
                    found.node,
                    f"`{found.key}` is put in eval mode here ({found.how}) and its training forward at line "
                    f"{analysis.line(found.step)} runs in eval mode: the `.train()` at line {analysis.line(found.late)} "
                    "comes after it, so BatchNorm trains on frozen running statistics",
                )
                continue
            if found.loop is found.step:  # (no loop: trained, evaluated, then trained again)
                yield Report(
                    found.node,
                    f"`{found.key}` is put in eval mode here ({found.how}) after its training and nothing calls "
                    f"`.train()` before the next training step at line {analysis.line(found.step)}: it trains with "
                    f"frozen BatchNorm statistics",
                )
                continue
            step = "training step" if analysis.order(found.node) < analysis.order(found.step) \
                else "next iteration's training step"  # (a helper's evaluation left in eval before the step)
            if isinstance(found.loop, cst.FunctionDef):  # (a framework hook run once per batch: `training_step`)
                yield Report(
                    found.node,
                    f"`{found.key}` is put in eval mode here ({found.how}) in `{found.loop.name.value}()`, which the "
                    f"framework runs for every batch without setting the mode in between, and nothing calls "
                    f"`.train()` before the next batch's training forward at line {analysis.line(found.step)}: later "
                    "batches train with frozen BatchNorm statistics",
                )
                continue
            yield Report(
                found.at or found.node,
                f"`{found.key}` is put in eval mode here ({found.how}) inside the training loop at line "
                f"{analysis.line(found.loop)}, and nothing calls `.train()` before the {step} "
                f"at line {analysis.line(found.step)}: later epochs train with frozen BatchNorm statistics",
            )
