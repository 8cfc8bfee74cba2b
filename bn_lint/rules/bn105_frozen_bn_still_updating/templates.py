"""Code that BN105's examples fill in: training and freezing helpers, models frozen in `__init__` or by a
builder, a wrapped encoder, a LightningModule."""
TRAIN_HELPER = """
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
FREEZE_HELPER = """
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

FREEZE_BN_PARAMS = """
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
BN_TEST = dict(target="m", modules="modules", test="isinstance(m, nn.BatchNorm2d)")


FROZEN_IN_INIT = """
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


FROZEN_BY_BUILDER = """
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
HEAD = "nn.Sequential(backbone, nn.Linear(2048, num_classes))"
WRAPPED = """
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
BUILT, UNPACKED = "model = build_model(10).cuda()", "model, width = build_model(10)"
BN_EVAL = "\n    model.apply(lambda m: m.eval() if isinstance(m, nn.BatchNorm2d) else None)"
FROZEN_ITEMS = """
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


LIGHTNING_PROBE = """
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
