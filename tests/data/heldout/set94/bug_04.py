"""Linear-probe fine-tuning of a pretrained backbone, then TorchScript export.

    python bug_04.py train --data /datasets/flowers --ckpt probe.pt
    python bug_04.py export --ckpt probe.pt --out probe.ts
"""
import argparse
import os

import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

NUM_CLASSES = 102
IMAGE_SIZE = 224


class ResidualBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False),
                nn.BatchNorm2d(cout),
            )

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


class Backbone(nn.Module):
    def __init__(self, widths=(64, 128, 256, 512)):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, widths[0], 7, 2, 3, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        )
        blocks, cin = [], widths[0]
        for i, w in enumerate(widths):
            blocks.append(ResidualBlock(cin, w, stride=1 if i == 0 else 2))
            blocks.append(ResidualBlock(w, w))
            cin = w
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.out_dim = widths[-1]

    def forward(self, x):
        return torch.flatten(self.pool(self.blocks(self.stem(x))), 1)


class Classifier(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.backbone = Backbone()
        self.head = nn.Linear(self.backbone.out_dim, num_classes)

    def forward(self, x):
        return self.head(self.backbone(x))


class ProbeTrainer:
    def __init__(self, model, loaders, epochs=15, lr=1e-2, device="cuda"):
        self.device = device
        self.model = model.to(device)
        self.loaders = loaders
        self.epochs = epochs
        # linear probing: only the classifier head is trained
        for p in self.model.backbone.parameters():
            p.requires_grad = False  # expect: BN105
        self.optimizer = torch.optim.SGD(self.model.head.parameters(), lr=lr, momentum=0.9)
        self.scheduler = torch.optim.lr_scheduler.StepLR(self.optimizer, step_size=5, gamma=0.1)
        self.criterion = nn.CrossEntropyLoss()

    def train_epoch(self):
        self.model.train()
        for images, labels in self.loaders["train"]:
            images, labels = images.to(self.device), labels.to(self.device)
            loss = self.criterion(self.model(images), labels)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        self.scheduler.step()

    @torch.no_grad()
    def validate(self):
        self.model.eval()
        hits = n = 0
        for images, labels in self.loaders["val"]:
            preds = self.model(images.to(self.device)).argmax(1).cpu()
            hits += (preds == labels).sum().item()
            n += labels.numel()
        return hits / n

    def fit(self, ckpt_path):
        best = 0.0
        for epoch in range(self.epochs):
            self.train_epoch()
            acc = self.validate()
            print(f"epoch {epoch:02d}  top1 {acc:.3f}")
            if acc > best:
                best = acc
                torch.save({"model": self.model.state_dict(), "acc": acc}, ckpt_path)
        return best


def make_loaders(root, batch_size=64):
    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_tf = transforms.Compose([
        transforms.RandomResizedCrop(IMAGE_SIZE),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), norm])
    val_tf = transforms.Compose([
        transforms.Resize(256), transforms.CenterCrop(IMAGE_SIZE),
        transforms.ToTensor(), norm])
    train = datasets.ImageFolder(os.path.join(root, "train"), train_tf)
    val = datasets.ImageFolder(os.path.join(root, "val"), val_tf)
    return {
        "train": DataLoader(train, batch_size=batch_size, shuffle=True, num_workers=8),
        "val": DataLoader(val, batch_size=128, num_workers=8),
    }


def export_torchscript(ckpt_path, out_path):
    model = Classifier(NUM_CLASSES)
    state = torch.load(ckpt_path, map_location="cpu")
    model.load_state_dict(state["model"])
    example = torch.randn(1, 3, IMAGE_SIZE, IMAGE_SIZE)
    traced = torch.jit.trace(model, example)  # expect: BN104
    traced.save(out_path)
    print(f"saved TorchScript module to {out_path} (val acc {state['acc']:.3f})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cmd", choices=["train", "export"])
    parser.add_argument("--data", default="/datasets/flowers")
    parser.add_argument("--ckpt", default="probe.pt")
    parser.add_argument("--out", default="probe.ts")
    args = parser.parse_args()
    if args.cmd == "train":
        model = Classifier()
        backbone_state = torch.load("backbone_pretrained.pt", map_location="cpu")
        model.backbone.load_state_dict(backbone_state)
        trainer = ProbeTrainer(model, make_loaders(args.data))
        print("best", trainer.fit(args.ckpt))
    else:
        export_torchscript(args.ckpt, args.out)


if __name__ == "__main__":
    main()
