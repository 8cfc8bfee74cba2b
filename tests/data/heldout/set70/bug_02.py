"""predict.py - accuracy drops from 91% to ~60% after loading the checkpoint

The training script reports 91% val accuracy and saves checkpoints/best.pth.
When I load that checkpoint in this separate script, predictions on the very
same val folder are much worse, and they change if I change --batch-size.
load_state_dict() reports no missing / unexpected keys.
"""
import argparse
import csv

import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class BasicBlock(nn.Module):
    def __init__(self, in_ch, out_ch, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_ch),
            )

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


class SmallResNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
        )
        self.layer1 = BasicBlock(32, 32)
        self.layer2 = BasicBlock(32, 64, stride=2)
        self.layer3 = BasicBlock(64, 128, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", default="checkpoints/best.pth")
    parser.add_argument("--data", default="data/val")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", default="predictions.csv")
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tf = transforms.Compose([
        transforms.Resize((64, 64)),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    dataset = datasets.ImageFolder(args.data, transform=tf)
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=False, num_workers=4)

    model = SmallResNet(num_classes=len(dataset.classes))
    state = torch.load(args.ckpt, map_location=device)
    model.load_state_dict(state["model"])
    model.to(device)
    model.eval  # expect: BN102

    rows, correct, offset = [], 0, 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            logits = model(images)  # expect: BN101
            probs = logits.softmax(dim=1)
            conf, preds = probs.max(dim=1)
            correct += (preds == labels).sum().item()
            for j in range(images.size(0)):
                path = dataset.samples[offset + j][0]
                rows.append((path, dataset.classes[preds[j].item()], f"{conf[j].item():.4f}"))
            offset += images.size(0)

    print(f"accuracy: {correct / len(dataset):.4f} on {len(dataset)} images")
    with open(args.out, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "prediction", "confidence"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
