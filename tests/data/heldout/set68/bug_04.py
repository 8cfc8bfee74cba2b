"""A small in-house Trainer (fit / evaluate / predict) for CIFAR-style data,
plus an ONNX export entry point used by the deployment pipeline.

    python cifar_trainer.py train --epochs 40
    python cifar_trainer.py export --ckpt runs/resnet_lite.pt --out resnet_lite.onnx
"""
import argparse
import time
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Identity()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False),
                nn.BatchNorm2d(planes),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNetLite(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        self.layer1 = BasicBlock(32, 32)
        self.layer2 = BasicBlock(32, 64, stride=2)
        self.layer3 = BasicBlock(64, 128, stride=2)
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


@dataclass
class History:
    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)


class Trainer:
    def __init__(self, model, optimizer, device, scheduler=None, grad_clip=1.0):
        self.model = model.to(device)
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.device = device
        self.grad_clip = grad_clip
        self.history = History()

    def evaluate(self, loader):
        self.model.eval()
        total_loss, correct, seen = 0.0, 0, 0
        with torch.no_grad():
            for x, y in loader:
                x, y = x.to(self.device), y.to(self.device)
                logits = self.model(x)
                total_loss += F.cross_entropy(logits, y, reduction="sum").item()
                correct += (logits.argmax(1) == y).sum().item()
                seen += y.numel()
        return {"loss": total_loss / seen, "acc": correct / seen}

    def fit(self, train_loader, val_loader, epochs):
        self.model.train()
        for epoch in range(1, epochs + 1):
            start, running, batches = time.time(), 0.0, 0
            for x, y in train_loader:
                x, y = x.to(self.device), y.to(self.device)
                self.optimizer.zero_grad(set_to_none=True)
                loss = F.cross_entropy(self.model(x), y)
                loss.backward()
                nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip)
                self.optimizer.step()
                running += loss.item()
                batches += 1
            if self.scheduler is not None:
                self.scheduler.step()
            metrics = self.evaluate(val_loader)  # expect: BN103
            self.history.train_loss.append(running / batches)
            self.history.val_loss.append(metrics["loss"])
            self.history.val_acc.append(metrics["acc"])
            print(f"[{epoch:03d}] {time.time() - start:.1f}s train {running / batches:.3f} "
                  f"val {metrics['loss']:.3f} acc {metrics['acc']:.3f}")
        return self.history

    def predict(self, loader):
        self.model.eval()
        preds = []
        with torch.no_grad():
            for x, _ in loader:
                preds.append(self.model(x.to(self.device)).argmax(1).cpu())
        return torch.cat(preds)

    def save(self, path):
        torch.save(self.model.state_dict(), path)


def fake_cifar(n, seed):
    g = torch.Generator().manual_seed(seed)
    return TensorDataset(torch.randn(n, 3, 32, 32, generator=g), torch.randint(0, 10, (n,), generator=g))


def cmd_train(args):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader = DataLoader(fake_cifar(10000, 0), batch_size=128, shuffle=True, num_workers=4)
    val_loader = DataLoader(fake_cifar(2000, 1), batch_size=256)
    model = ResNetLite()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    trainer = Trainer(model, opt, device, sched)
    trainer.fit(train_loader, val_loader, args.epochs)
    trainer.save(args.ckpt)


def cmd_export(args):
    model = ResNetLite()
    model.load_state_dict(torch.load(args.ckpt, map_location="cpu"))
    dummy = torch.randn(1, 3, 32, 32)
    torch.onnx.export(  # expect: BN104
        model,
        dummy,
        args.out,
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17,
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_train = sub.add_parser("train")
    p_train.add_argument("--epochs", type=int, default=40)
    p_train.add_argument("--ckpt", default="runs/resnet_lite.pt")
    p_export = sub.add_parser("export")
    p_export.add_argument("--ckpt", default="runs/resnet_lite.pt")
    p_export.add_argument("--out", default="resnet_lite.onnx")
    args = parser.parse_args()
    {"train": cmd_train, "export": cmd_export}[args.cmd](args)
