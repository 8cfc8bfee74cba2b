"""Code BN105 must not flag."""
from __future__ import annotations

from ...rule import Valid
from .templates import (BN_EVAL, BN_TEST, BUILT, FREEZE_BN_PARAMS, FREEZE_HELPER, FROZEN_BY_BUILDER, FROZEN_IN_INIT,
                        FROZEN_ITEMS, HEAD, LIGHTNING_PROBE, TRAIN_HELPER, UNPACKED, WRAPPED)

VALID = (
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
    Valid(TRAIN_HELPER.format(refreeze="\n    model.layer1.eval()")),
    Valid(FROZEN_IN_INIT.format(  # the class keeps its frozen part in eval whatever train() is asked
        override="\n\n    def train(self, mode=True):\n        super().train(mode)\n        self.backbone.eval()\n"
                 "        return self")),  # the helper re-freezes after .train()
    # the freezing helper, called again after each .train()
    Valid(FREEZE_HELPER.format(kind="BatchNorm2d", before="", after="\n    freeze_bn(model.layer1)")),
    # a modules() loop that puts Dropout (not BatchNorm) in eval
    Valid(FREEZE_HELPER.format(kind="Dropout", before="freeze_bn(model)", after="")),
    # BatchNorm frozen and put in eval by a helper called after each .train()
    Valid(FREEZE_BN_PARAMS.format(**BN_TEST, extra="\n            m.eval()", before="", after="\n    freeze_bn(model)")),
    # every layer but BatchNorm frozen: BatchNorm trains, in training mode
    Valid(FREEZE_BN_PARAMS.format(target="name, m", modules="named_modules", test='"bn" not in name',
                                   extra="", before="freeze_bn(model)", after="")),
    # the trainer puts the frozen part back in eval after each .train()
    Valid(FROZEN_BY_BUILDER.format(returned="backbone", refreeze=BN_EVAL)),
    Valid(WRAPPED.format(refreeze="\n    encoder.eval()")),  # under its own name, after each .train()
    Valid(FROZEN_BY_BUILDER.format(returned=HEAD, refreeze="\n    model[0].eval()")),
    Valid(FROZEN_BY_BUILDER.format(returned="backbone, 2048", refreeze=BN_EVAL).replace(BUILT, UNPACKED)),
    Valid(FROZEN_ITEMS.format(frozen="(model.layer1, model.layer2)")),
    Valid(LIGHTNING_PROBE.format(hook="\n\n    def on_train_epoch_start(self):\n        self.backbone.eval()")),
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
    Valid(  # the applied function freezes only the modules it selects (not every part of `model.layer1`)
        """
        import torch
        import torchvision

        def freeze_convs(m):
            if isinstance(m, torch.nn.Conv2d):
                m.requires_grad_(False)

        def run(loader):
            model = torchvision.models.resnet18()
            model.layer1.apply(freeze_convs)
            opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
            for x, y in loader:
                loss = torch.nn.functional.cross_entropy(model(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
        """
    ),
    Valid(  # the parameters picked by name are the head's, a Linear without BatchNorm
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
                if "head" in name:
                    p.requires_grad = False
            opt = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.1)
            net.train()
            for x, y in loader:
                opt.zero_grad()
                nn.functional.cross_entropy(net(x), y).backward()
                opt.step()
        """,
    ),
)
