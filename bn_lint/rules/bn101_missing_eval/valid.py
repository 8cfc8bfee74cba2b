"""Code BN101 must not flag."""
from __future__ import annotations

from ...rule import Valid
from .templates import (AGENT, ATTRIBUTION, BUILT_AROUND, DATACLASS, EMA_TRAINER, FORWARD_SETS_MODE, INIT, LOADED,
                        MM_INFERRER, SAMPLER, SUBCLASSED_TRAINER, TRAINED_THEN_USED, TRAINER, UNPACKED)

VALID = (
    Valid(SAMPLER.format(eval="\n        self._generator.eval()")),
    Valid(  # the same, put in eval first; and a second stage that trains on the encoder's output
        TRAINED_THEN_USED.format(after="images, labels = next(iter(data_loader))\nencoder.eval()\ncode = encoder(images)\n"
                                       "plot_codes(code.detach().numpy(), labels)")
    ),
    Valid(TRAINED_THEN_USED.format(after="head = nn.Linear(3, 10)\nlogits = head(encoder(images))\n"
                                         "torch.nn.functional.cross_entropy(logits, labels).backward()")),
    Valid(MM_INFERRER.format(eval="\n        model.eval()")),  # (put in eval after loading)
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
    Valid(EMA_TRAINER.format(ema_eval="\n        self.ema.module.eval()")),
    Valid(TRAINER.format(**DATACLASS, between="\ntrainer.model.eval()")),
    # the model the trainer holds, put in eval under its own name
    Valid(TRAINER.format(**INIT, between="\nnet.eval()")),
    Valid(BUILT_AROUND.format(features="nn.Conv2d(3, 32, 3)")),  # no BatchNorm anywhere in it
    Valid(UNPACKED.format(returned="net.eval()")),
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
    Valid(  # a teacher's features through a helper under no_grad, feeding the student's training step
        """
        import copy
        import torch
        import torch.nn as nn

        def features(m, x):
            return m(x)

        def main(loader):
            student = nn.Sequential(nn.Linear(8, 8, bias=False), nn.BatchNorm1d(8))
            teacher = copy.deepcopy(student)
            opt = torch.optim.SGD(student.parameters(), lr=0.1)
            for x in loader:
                with torch.no_grad():
                    target = features(teacher, x)
                loss = (student(x) - target).pow(2).mean()
                loss.backward()
                opt.step()
        """
    ),
    Valid(  # a helper run under no_grad on a model its caller put in eval
        """
        import torch
        import torchvision

        def features(m, x):
            return m(x)

        def main(x):
            net = torchvision.models.resnet18()
            net.eval()
            with torch.no_grad():
                return features(net, x)
        """
    ),
    Valid(  # no PyTorch in sight: `bn` is a Bernoulli number, `f` a function (sympy's plotting/series.py)
        """
        def bernoulli(n):
            bn = [1] * n
            return bn

        def _adaptive_eval(f, x):
            y = f(x)
            return y.evalf()
        """
    ),
    Valid(  # loaded weights run on random input whose output is only measured, never drawn
        """
        import numpy as np
        import torch
        import torch.nn as nn

        G = nn.Sequential(nn.ConvTranspose2d(100, 64, 4, bias=False), nn.BatchNorm2d(64), nn.ReLU())
        G.load_state_dict(torch.load("netG.pth", map_location="cpu"))
        fake = G(torch.randn(25, 100, 1, 1))
        fake_np = fake.detach().cpu().numpy()
        stats = np.asarray(fake_np).mean(axis=0)
        print(stats.shape)
        """
    ),
    Valid(  # the flag parameter's default is False, but the only call turns gradients on to train
        """
        import torch
        import torchvision

        def get_activations(net, x, grad_enabled=False):
            with torch.set_grad_enabled(grad_enabled):
                return net(x)

        def main(x):
            net = torchvision.models.resnet50()
            get_activations(net, x, grad_enabled=True).sum().backward()
        """,
    ),
    Valid(  # a class the project defines is read, whatever its name: this ResNet has no BatchNorm
        """
        import torch
        import torch.nn as nn

        class ResNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(8, 2)

            def forward(self, x):
                return self.fc(x)

        def main(x):
            net = ResNet()
            with torch.no_grad():
                return net(x)
        """,
    ),
    Valid(  # one epoch function for both phases: the mode and the gradients follow the same flag
        """
        import torch
        import torchvision

        def run_epoch(model, loader, optimizer, is_train=True):
            model.train(is_train)
            for x, y in loader:
                with torch.set_grad_enabled(is_train):
                    loss = torch.nn.functional.cross_entropy(model(x), y)
                if is_train:
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()

        def main(train_loader, val_loader):
            model = torchvision.models.resnet50()
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            for epoch in range(10):
                run_epoch(model, train_loader, opt)
                run_epoch(model, val_loader, opt, is_train=False)
        """,
    ),
    Valid(  # the lazily built feature network is put in eval by the helper that builds it
        """
        import torch
        from pytorch_i3d import InceptionI3d

        i3d_model = None

        def init_i3d_model():
            global i3d_model
            if i3d_model is not None:
                return
            i3d_model = InceptionI3d(400, in_channels=3)
            i3d_model.load_state_dict(torch.load("i3d_rgb_imagenet.pt"))
            i3d_model.eval()

        def get_i3d_activations(videos):
            init_i3d_model()
            with torch.no_grad():
                return i3d_model.extract_features(videos)
        """,
    ),
    # the same agent, whose `act` puts the actor in eval (and `learn` back in training mode)
    Valid(AGENT.format(act_first="\n        self.actor.eval()")),
    # the same, put in eval after loading
    Valid(LOADED.format(load='model, _, _ = model_io.load_checkpoint("resnet18.pt", model)', after="\nmodel.eval()")),
    # a helper out of sight whose name says it prepares the model for inference (it may call eval)
    Valid(LOADED.format(load='model = model_io.load_for_inference("resnet18.pt", model)', after="")),
    # the same predictor, putting the model in eval first
    Valid(SUBCLASSED_TRAINER.format(eval="\n        self.model.eval()", main="")),
    Valid(SUBCLASSED_TRAINER.format(eval="\n        self.model.eval()", main="\nPredictor(load_config()).predict()\n")),
    Valid(ATTRIBUTION.format(library="captum.attr", method="IntegratedGradients", layer="", eval=".eval()")),
    # pytorch_grad_cam's CAM classes put the model in eval themselves
    Valid(ATTRIBUTION.format(library="pytorch_grad_cam", method="GradCAM", layer=", target_layers=[model.layer4[-1]]",
                             eval="")),
    # the same forward leaving the mode to its caller
    Valid(FORWARD_SETS_MODE.format(train="")),
    # a `.train()` under a test of `self.training` (or of a mode the caller gives) forces nothing
    Valid(FORWARD_SETS_MODE.format(train="\n            if self.training:\n                self.backbone.train()")),
)
