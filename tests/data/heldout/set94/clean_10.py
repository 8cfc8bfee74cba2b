"""Train -> post-training static quantisation -> export, driven by one Engine.

Every fusion / conversion / export step runs on a model in eval mode.
"""
import copy
import functools
import os

import torch
import torch.ao.quantization as tq
import torch.nn as nn
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

Norm = functools.partial(nn.BatchNorm2d, eps=1e-3, momentum=0.03)


class QBlock(nn.Module):
    def __init__(self, cin, cout, norm_layer=Norm):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn = norm_layer(cout)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class QNet(nn.Module):
    def __init__(self, widths=(32, 64, 128), num_classes=10):
        super().__init__()
        self.quant = tq.QuantStub()
        layers = []
        cin = 1
        for w in widths:
            layers.append(QBlock(cin, w))
            layers.append(QBlock(w, w))
            layers.append(nn.MaxPool2d(2))
            cin = w
        self.features = nn.Sequential(*layers)
        # post-activation BN: the producer's width flows through ReLU, pooling, dropout
        self.post = nn.Sequential(
            nn.Conv2d(cin, 256, 1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Dropout(0.1),
            nn.BatchNorm2d(256),
        )
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(256, num_classes)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.post(self.features(x))
        return self.dequant(self.fc(self.flatten(x)))

    def fusion_groups(self):
        groups = []
        for name, m in self.features.named_children():
            if isinstance(m, QBlock):
                groups.append([f"features.{name}.conv", f"features.{name}.bn",
                               f"features.{name}.relu"])
        return groups


class QuantEngine:
    def __init__(self, model, loaders, epochs=8, lr=1e-3, out_dir="artifacts"):
        self.model = model
        self.loaders = loaders
        self.epochs = epochs
        self.out_dir = out_dir
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.criterion = nn.CrossEntropyLoss()
        os.makedirs(out_dir, exist_ok=True)

    def train_epoch(self):
        self.model.train()
        for x, y in self.loaders["train"]:
            loss = self.criterion(self.model(x), y)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    @torch.no_grad()
    def accuracy(self, model):
        model.eval()
        hits = n = 0
        for x, y in self.loaders["test"]:
            hits += (model(x).argmax(1) == y).sum().item()
            n += len(y)
        return hits / n

    def fit(self):
        for epoch in range(self.epochs):
            self.train_epoch()
            print(f"epoch {epoch}: fp32 acc {self.accuracy(self.model):.4f}")

    def quantize(self):
        qmodel = copy.deepcopy(self.model)
        qmodel.eval()
        qmodel = tq.fuse_modules(qmodel, qmodel.fusion_groups())
        qmodel.qconfig = tq.get_default_qconfig("x86")
        tq.prepare(qmodel, inplace=True)
        with torch.no_grad():
            for i, (x, _) in enumerate(self.loaders["calib"]):
                qmodel(x)
                if i >= 32:
                    break
        tq.convert(qmodel, inplace=True)
        print(f"int8 acc {self.accuracy(qmodel):.4f}")
        return qmodel

    def export(self, qmodel):
        example = torch.randn(1, 1, 28, 28)
        self.model.eval()
        program = torch.export.export(self.model, (example,))
        torch.export.save(program, os.path.join(self.out_dir, "fp32.pt2"))
        scripted = torch.jit.trace(qmodel, example)
        scripted.save(os.path.join(self.out_dir, "int8.ts"))


if __name__ == "__main__":
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.286,), (0.353,))])
    train_set = datasets.FashionMNIST("data", train=True, download=True, transform=tf)
    test_set = datasets.FashionMNIST("data", train=False, download=True, transform=tf)
    loaders = {
        "train": DataLoader(train_set, batch_size=128, shuffle=True, drop_last=True),
        "test": DataLoader(test_set, batch_size=500),
        "calib": DataLoader(Subset(train_set, range(2048)), batch_size=64),
    }
    engine = QuantEngine(QNet(), loaders)
    engine.fit()
    q = engine.quantize()
    engine.export(q)
