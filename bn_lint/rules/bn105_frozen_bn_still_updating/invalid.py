"""Code BN105 must flag, with the line of each finding."""
from __future__ import annotations

from ...rule import Invalid
from .templates import (BN_TEST, BUILT, FREEZE_BN_PARAMS, FREEZE_HELPER, FROZEN_BY_BUILDER, FROZEN_IN_INIT, FROZEN_ITEMS,
                        HEAD, LIGHTNING_PROBE, TRAIN_HELPER, UNPACKED, WRAPPED)

INVALID = (
    Invalid(  # the class freezes its own BatchNorm in __init__; a builder returns it; the script trains it (DeepLab)
        """
        import torch
        import torch.nn as nn

        class ResNet(nn.Module):
            def __init__(self, num_classes):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
                self.bn1 = nn.BatchNorm2d(64)
                for p in self.bn1.parameters():
                    p.requires_grad = False
                self.head = nn.Conv2d(64, num_classes, 1)

            def forward(self, x):
                return self.head(torch.relu(self.bn1(self.conv1(x))))

        def res_deeplab(num_classes=21):
            return ResNet(num_classes)

        model = res_deeplab()
        model.train()
        opt = torch.optim.SGD(model.head.parameters(), lr=0.01)
        for images, labels in loader:
            torch.nn.functional.cross_entropy(model(images), labels).backward()
            opt.step()
        """,
        line=10,
    ),
    Invalid(  # a LightningModule's hook freezes the backbone it was given through a helper (lightly's benchmark)
        """
        import torchvision
        from pytorch_lightning import LightningModule, Trainer
        from torch import nn

        def deactivate_requires_grad(model):
            for param in model.parameters():
                param.requires_grad = False

        class LinearClassifier(LightningModule):
            def __init__(self, model, feature_dim, num_classes):
                super().__init__()
                self.model = model
                self.head = nn.Linear(feature_dim, num_classes)

            def training_step(self, batch, batch_idx):
                x, y = batch
                return nn.functional.cross_entropy(self.head(self.model(x).flatten(1)), y)

            def on_fit_start(self):
                deactivate_requires_grad(model=self.model)

        def linear_eval(backbone, train_loader):
            classifier = LinearClassifier(backbone, 512, 10)
            Trainer(max_epochs=90).fit(classifier, train_loader)

        linear_eval(torchvision.models.resnet18(), None)
        """,
        line=7,
    ),
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
    Invalid(TRAIN_HELPER.format(refreeze=""), line=13),
    Invalid(FROZEN_IN_INIT.format(override=""), line=8),  # frozen in __init__, trained by the caller  # .train() on the whole model, frozen part included
    # a helper puts the BatchNorm layers in eval once; every epoch's .train() undoes it
    Invalid(FREEZE_HELPER.format(kind="BatchNorm2d", before="freeze_bn(model.layer1)", after=""), line=13),
    # BatchNorm's affine parameters frozen in a modules() loop (reported once per loop), never put in eval
    Invalid(FREEZE_BN_PARAMS.format(**BN_TEST, extra="", before="freeze_bn(model)", after=""), line=8),
    Invalid(FREEZE_BN_PARAMS.format(**BN_TEST, extra="", before="freeze_bn(model)", after="").replace(
        "m.weight.requires_grad = False\n            m.bias.requires_grad = False", "m.requires_grad_(False)"), line=8),
    # everything but layer4 frozen, the BatchNorm layers of the stem and layer1-3 included
    Invalid(FREEZE_BN_PARAMS.format(target="name, m", modules="named_modules", test='not name.startswith("layer4")',
                                     extra="", before="freeze_bn(model)", after=""), line=8),
    Invalid(FREEZE_BN_PARAMS.format(target="name, m", modules="named_modules", test='name.startswith("layer4")',
                                     extra="\n            pass\n        else:", before="freeze_bn(model)", after=""),
            line=10),
    # the frozen encoder is held by the model whose .train() each epoch puts it back in training mode
    Invalid(WRAPPED.format(refreeze=""), line=14),
    # the builder freezes the model it returns, alone or inside a container; the caller trains it
    Invalid(FROZEN_BY_BUILDER.format(returned="backbone", refreeze=""), line=9),
    Invalid(FROZEN_BY_BUILDER.format(returned=HEAD, refreeze=""), line=9),
    Invalid(FROZEN_BY_BUILDER.format(returned="backbone, 2048", refreeze="").replace(BUILT, UNPACKED), line=9),
    # the trainer puts back in eval only the modules it is given: layer2 is not among them
    Invalid(FROZEN_ITEMS.format(frozen="(model.layer1,)"), line=18),
    # Lightning calls .train() on the whole LightningModule before each training epoch
    Invalid(LIGHTNING_PROBE.format(hook=""), line=11),
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
    Invalid(  # frozen by applying a function that turns off each submodule's gradients
        """
        import torch
        import torchvision

        def run(loader):
            model = torchvision.models.resnet18()
            model.layer1.apply(lambda m: m.requires_grad_(False))
            opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
            for x, y in loader:
                loss = torch.nn.functional.cross_entropy(model(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
        """,
        line=6,
    ),
    Invalid(  # trained by Lightning's `trainer.fit`, which puts the model in training mode first
        """
        import torch
        import torchvision
        from lightning import pytorch as pl

        class Classifier(pl.LightningModule):
            def __init__(self):
                super().__init__()
                self.net = torchvision.models.resnet18(weights="DEFAULT")

            def training_step(self, batch, batch_idx):
                x, y = batch
                return torch.nn.functional.cross_entropy(self.net(x), y)

            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=0.1)

        def main(loader):
            model = Classifier()
            model.net.layer1.requires_grad_(False)
            trainer = pl.Trainer(max_epochs=10)
            trainer.fit(model, loader)
        """,
        line=19,
    ),
    Invalid(  # a module-level helper freezes the stem inside __init__; a builder returns the model, then trained
        """
        import torch
        import torch.nn as nn

        def _freeze_module(module):
            for param in module.parameters():
                param.requires_grad = False

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 64, 3, bias=False)
                self.bn1 = nn.BatchNorm2d(64)
                _freeze_module(self.bn1)

            def forward(self, x):
                return self.bn1(self.conv1(x))

        def setup():
            model = Net()
            model.train()
            return model

        def fit(loader):
            net = setup()
            opt = torch.optim.Adam(net.parameters())
            for x, y in loader:
                opt.zero_grad()
                net(x).sum().backward()
                opt.step()
        """,
        line=6,
    ),
    Invalid(  # the backbone's parameters picked by name from named_parameters(), then trained in training mode
        """
        import torch
        import torch.nn as nn
        import torchvision

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.backbone = torchvision.models.resnet50()
                self.head = nn.Linear(1000, 10)

            def forward(self, x):
                return self.head(self.backbone(x))

        def train(loader):
            net = Net()
            for name, p in net.named_parameters():
                if name.startswith("backbone."):
                    p.requires_grad = False
            opt = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.1)
            net.train()
            for x, y in loader:
                opt.zero_grad()
                nn.functional.cross_entropy(net(x), y).backward()
                opt.step()
        """,
        line=18,
    ),
)
