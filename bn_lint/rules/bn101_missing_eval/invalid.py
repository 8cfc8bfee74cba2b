"""Code BN101 must flag, with the line of each finding."""
from __future__ import annotations

from ...rule import Invalid
from .templates import (AGENT, ATTRIBUTION, BUILT_AROUND, DATACLASS, EMA_TRAINER, FORWARD_SETS_MODE, INIT, LOADED,
                        MM_INFERRER, SAMPLER, SUBCLASSED_TRAINER, TRAINED_THEN_USED, TRAINER, UNPACKED)

INVALID = (
    Invalid(SAMPLER.format(eval=""), line=32),  # (its output read out as data, in a method that trains nothing)
    Invalid(  # a trained encoder put to use after its training loop: the latent codes to plot
        TRAINED_THEN_USED.format(after="images, labels = next(iter(data_loader))\ncode = encoder(images)\n"
                                       "plot_codes(code.detach().numpy(), labels)"),
        line=14,
    ),
    Invalid(MM_INFERRER.format(eval=""), line=18),  # (a callback setter does not set modes)
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
    Invalid(EMA_TRAINER.format(ema_eval=""), line=34),
    # a Trainer of this file is given the model; its fit() leaves it in training mode, predict() evaluates
    Invalid(TRAINER.format(**DATACLASS, between=""), line=20),
    Invalid(TRAINER.format(**INIT, between=""), line=19),
    # the model is the first element of the tuple the loader returns, built in training mode
    Invalid(UNPACKED.format(returned="net"), line=13),
    # a model class built around a BatchNorm part it is given
    Invalid(BUILT_AROUND.format(features="make_layers(batch_norm=True)"), line=25),
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
    Invalid(  # a helper that runs the model, called under no_grad: the caller's context is the evaluation
        """
        import torch
        import torchvision

        def features(m, x):
            return m(x)

        def main(x):
            net = torchvision.models.resnet18()
            with torch.no_grad():
                out = features(net, x)
            return out
        """,
        line=10,
    ),
    Invalid(  # FID with pytorch-fid's InceptionV3 kept on self, run through a method (DDPM's FIDEvaluation)
        """
        import torch
        from pytorch_fid.inception import InceptionV3

        class FIDEvaluation:
            def __init__(self, device="cuda"):
                self.inception = InceptionV3([3]).to(device)

            def features(self, samples):
                return self.inception(samples)[0]

            @torch.inference_mode()
            def fid_score(self, samples):
                return self.features(samples).mean()
        """,
        line=13,
    ),
    Invalid(  # a trainer's evaluation method: its own training method calls it after training steps; a
        # caller outside the class, on an instance whose mode it does not show, does not cancel that path
        """
        import torch
        import torch.nn as nn

        class Learning:
            def __init__(self, train_loader, test_loader):
                self.model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten())
                self.optimizer = torch.optim.Adam(self.model.parameters())
                self.train_loader, self.test_loader = train_loader, test_loader

            def evaluation(self):
                correct = 0
                for x, y in self.test_loader:
                    with torch.no_grad():
                        correct += (self.model(x).argmax(-1) == y).sum().item()
                return correct

            def train(self, epochs=10):
                accuracies = []
                for epoch in range(epochs):
                    for x, y in self.train_loader:
                        self.optimizer.zero_grad()
                        nn.functional.cross_entropy(self.model(x), y).backward()
                        self.optimizer.step()
                    accuracies.append(self.evaluation())
                return accuracies

        def run(loaders):
            learner = Learning(*loaders)
            history = learner.train(10)
            return learner.evaluation(), history
        """,
        line=14,
    ),
    Invalid(  # a pretrained generator's samples, converted to numpy and back on their way to a picture
        """
        import matplotlib.pyplot as plt
        import torch
        import torch.nn as nn
        import torchvision.utils as vutils

        G = nn.Sequential(nn.ConvTranspose2d(100, 64, 4, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                          nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())
        G.load_state_dict(torch.load("netG.pth", map_location="cpu"))
        noise = torch.randn(25, 100, 1, 1)
        fake = G(noise)
        fake_np = fake.detach().cpu().numpy()
        grid = vutils.make_grid(torch.from_numpy(fake_np), nrow=5, normalize=True)
        plt.imshow(grid.permute(1, 2, 0))
        plt.savefig("samples.png")
        """,
        line=10,
    ),
    Invalid(  # FID's InceptionV3 copied into the project's metric package, absent from the checked tree:
        # a well-known architecture with BatchNorm by its name (FreezeD's compute_acts)
        """
        import torch
        import torch.nn as nn
        from metric.inception import InceptionV3

        @torch.no_grad()
        def compute_acts(images, inception):
            return inception(images)[0]

        def main(images):
            inception = nn.DataParallel(InceptionV3()).cuda()
            return compute_acts(images, inception)
        """,
        line=7,
    ),
    Invalid(  # gradients off through a flag parameter whose default is False, which the call leaves
        """
        import torch
        import torchvision

        def get_activations(net, x, grad_enabled=False):
            with torch.set_grad_enabled(grad_enabled):
                return net(x)

        def main(x):
            net = torchvision.models.resnet50()
            return get_activations(net, x)
        """,
        line=6,
    ),
    Invalid(  # a library model's method that runs its forward (timm's forward_features)
        """
        import timm
        import torch

        def embed(images):
            backbone = timm.create_model("resnet50", pretrained=True, num_classes=0)
            with torch.no_grad():
                return backbone.forward_features(images)
        """,
        line=7,
    ),
    Invalid(  # a feature network built lazily into a module-level variable (None until the helper builds it)
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

        def get_i3d_activations(videos):
            init_i3d_model()
            with torch.no_grad():
                return i3d_model.extract_features(videos)
        """,
        line=16,
    ),
    Invalid(  # a feature-extraction script: a pretrained model's children run on video frames, nothing trains
        """
        import torch.nn as nn
        from torchvision import models

        net = models.googlenet(pretrained=True).float().cuda()
        fea_net = nn.Sequential(*list(net.children())[:-2])

        def video2fea(frames):
            return [fea_net(frame.cuda().unsqueeze(0)).squeeze().detach().cpu() for frame in frames]
        """,
        line=8,
    ),
    # an RL agent given its actor: `learn` trains it, and `act` runs it without eval (cares TD3)
    Invalid(AGENT.format(act_first=""), line=21),
    # a loader out of sight gives back the model it was given (AdaBins' `model_io.load_checkpoint`)
    Invalid(LOADED.format(load='model, _, _ = model_io.load_checkpoint("resnet18.pt", model)', after=""), line=8),
    # a predictor whose base class (the project's own `BaseTrainer`, not a framework's) builds the model:
    # no caller in sight, and one that builds it (realtime-semantic-segmentation-pytorch's `SegTrainer`)
    Invalid(SUBCLASSED_TRAINER.format(eval="", main=""), line=27),
    Invalid(SUBCLASSED_TRAINER.format(eval="", main="\nPredictor(load_config()).predict()\n"), line=27),
    # a saliency method only hooks the model it is given (torchcam's CAM example; `weights="..."` a pretrained one)
    Invalid(ATTRIBUTION.format(library="torchcam.methods", method="GradCAM", layer=', "layer4"', eval=""), line=10),
    Invalid(ATTRIBUTION.format(library="captum.attr", method="IntegratedGradients", layer="", eval=""), line=10),
    # a forward that puts its backbone in training mode at every call: `model.eval()` never reaches it
    Invalid(FORWARD_SETS_MODE.format(train="\n            self.backbone.train()"), line=19),
)
