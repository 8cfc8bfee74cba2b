"""Fine-tune a pretrained ResNet-style backbone on a small defect dataset.

The first stages are frozen to keep the low-level filters from the large
pretraining run; the model is traced with TorchScript at the end.
"""
import argparse
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


def conv_bn_relu(cin, cout, stride=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class Stage(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = conv_bn_relu(cin, cout, stride)
        self.b = nn.Sequential(nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return F.relu(self.b(self.a(x)) + self.proj(x))


class Backbone(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.stem = nn.Sequential(conv_bn_relu(3, 32, 2), conv_bn_relu(32, 64), nn.MaxPool2d(3, 2, 1))
        self.layer1 = Stage(64, 64, 1)
        self.layer2 = Stage(64, 128, 2)
        self.layer3 = Stage(128, 256, 2)
        self.layer4 = Stage(256, 512, 2)
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        x = self.stem(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def freeze_early_stages(model, upto):
    stages = [model.stem, model.layer1, model.layer2, model.layer3]
    for stage in stages[:upto]:
        for p in stage.parameters():
            p.requires_grad = False  # expect: BN105


def validate(model, loader, device):
    model.eval()
    try:
        hits = n = 0
        with torch.no_grad():
            for x, y in loader:
                pred = model(x.to(device)).argmax(1).cpu()
                hits += (pred == y).sum().item()
                n += y.numel()
        return hits / max(n, 1)
    finally:
        model.train()


def train_epoch(model, loader, optimizer, device):
    model.train()
    total, count = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * y.size(0)
        count += y.size(0)
    return total / max(count, 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", type=Path, default=Path("data/defects"))
    p.add_argument("--pretrained", type=Path, default=Path("weights/backbone_in1k.pt"))
    p.add_argument("--freeze", type=int, default=2)
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--out", type=Path, default=Path("export/defects.ts"))
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    tf_train = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor()])
    tf_val = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor()])
    train_set = datasets.ImageFolder(args.data / "train", tf_train)
    val_set = datasets.ImageFolder(args.data / "val", tf_val)
    train_loader = DataLoader(train_set, args.batch_size, shuffle=True, num_workers=4, drop_last=True)
    val_loader = DataLoader(val_set, 64, num_workers=4)

    model = Backbone(num_classes=len(train_set.classes))
    state = torch.load(args.pretrained, map_location="cpu")
    state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    model.load_state_dict(state, strict=False)
    model.to(device)
    freeze_early_stages(model, args.freeze)

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=3e-4, weight_decay=0.05)
    best = 0.0
    for epoch in range(args.epochs):
        loss = train_epoch(model, train_loader, optimizer, device)
        acc = validate(model, val_loader, device)
        print(f"epoch {epoch}: loss {loss:.4f} val acc {acc:.4f}")
        if acc > best:
            best = acc
            torch.save(model.state_dict(), args.out.with_suffix(".pt"))

    example = torch.randn(1, 3, 224, 224, device=device)
    traced = torch.jit.trace(model, example)  # expect: BN104
    args.out.parent.mkdir(parents=True, exist_ok=True)
    traced.save(str(args.out))
    print(f"best val acc {best:.4f}; saved {args.out}")


if __name__ == "__main__":
    main()
